# SPDX-License-Identifier: BSD-3-Clause
"""The panel model on small panels and single series: calibration origins
per series, the default network's training budget, and arrays."""

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import RNNRegressor
from sklearn_rnn.forecasting import PanelForecaster, _estimator
from sklearn_rnn.forecasting._theta import theta_forecasts

TINY = dict(cell="gru", hidden_size=4, max_epochs=2, lr=1e-2, batch_size=64)


def _series(n=60, seed=0, key=None):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    values = (50 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    values = values * np.exp(0.02 * rng.randn(n))
    months = pd.period_range("2000-01", periods=n, freq="M")
    if key is None:
        return pd.Series(values, index=months)
    index = pd.MultiIndex.from_arrays([[key] * n, months], names=["id", "month"])
    return pd.Series(values, index=index)


def _model(**params):
    params.setdefault("window", 8)
    params.setdefault("horizon", 4)
    params.setdefault("n_estimators", 1)
    return PanelForecaster(RNNRegressor(**TINY), random_state=0, **params)


@pytest.fixture
def spied(monkeypatch):
    """Records the lengths each ``_train`` call reads, and the residuals."""
    seen = {"train": [], "nets": [], "residuals": []}
    train, bounds = PanelForecaster._train, _estimator._conformal_bounds

    def spy_train(self, values, *args, **kwargs):
        seen["train"].append([len(v) for v in values])
        seen["nets"].append(train(self, values, *args, **kwargs))
        return seen["nets"][-1]

    def spy_bounds(residuals, coverage):
        seen["residuals"].append(residuals.copy())
        return bounds(residuals, coverage)

    monkeypatch.setattr(PanelForecaster, "_train", spy_train)
    monkeypatch.setattr(_estimator, "_conformal_bounds", spy_bounds)
    return seen


def test_a_single_series_is_calibrated_on_twenty_origins(spied):
    model = _model().fit(None, _series(60))
    # The calibration network trains without the last 4 + 20 - 1 values and
    # forecasts 4 values from each of the 20 origins after them.
    assert spied["train"] == [[60 - 23], [60]]
    assert spied["residuals"][0].shape == (20, 4)
    assert model.calibration_ == "holdout"
    assert np.isfinite(model.error_quantiles_).all()
    frame = model.forecast()
    assert (frame["upper"] > frame["forecast"]).all()


def test_one_origin_per_series_on_a_panel_of_twenty(spied):
    y = pd.concat([_series(40, seed=s, key=f"s{s}") for s in range(20)])
    _model().fit(None, y)
    assert spied["train"][0] == [40 - 4] * 20
    assert spied["residuals"][0].shape == (20, 4)


def test_short_series_give_the_origins_they_can(spied):
    y = pd.concat([_series(30, key="long"), _series(12, key="short")])
    _model(calibration_origins=5).fit(None, y)
    # "short" keeps one training window (4 + 1 values) before its origins:
    # 12 - 4 - 5 + 1 = 4 of them.
    assert spied["train"][0] == [30 - 8, 5]
    assert spied["residuals"][0].shape == (5 + 4, 4)


def test_series_too_short_to_calibrate_warn():
    with pytest.warns(UserWarning, match="no series is long enough"):
        model = _model().fit(None, _series(8))
    assert model.calibration_ == "none"
    assert model.forecast()["upper"].isna().all()


def test_the_residuals_are_the_errors_from_each_origin(spied):
    y = _series(40)
    with pytest.warns(UserWarning, match="rests on 3 residual"):
        model = _model(calibration_origins=3).fit(None, y)
    residuals = spied["residuals"][0]
    # Origin by origin, the calibration network forecasts from the true
    # values up to it: the same network rolled by hand gives the same errors.
    # Deseasonalised by factors of the values before the first origin only.
    values, _ = _estimator._adjusted_before(model, [40 - 4 - 3 + 1])
    values = values[0]
    # The forecast scored is the model's: combined with Theta's.
    net = [(8, spied["nets"][0][0])]
    assert model.theta_weight_ == 0.5
    for row, origin in enumerate(range(40 - 4 - 3 + 1, 40 - 4 + 1)):
        pred, (level, _, _) = _estimator.roll_members(
            net, [values[:origin]], np.array([True]), 4, "mean"
        )
        pred = 0.5 * pred + 0.5 * theta_forecasts([values[:origin]], 4)
        expected = np.abs(values[origin : origin + 4] - pred[0]) / level[0]
        np.testing.assert_allclose(residuals[row], expected, rtol=1e-6)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_the_interval_of_a_period_does_not_depend_on_how_far_we_forecast(strategy):
    # Half-widths are in units of the window at the origin: never of a
    # window holding values the networks fed back.
    y = pd.concat([_series(key="a"), _series(seed=1, key="b") * 3])
    model = _model(strategy=strategy, horizon=3).fit(None, y)
    first = [
        model.forecast(n).groupby("id").head(1).reset_index(drop=True)
        for n in (1, 3, 9)
    ]
    for later in first[1:]:
        pd.testing.assert_frame_equal(later, first[0])


def test_always_deseasonalises_two_seasons():
    y = _series(n=24)
    fitted = _model(deseasonalize="always", window=6, horizon=2).fit(None, y)
    assert fitted.seasonal_factors_[0] is not None
    too_short = _model(deseasonalize="always", window=6, horizon=2)
    assert too_short.fit(None, _series(n=23)).seasonal_factors_[0] is None


def test_too_few_residuals_warn():
    y = _series(60)
    with pytest.warns(UserWarning, match="rests on 2 residual"):
        _model(calibration_origins=2).fit(None, y)


def test_the_default_network_trains_a_step_budget(monkeypatch):
    monkeypatch.setattr(_estimator, "_MIN_STEPS", 12)
    monkeypatch.setattr(
        _estimator,
        "_default_regressor",
        lambda: RNNRegressor("gru", 2, batch_size=16, max_epochs=1),
    )
    y = _series(40)
    default = PanelForecaster(
        window=8, horizon=4, n_estimators=1, calibration="none", random_state=0
    ).fit(None, y)
    # 40 - 4 - 8 + 1 = 29 windows: 2 batches an epoch, 6 epochs for 12 steps.
    assert default.estimators_[0].max_epochs == 6
    given = PanelForecaster(
        RNNRegressor("gru", 2, batch_size=16, max_epochs=1),
        window=8,
        horizon=4,
        n_estimators=1,
        calibration="none",
    ).fit(None, y)
    assert given.estimators_[0].max_epochs == 1


def test_arrays_are_one_series_with_known_future_columns():
    y = _series(48).to_numpy()
    X = np.column_stack([np.arange(48) % 12 == 0, np.arange(48) / 48.0])
    later = np.column_stack([np.arange(48, 56) % 12 == 0, np.arange(48, 56) / 48.0])
    by_arrays = _model().fit(X, y)
    assert by_arrays.n_features_in_ == 2
    # The same series and covariates as frames, on integer positions.
    frame = pd.DataFrame(X, columns=["x0", "x1"])
    by_frames = _model().fit(frame, pd.Series(y))
    assert not hasattr(by_frames, "n_features_in_")
    ahead = pd.DataFrame(later, columns=["x0", "x1"], index=pd.RangeIndex(48, 56))
    np.testing.assert_array_equal(by_arrays.predict(later), by_frames.predict(ahead))
    with pytest.raises(ValueError, match="X has 1 features"):
        by_arrays.predict(later[:, :1])
    with pytest.raises(TypeError, match="X must be a DataFrame"):
        by_frames.predict(later)
    # A refit on frames forgets the arrays' layout.
    assert not hasattr(by_arrays.fit(frame, pd.Series(y)), "n_features_in_")


def test_no_value_a_calibration_origin_forecasts_reaches_its_network(spied):
    # Every value from the first calibration origin on may change: the
    # calibration network (its inputs, seasonal factors, positivity, loss
    # scales) stays as it was; the final networks see everything.
    y = _series(60)
    changed = y.copy()
    changed.iloc[60 - 4 - 3 + 1 :] *= np.linspace(0.5, 3.0, 4 + 3 - 1)

    def weights(net):
        module = net.net_.module_
        return np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])

    params = dict(calibration_origins=3, interval=0.5, deseasonalize="always")
    _model(**params).fit(None, y)
    _model(**params).fit(None, changed)
    calibration_a, final_a, calibration_b, final_b = spied["nets"]
    np.testing.assert_array_equal(weights(calibration_a[0]), weights(calibration_b[0]))
    assert not np.array_equal(weights(final_a[0]), weights(final_b[0]))


def test_an_array_X_keeps_the_dates_of_y_and_refuses_a_panel():
    y = _series(48)
    X = (np.arange(48) % 12 == 0)[:, None].astype(float)
    model = _model().fit(X, y)
    later = (np.arange(48, 56) % 12 == 0)[:, None].astype(float)
    frame = model.forecast(8, X=later)
    assert str(frame.iloc[0, 1]) == "2004-01"
    np.testing.assert_array_equal(frame["forecast"], model.predict(later))
    panel = pd.concat([_series(30, key="a"), _series(30, key="b")])
    with pytest.raises(ValueError, match="y is a panel"):
        _model().fit(np.zeros((60, 1)), panel)


def test_lists_are_arrays_and_a_failed_calibration_warns():
    y = _series(48).to_numpy()
    X = (np.arange(48) % 12 == 0)[:, None].astype(float)
    by_lists = _model().fit(X.tolist(), y.tolist())
    by_arrays = _model().fit(X, y)
    later = (np.arange(48, 52) % 12 == 0)[:, None].astype(float)
    np.testing.assert_array_equal(by_lists.predict(later), by_arrays.predict(later))
    # Weights that leave the calibration network nothing to learn from.
    weights = np.r_[np.zeros(40), np.ones(8)]
    with pytest.warns(UserWarning, match="calibration network could not be trained"):
        model = _model().fit(None, _series(48), sample_weight=weights)
    assert model.calibration_ == "none"


def test_a_window_holding_a_non_positive_value_is_not_logged():
    from sklearn_rnn.forecasting._windows import WindowScaler

    inputs = np.array([[2.0, 4.0], [3.0, -1.0]])
    x, _, (level, spread, ok) = WindowScaler("mean").forward(
        inputs, inputs[:, :0], np.array([True, True])
    )
    assert ok.tolist() == [True, False]
    np.testing.assert_allclose(x[0], np.log([2 / 3, 4 / 3]))
    np.testing.assert_allclose(x[1], ([3.0, -1.0] - level[1]) / spread[1])


def test_arrays_in_a_pipeline_with_time_series_split():
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t = np.arange(72)
    y = (50 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    X = np.column_stack([np.sin(2 * np.pi * t / 12), np.cos(2 * np.pi * t / 12)])
    pipe = make_pipeline(StandardScaler(), _model(calibration="none"))
    # Each test fold is the horizon right after its training rows.
    cv = TimeSeriesSplit(n_splits=3, test_size=4)
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="neg_mean_absolute_error")
    assert scores.shape == (3,) and np.isfinite(scores).all()
    search = GridSearchCV(
        pipe, {"panelforecaster__window": [6, 8]}, cv=cv, scoring="r2"
    ).fit(X, y)
    assert search.best_estimator_[-1].n_features_in_ == 2
    ahead = np.arange(72, 76)
    X_next = np.column_stack(
        [np.sin(2 * np.pi * ahead / 12), np.cos(2 * np.pi * ahead / 12)]
    )
    assert np.isfinite(search.predict(X_next)).all()
