# SPDX-License-Identifier: BSD-3-Clause
"""RNNForecaster's defaults are the recommended recipe the main job measures."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import RNNForecaster, RNNRegressor
from sklearn_rnn.__main__ import _forecaster, _parse_args
from sklearn_rnn._forecaster import _default_regressor

TINY = dict(hidden_size=4, max_epochs=2, lr=1e-2, random_state=0)


def _monthly(n, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=n)
    index = pd.date_range("2000-01-01", periods=n, freq="MS")
    return pd.Series(values, index=index, name="sales")


def test_defaults_are_the_recipe():
    params = RNNForecaster().get_params()
    assert params["strategy"] == "recursive"
    assert params["n_estimators"] == 5
    assert params["window"] == "auto"
    assert params["difference"] == "auto"
    assert params["seasonal"] == "difference"
    assert params["log"] == "auto"
    network = _default_regressor("recursive").get_params()
    assert network["cell"] == "lstm"
    assert network["hidden_size"] == 32
    assert network["max_epochs"] == 300
    assert (network["lr"], network["batch_size"]) == (3e-3, 16)


def test_command_line_uses_the_defaults():
    cli = _forecaster(_parse_args(["--horizon", "12", "--season", "12"]))
    default = RNNForecaster(horizon=12, seasonal_period=12)
    mine, theirs = cli.get_params(deep=False), default.get_params(deep=False)
    assert {k: v for k, v in mine.items() if k != "regressor"} == {
        k: v for k, v in theirs.items() if k != "regressor"
    }
    # The network is the default one, seeded (and with progress on a tty).
    network = cli.regressor.get_params()
    expected = _default_regressor("recursive").get_params()
    changed = {k for k in network if network[k] != expected[k]}
    assert changed <= {"random_state", "verbose"}


def test_recipe_fits_a_long_seasonal_series_without_warnings():
    y = _monthly(96)
    model = RNNForecaster(RNNRegressor(**TINY), horizon=12, seasonal_period=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Networks of TINY's two epochs learn little, which the estimators
        # rightly report; what this test checks is the recipe's own silence.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model.fit(y.to_frame().iloc[:, :0], y)
    assert model.window_ == 24
    assert len(model.estimators_) == 5
    # Seasonal differencing, no ordinary differencing; one output per net.
    assert (model._transform.lag, model._transform.difference) == (12, 0)
    assert model.calibration_ == "holdout"
    assert model.forecast().shape == (12, 3)


def test_without_a_season_auto_differencing_follows_a_trend():
    t = np.arange(40, dtype=float)
    y = 5.0 + 2.0 * t
    model = RNNForecaster(RNNRegressor(**TINY), horizon=6, n_estimators=1, log=False)
    with pytest.warns(UserWarning, match="window='auto' uses window=19"):
        model.fit(None, y)
    assert model._transform.difference == 1
    forecast = model.forecast()["forecast"].to_numpy()
    # Steps of about 2 (a flat forecast would have steps of 0).
    np.testing.assert_allclose(np.diff(np.r_[y[-1], forecast]), 2.0, atol=0.5)
    flat = RNNForecaster(RNNRegressor(**TINY), horizon=6, n_estimators=1)
    flat.set_params(difference=0, window=6).fit(None, y)
    assert flat._transform.difference == 0


@pytest.mark.parametrize("seasonal", ["indices", "factors"])
def test_seasonal_indices_or_factors_difference_the_trend_away(seasonal):
    # Only the seasonal difference removes a trend; without it "auto" takes
    # first differences, so the trend is not forecast flat.
    y = _monthly(96)
    model = RNNForecaster(
        RNNRegressor(**TINY), horizon=6, seasonal_period=12, seasonal=seasonal
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(n_estimators=1).fit(None, y)
    assert model._transform.difference == 1


def test_forecast_refuses_covariates_for_other_periods():
    y = _monthly(60)
    X = pd.DataFrame({"promo": np.arange(72.0) % 2}, index=_monthly(72).index)
    model = RNNForecaster(RNNRegressor(**TINY), horizon=4, seasonal_period=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(n_estimators=1).fit(X.iloc[:60], y)
    right = model.forecast(X=X.iloc[60:64])
    np.testing.assert_allclose(right["forecast"], model.predict(X.iloc[60:64]))
    with pytest.raises(ValueError, match="X starts 2 periods after"):
        model.forecast(X=X.iloc[62:66])
    with pytest.raises(ValueError, match="not after the training data"):
        model.forecast(X=X.iloc[54:58])


def test_auto_window_shrinks_on_a_short_series_and_says_so():
    y = _monthly(30)
    model = RNNForecaster(
        RNNRegressor(**TINY), horizon=6, seasonal_period=12, n_estimators=1
    )
    with pytest.warns(UserWarning, match="window='auto' uses window=9"):
        model.fit(None, y)
    # 30 values, 12 lost to the seasonal difference: 9 inputs, 9 windows.
    assert model.window_ == 9
    assert model.forecast().shape == (6, 3)
    # The window chosen is the one forecasting reads.
    assert model.predict(pd.DataFrame(index=range(3))).shape == (3,)


def test_explicit_window_is_kept_and_set_params_after_fit_is_refused():
    y = _monthly(60)
    model = RNNForecaster(
        RNNRegressor(**TINY), window=10, horizon=3, seasonal_period=12, n_estimators=1
    ).fit(None, y)
    assert model.window_ == 10
    with pytest.raises(ValueError, match="call fit again"):
        model.set_params(window="auto").forecast()


def test_auto_window_survives_saving(tmp_path):
    from sklearn_rnn.persistence import load, save

    y = _monthly(30)
    model = RNNForecaster(
        RNNRegressor(**TINY), horizon=6, seasonal_period=12, n_estimators=1
    )
    with pytest.warns(UserWarning, match="window='auto'"):
        model.fit(None, y)
    save(model, tmp_path / "f.skrnn")
    loaded = load(tmp_path / "f.skrnn")
    assert loaded.window_ == 9
    np.testing.assert_array_equal(
        loaded.forecast().to_numpy(), model.forecast().to_numpy()
    )


def test_the_benchmarks_seed_the_default_network():
    # benchmarks/_forecaster_network.py writes RNNForecaster's default
    # network out, to seed it; it must stay that network.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "_forecaster_network.py"
    spec = importlib.util.spec_from_file_location("_forecaster_network", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = _default_regressor("recursive").set_params(random_state=3)
    assert module.default_network(3).get_params() == expected.get_params()
