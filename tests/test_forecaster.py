# SPDX-License-Identifier: BSD-3-Clause
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate

from sklearn_rnn import RNNForecaster, RNNRegressor, Seq2SeqTransformer
from sklearn_rnn.datasets import load_airline_passengers
from sklearn_rnn.forecasting._intervals import _conformal_bounds
from sklearn_rnn.forecasting._transforms import Differencer, seasonal_indices

TINY = dict(hidden_size=8, max_epochs=5, lr=1e-2, random_state=0)
# The defaults these tests were written for; the recommended recipe that
# replaced them as defaults is tested in tests/test_forecaster_defaults.py.
LEGACY = dict(window=24, strategy="direct", difference=1, n_estimators=1)


def _forecaster(*args, **params):
    return RNNForecaster(*args, **{**LEGACY, **params})


def _airline():
    y = load_airline_passengers()["passengers"]
    return y.to_frame().iloc[:, :0], y


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("seasonal", ["difference", "indices", "factors"])
@pytest.mark.parametrize(
    "seasonal_period, difference", [(None, 0), (None, 1), (12, 0), (12, 1), (4, 1)]
)
def test_differencing_is_inverted_exactly(
    log, seasonal, seasonal_period, difference, rng
):
    y = np.exp(0.1 * rng.normal(size=80).cumsum() + 3)
    t = Differencer(log, seasonal_period, difference, seasonal)
    z = t.to_level(y)
    e = t.fit(z).forward(z)
    assert len(e) == len(y) - t.n_lost
    cut = 30
    rebuilt = t.integrate(z[None, : t.n_lost + cut], e[None, cut:])[0]
    np.testing.assert_allclose(t.from_level(rebuilt), y[t.n_lost + cut :])
    # From a history that does not start at position 0: `start` places it.
    first = t.n_lost + cut
    rebuilt = t.integrate(z[None, first - 13 : first], e[None, cut:], [first])[0]
    np.testing.assert_allclose(t.from_level(rebuilt), y[first:])


def _seasonal_series(n, start=0):
    t = np.arange(start, start + n)
    pattern = 0.2 * np.sin(2 * np.pi * np.arange(12) / 12)
    pattern[3] += 0.05
    return np.exp(3 + 0.01 * t + pattern[t % 12]), pattern - pattern.mean()


def test_seasonal_indices_recover_the_pattern_of_a_trending_series():
    y, pattern = _seasonal_series(50, start=5)
    # Position 0 is phase 0: the series starts 5 months into the pattern.
    np.testing.assert_allclose(
        seasonal_indices(np.log(y), 12), np.roll(pattern, -5), atol=1e-12
    )
    z = np.tile([0.3, -0.1, -0.2], 6) + 0.05 * np.arange(18)
    np.testing.assert_allclose(seasonal_indices(z, 3), [0.3, -0.1, -0.2])


def test_seasonal_factors_recover_a_multiplicative_pattern():
    # A linear trend times a fixed seasonal factor. The centred moving average
    # of the product is not exactly the trend (the slope meets the swing of
    # the factors), so the factors come back to within a fraction of a percent;
    # they average one.
    t = np.arange(5, 65)
    factors = 1 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)
    y = (100 + 2 * t) * factors[t % 12]
    found = seasonal_indices(y, 12, multiplicative=True)
    np.testing.assert_allclose(found.mean(), 1)
    # Position 0 is phase 0: the series starts 5 months into the pattern.
    np.testing.assert_allclose(found, np.roll(factors, -5), rtol=1e-2)
    # On the log scale: their logarithm, estimated on the original scale.
    with_log = Differencer(True, 12, 0, "factors").fit(np.log(y))
    np.testing.assert_allclose(with_log.indices, np.log(found))
    # A constant level: exactly.
    found = seasonal_indices(50 * factors[t % 12], 12, multiplicative=True)
    np.testing.assert_allclose(found, np.roll(factors, -5), rtol=1e-12)


def test_seasonal_factors_forecast_continues_a_linear_trend_times_a_season():
    # Levels, not logs: (a + b t) * factor. Divided by the factors and
    # differenced once, every transformed value is the slope b, so the
    # forecast is the series itself (the log scale would compound the growth
    # instead). A season of two is the one whose factors the moving average
    # recovers exactly under a linear trend (see the test above).
    t = np.arange(60)
    y = (100 + 2 * t) * np.array([0.8, 1.2])[t % 2]
    model = _forecaster(
        RNNRegressor(**TINY),
        window=6,
        horizon=4,
        log=False,
        seasonal_period=2,
        seasonal="factors",
    ).fit(None, y[:49])
    np.testing.assert_allclose(model._transform.indices, [0.8, 1.2], rtol=1e-12)
    np.testing.assert_allclose(model.forecast(11)["forecast"], y[49:], rtol=1e-9)
    # After a gap, in phase (an odd number of periods later).
    later = pd.DataFrame(index=pd.RangeIndex(52, 60))
    np.testing.assert_allclose(model.predict(later), y[52:], rtol=1e-9)
    with pytest.raises(ValueError, match="seasonal='factors'.*strictly positive"):
        model.fit(None, y[:49] - 150)


def test_seasonal_indices_forecast_continues_an_exact_series(recorded_fits):
    # log y = trend + fixed season: with the indices removed and one
    # difference, every transformed value is the slope, and the forecast,
    # after the gap of a later X too, is the series itself.
    y, _ = _seasonal_series(96)
    model = _forecaster(
        RNNRegressor(**TINY),
        window=12,
        horizon=6,
        seasonal_period=12,
        seasonal="indices",
    ).fit(None, y[:84])
    X_win, Y_win = recorded_fits[0]
    np.testing.assert_allclose(Y_win, 0.01, rtol=1e-9)  # the monthly slope
    # Constant up to rounding: centred, not divided by its rounding noise.
    np.testing.assert_allclose(X_win, 0, atol=1e-12)
    assert model.input_scale_[0] == 1.0
    np.testing.assert_allclose(model.forecast(12)["forecast"], y[84:], rtol=1e-12)
    later = pd.DataFrame(index=pd.RangeIndex(89, 96))
    np.testing.assert_allclose(model.predict(later), y[89:], rtol=1e-12)
    assert model.calibration_ == "holdout"


@pytest.mark.parametrize("seasonal", ["indices", "factors"])
def test_seasonal_indices_come_from_the_training_rows_only(seasonal, monkeypatch):
    import sklearn_rnn.forecasting._transforms as transforms

    seen = []

    def recording(z, period, **kwargs):
        seen.append(len(z))
        return seasonal_indices(z, period, **kwargs)

    monkeypatch.setattr(transforms, "seasonal_indices", recording)
    X, y = _airline()
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12,
        seasonal=seasonal,
    )
    cross_validate(model, X, y, cv=TimeSeriesSplit(n_splits=2, test_size=12))
    # Per fold: the model (120 and 132 months), then its calibration copy
    # (25 months fewer).
    assert seen == [120, 95, 132, 107]
    with pytest.raises(ValueError, match="at least two seasons"):
        model.fit(X.iloc[:23], y.iloc[:23])


@pytest.fixture
def recorded_fits(monkeypatch):
    """Record every (X, y) the forecaster trains its network on."""
    seen = []

    def recorder(original):
        def recording_fit(self, X, y):
            seen.append((np.array(X), np.array(y)))
            return original(self, X, y)

        return recording_fit

    for cls in (RNNRegressor, Seq2SeqTransformer):
        monkeypatch.setattr(cls, "fit", recorder(cls.fit))
    return seen


@pytest.mark.parametrize("strategy", ["direct", "recursive", "seq2seq"])
def test_training_windows_never_see_their_targets(strategy, recorded_fits):
    # With no transform and no scaling the windows hold the raw values; on a
    # strictly increasing series "from the future" means "larger".
    y = np.arange(60, dtype=float)
    network = Seq2SeqTransformer if strategy == "seq2seq" else RNNRegressor
    model = _forecaster(
        network(**TINY),
        window=5,
        horizon=3,
        strategy=strategy,
        log=False,
        difference=0,
        scale=False,
    )
    model.fit(None, y)
    # The model, then the copy that calibrates the interval on the last
    # calibration_origins + horizon - 1 = 22 values, which it never sees.
    assert len(recorded_fits) == 2 and model.calibration_ == "holdout"
    for (X_win, Y_win), end in zip(recorded_fits, [60, 60 - 22]):
        Y_win = Y_win.reshape(len(Y_win), -1)
        assert X_win.shape == (len(Y_win), 5)
        assert np.all(X_win.max(axis=1) < Y_win.min(axis=1))
        np.testing.assert_array_equal(Y_win[:, 0], X_win[:, -1] + 1)  # no gap
        assert Y_win.shape[1] == (1 if strategy == "recursive" else 3)
        assert Y_win.max() == end - 1


def test_cross_validation_never_trains_on_test_rows(recorded_fits):
    y = np.arange(120, dtype=float)
    X = pd.DataFrame(index=pd.RangeIndex(120))
    cv = TimeSeriesSplit(n_splits=3, gap=4, test_size=12)
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=4, log=False)
    cross_validate(model, X, y, cv=cv)
    train_ends = [train[-1] for train, _ in cv.split(X)]
    # Per fold: the model, then its calibration copy (23 values fewer).
    assert len(recorded_fits) == 6
    for k, end in enumerate(train_ends):
        for (X_win, _), held_out in zip(recorded_fits[2 * k : 2 * k + 2], [0, 23]):
            # difference=1 on arange gives ones: check the count of rows used.
            assert len(X_win) == end + 1 - held_out - 1 - 6 - 4 + 1


def test_predict_honours_the_index_gap():
    X, y = _airline()
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12
    )
    model.fit(X.iloc[:-24], y.iloc[:-24])
    full = model.predict(X.iloc[-24:])
    assert full.shape == (24,)
    # Rows 5 periods later (a TimeSeriesSplit gap): the same path, shifted.
    np.testing.assert_allclose(model.predict(X.iloc[-19:]), full[5:])
    # Integer positions work like dates.
    Xi = pd.DataFrame(index=pd.RangeIndex(len(y)))
    model.fit(Xi.iloc[:-24], y.iloc[:-24].to_numpy())
    np.testing.assert_allclose(
        model.predict(Xi.iloc[-19:]), model.predict(Xi.iloc[-24:])[5:]
    )


def test_dates_must_run_oldest_first_and_predict_forecasts_after_them():
    X, y = _airline()
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12
    )
    for bad in (y.iloc[::-1], pd.concat([y.iloc[:60], y.iloc[59:]])):
        with pytest.raises(ValueError, match="oldest first.*sort_index"):
            model.fit(bad.to_frame().iloc[:, :0], bad)
    with pytest.raises(ValueError, match="X and y have different indexes"):
        model.fit(X.iloc[1:], y.iloc[:-1])
    model.fit(X.iloc[:-12], y.iloc[:-12])
    # Dates of the training period are not forecast periods.
    with pytest.raises(ValueError, match="X starts at 1959-10-01.*ends at 1959-12"):
        model.predict(X.iloc[-15:])
    # Dates with a hole have no frequency: said at fit.
    holed = y.drop(y.index[50])
    with pytest.warns(UserWarning, match="no regular frequency"):
        model.fit(holed.to_frame().iloc[:, :0], holed)


def test_period_index_dates_the_forecast_and_places_a_gap():
    X, y = _airline()
    y = y.to_period("M")
    X = y.to_frame().iloc[:, :0]
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12
    ).fit(X.iloc[:-12], y.iloc[:-12])
    frame = model.forecast()
    pd.testing.assert_index_equal(
        frame.index, pd.period_range("1960-01", periods=6, freq="M", name="month")
    )
    full = model.predict(X.iloc[-12:])
    np.testing.assert_allclose(full[:6], frame["forecast"])
    np.testing.assert_allclose(model.predict(X.iloc[-9:]), full[3:])
    for other in (X.iloc[-12:].to_timestamp(), X.iloc[-12:].asfreq("D")):
        with pytest.raises(ValueError, match="the training data by a PeriodIndex"):
            model.predict(other)


def test_forecasting_needs_the_fitted_window_horizon_and_strategy():
    X, y = _airline()
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12
    ).fit(X.iloc[:-12], y.iloc[:-12])
    before = model.predict(X.iloc[-12:])
    for change in ({"strategy": "recursive"}, {"horizon": 3}, {"window": 6}):
        model.set_params(**change)
        with pytest.raises(ValueError, match="call fit again"):
            model.predict(X.iloc[-12:])
        with pytest.raises(ValueError, match="call fit again"):
            model.forecast()
        model.set_params(window=12, horizon=6, strategy="direct")
    np.testing.assert_array_equal(model.predict(X.iloc[-12:]), before)
    # Parameters used in fit only may change: they act at the next fit.
    model.set_params(interval=0.5)
    np.testing.assert_array_equal(model.predict(X.iloc[-12:]), before)


def test_integer_index_gaps_are_said():
    y = np.linspace(10, 20, 60)
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=2)
    # Rows 20-29 left out (a KFold test fold): said, not silently joined.
    keep = np.r_[0:20, 30:60]
    with pytest.warns(UserWarning, match="time steps at a constant step"):
        model.fit(pd.DataFrame(index=keep), pd.Series(y[keep], index=keep))


def test_integer_index_with_a_constant_step_is_honoured():
    y = np.sin(np.arange(66.0)) + 5
    index = pd.RangeIndex(0, 132, 2)
    series = pd.Series(y, index=index)
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a constant step is not a gap
        model.fit(None, series[:60])
    frame = model.forecast(6)
    pd.testing.assert_index_equal(frame.index, pd.RangeIndex(120, 132, 2))
    # The next labels are the next periods, and a later one is placed.
    np.testing.assert_allclose(
        model.predict(pd.DataFrame(index=index[60:63])), frame["forecast"][:3]
    )
    np.testing.assert_allclose(
        model.predict(pd.DataFrame(index=index[62:66])), frame["forecast"][2:]
    )
    with pytest.raises(ValueError, match=r"consecutive periods.*\(step 2; the first"):
        model.predict(pd.DataFrame(index=[121, 123]))
    # One row off the grid (offset -1 crashed with an IndexError).
    with pytest.raises(ValueError, match="row stands for 119; the one due is 120"):
        model.predict(pd.DataFrame(index=[119]))


def test_period_index_with_a_multiple_places_predict():
    # "2M": ordinals count months, and predict counted them as periods.
    index = pd.period_range("2000-01", periods=66, freq="2M")
    series = pd.Series(np.arange(66.0) % 4 + 10, index=index)
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=3).fit(
        None, series[:60]
    )
    frame = model.forecast(6)
    pd.testing.assert_index_equal(frame.index, index[60:66])
    np.testing.assert_allclose(
        model.predict(pd.DataFrame(index=index[60:63])), frame["forecast"][:3]
    )
    np.testing.assert_allclose(
        model.predict(pd.DataFrame(index=index[63:66])), frame["forecast"][3:]
    )
    misaligned = pd.period_range("2010-02", periods=2, freq="2M")
    with pytest.raises(ValueError, match="consecutive periods after the training"):
        model.predict(pd.DataFrame(index=misaligned))


def test_predict_refuses_rows_off_the_training_frequency():
    X, y = _airline()
    model = _forecaster(RNNRegressor(**TINY), window=12, horizon=3).fit(
        X.iloc[:-12], y.iloc[:-12]
    )
    daily = pd.date_range(y.index[-12], periods=2, freq="D")
    with pytest.raises(ValueError, match=r"consecutive periods.*frequency MS"):
        model.predict(pd.DataFrame(index=daily))
    holed = y.index[[-12, -10]]
    with pytest.raises(ValueError, match="consecutive periods"):
        model.predict(pd.DataFrame(index=holed))
    aware = y.index[-12:-10].tz_localize("UTC")
    with pytest.raises(ValueError, match="timezone-aware DatetimeIndex"):
        model.predict(pd.DataFrame(index=aware))
    # A business-day series and a Saturday: one row off the grid.
    days = pd.bdate_range("2024-01-01", periods=30, tz="Europe/Paris")
    series = pd.Series(np.linspace(1, 30, 30), index=days)
    model = _forecaster(RNNRegressor(**TINY), window=4, horizon=2)
    model.fit(series.to_frame().iloc[:, :0], series)
    saturday = pd.DatetimeIndex(["2024-02-10"], tz="Europe/Paris")
    with pytest.raises(ValueError, match="frequency B; the first is 2024-02-12"):
        model.predict(pd.DataFrame(index=saturday))
    # The same instants in another zone are the same periods.
    monday = pd.date_range("2024-02-11 23:00", periods=2, freq="D", tz="UTC")
    np.testing.assert_allclose(
        model.predict(pd.DataFrame(index=monday)), model.forecast(2)["forecast"]
    )
    for bad in (2.5, "3", True):
        with pytest.raises(TypeError, match="n_periods must be an integer"):
            model.forecast(bad)


def test_text_index_is_said_and_forecasts_count_positions_on():
    _, y = _airline()
    text = y.set_axis(y.index.strftime("%Y-%m"))
    model = _forecaster(RNNRegressor(**TINY), window=12, horizon=3)
    with pytest.warns(UserWarning, match="neither dates nor integer positions"):
        model.fit(None, text)
    pd.testing.assert_index_equal(model.forecast().index, pd.RangeIndex(144, 147))


def test_fit_keeps_its_own_copy_of_the_series():
    # In levels the series used to be kept as a view of the caller's array.
    y = np.sin(np.arange(60.0)) * 5
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=3, log=False)
    before = model.fit(None, y).forecast()["forecast"].to_numpy()
    y[:] += 1000
    np.testing.assert_array_equal(model.forecast()["forecast"], before)


def test_too_short_to_calibrate_gives_a_nan_interval_and_says_so():
    # Recursive, in sample: no origin has window + horizon values before it.
    y = np.linspace(10, 20, 20)
    model = _forecaster(
        RNNRegressor(**TINY), window=8, horizon=12, strategy="recursive"
    )
    with pytest.warns(UserWarning, match="too short to measure the errors"):
        model.fit(None, y)
    frame = model.forecast()
    assert frame["lower"].isna().all() and frame["upper"].isna().all()
    assert frame["forecast"].notna().all()


def test_dataframe_in_dataframe_out():
    X, y = _airline()
    model = _forecaster(
        RNNRegressor(**TINY), window=12, horizon=6, seasonal_period=12
    )
    frame = model.fit(X, y).forecast()
    assert list(frame.columns) == ["forecast", "lower", "upper"]
    expected = pd.date_range("1961-01-01", periods=6, freq="MS", name="month")
    pd.testing.assert_index_equal(frame.index, expected)
    assert (frame["lower"] <= frame["upper"]).all()
    assert (frame["forecast"] > 0).all() and model.log_
    longer = model.forecast(10)
    assert longer["lower"].iloc[6:].isna().all()  # no interval past horizon
    np.testing.assert_allclose(longer["forecast"].iloc[:6], frame["forecast"])


def test_grid_search_time_series_split_over_cell_size_and_window():
    X, y = _airline()
    grid = GridSearchCV(
        _forecaster(RNNRegressor(**TINY), horizon=6, seasonal_period=12),
        {
            "regressor__cell": ["lstm", "gru"],
            "regressor__hidden_size": [4, 8],
            "window": [6, 12],
        },
        cv=TimeSeriesSplit(n_splits=2, test_size=12, gap=2),
        scoring="neg_mean_absolute_percentage_error",
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_estimator_.window in (6, 12)


def test_covariates_are_used_and_required_for_long_forecasts(rng):
    n = 80
    X = pd.DataFrame({"promo": (np.arange(n) % 5 == 0).astype(float)})
    y = 10 + 3 * X["promo"].to_numpy() + rng.normal(scale=0.1, size=n)
    model = _forecaster(
        RNNRegressor(**TINY),
        window=6,
        horizon=2,
        strategy="recursive",
        log=False,
        difference=0,
    ).fit(X.iloc[:70], y[:70])
    assert model.n_features_in_ == 1
    assert model.predict(X.iloc[70:]).shape == (10,)
    with pytest.raises(ValueError, match="covariates needs their values"):
        model.forecast(5)
    with pytest.raises(ValueError, match="unseen at fit time:\n- other"):
        model.predict(X.assign(other=1.0).iloc[70:])
    with (
        pytest.raises(ValueError, match="X has 2 features"),
        pytest.warns(UserWarning, match="does not have valid feature names"),
    ):
        model.predict(X.assign(other=1.0).iloc[70:].to_numpy())
    # forecast(X=...) forecasts one period per row of X.
    assert len(model.forecast(X=X.iloc[70:])) == 10


def test_covariates_keep_their_names_and_are_copied(rng):
    n = 60
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = 10 + X["a"].to_numpy() + rng.normal(scale=0.1, size=n)
    model = _forecaster(
        RNNRegressor(**TINY), window=6, horizon=2, log=False, difference=0
    ).fit(X.iloc[:50], y[:50])
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b"])
    before = model.predict(X.iloc[50:])
    with pytest.raises(ValueError, match="same order as they were in fit"):
        model.predict(X.iloc[50:, ::-1])
    # The model keeps its own copy of the training covariates.
    X.iloc[:50] = 0.0
    np.testing.assert_array_equal(model.predict(X.iloc[50:]), before)
    numpy_fit = clone(model).fit(X.to_numpy()[:50], y[:50])
    assert not hasattr(numpy_fit, "feature_names_in_")


def test_errors():
    with pytest.raises(ValueError, match="n_samples=10 time steps"):
        _forecaster(window=12).fit(None, np.arange(10.0))
    with pytest.raises(ValueError, match="strictly positive"):
        _forecaster(log=True).fit(None, np.linspace(-1, 1, 60))
    with pytest.raises(ValueError, match="single series"):
        _forecaster().fit(None, np.ones((60, 2)))
    with pytest.raises(ValueError, match="rows but y has"):
        _forecaster().fit(np.ones((50, 1)), np.ones(60))


def test_inputs_are_scaled_with_training_rows_only(recorded_fits, rng):
    # A level series in the hundreds, a covariate in the thousands.
    n = 80
    y = 300 + 50 * np.sin(np.arange(n) / 3) + rng.normal(size=n)
    X = pd.DataFrame({"price": 5000 + 100 * rng.normal(size=n)})
    model = _forecaster(
        RNNRegressor(**TINY), window=6, horizon=2, log=False, difference=0
    )
    model.fit(X.iloc[:60], y[:60])
    inputs = np.column_stack([y[:60], X["price"].to_numpy()[:60]])
    np.testing.assert_allclose(model.input_mean_, inputs.mean(axis=0))
    np.testing.assert_allclose(model.input_scale_, inputs.std(axis=0))
    X_win, Y_win = recorded_fits[0]  # the model's; then the calibration copy's
    np.testing.assert_allclose(X_win[0], (inputs[:6] - inputs.mean(0)) / inputs.std(0))
    np.testing.assert_allclose(Y_win[0], y[6:8])  # targets stay in units of y
    # Forecasts are back in the units of y.
    pred = model.predict(X.iloc[60:])
    assert pred.shape == (20,) and np.all(np.abs(pred - 300) < 150)


def test_n_estimators_averages_networks_of_different_seeds():
    X, y = _airline()
    X, y = X.iloc[:72], y.iloc[:72]
    params = dict(window=12, horizon=6, seasonal_period=12, difference=0)
    single = _forecaster(RNNRegressor(**TINY), **params).fit(X, y)
    assert single.estimators_ == [single.regressor_]
    ensemble = _forecaster(RNNRegressor(**TINY), n_estimators=3, **params).fit(X, y)
    seeds = [m.random_state for m in ensemble.estimators_]
    assert len(set(seeds)) == 3 and ensemble.regressor_ is ensemble.estimators_[0]
    # One step ahead, the networks' outputs (log growth over the season) are
    # averaged: the forecast is the geometric mean of the members' forecasts.
    members = [
        _forecaster(RNNRegressor(**{**TINY, "random_state": s}), **params).fit(X, y)
        for s in seeds
    ]
    firsts = [m.forecast(1)["forecast"].iloc[0] for m in members]
    np.testing.assert_allclose(
        ensemble.forecast(1)["forecast"].iloc[0], np.exp(np.mean(np.log(firsts)))
    )
    # Reproducible, and the seeds follow the regressor's random_state.
    again = _forecaster(RNNRegressor(**TINY), n_estimators=3, **params).fit(X, y)
    assert [m.random_state for m in again.estimators_] == seeds
    np.testing.assert_array_equal(
        again.forecast()["forecast"], ensemble.forecast()["forecast"]
    )


def test_seq2seq_strategy_decodes_the_horizon():
    X, y = _airline()
    X_train, y_train = X.iloc[:-12], y.iloc[:-12]
    model = _forecaster(
        Seq2SeqTransformer("gru", 16, lr=1e-2, max_epochs=30, random_state=0),
        window=12,
        horizon=6,
        strategy="seq2seq",
        seasonal_period=12,
        difference=0,
    ).fit(X_train, y_train)
    assert isinstance(model.regressor_, Seq2SeqTransformer)
    # Six steps from the decoder, then six more from its fed-back forecasts.
    pred = model.predict(X.iloc[-12:])
    assert pred.shape == (12,)
    naive = y_train.to_numpy()[-12:]
    truth = y.iloc[-12:].to_numpy()
    assert np.mean(np.abs(pred - truth) / truth) < 2 * np.mean(
        np.abs(naive - truth) / truth
    )
    frame = model.forecast(6)
    assert frame.index[0] == y.index[-12] and frame["lower"].notna().all()


@pytest.mark.parametrize(
    "strategy, network", [("seq2seq", RNNRegressor), ("direct", Seq2SeqTransformer)]
)
def test_strategy_and_network_must_match(strategy, network):
    X, y = _airline()
    model = _forecaster(network(**TINY), strategy=strategy, window=6, horizon=3)
    with pytest.raises(ValueError, match=f"strategy='{strategy}' needs a"):
        model.fit(X, y)
    assert not hasattr(model, "regressor_")


def test_conformal_bounds_are_symmetric_corrected_order_statistics():
    residuals = np.arange(1.0, 40.0)[:, None] * [1, -1]  # 39 per step
    # Rank ceil(40 * 0.9) = 36 of the absolute residuals, either sign.
    np.testing.assert_array_equal(
        _conformal_bounds(residuals, 0.9), [[-36.0, -36.0], [36.0, 36.0]]
    )
    # Too few residuals for that rank: the largest stands in.
    np.testing.assert_array_equal(
        _conformal_bounds(residuals[:5], 0.9), [[-5.0, -5.0], [5.0, 5.0]]
    )
    # 20 residuals: rank ceil(21 * 0.9) = 19, not 20 (0.9 * 21 = 18.9).
    np.testing.assert_array_equal(
        _conformal_bounds(np.arange(1.0, 21.0)[:, None], 0.9), [[-19.0], [19.0]]
    )


def test_holdout_interval_comes_from_a_model_that_never_saw_the_origins():
    # With one calibration origin the copy is trained on all but the last
    # `horizon` values, so its error is that of the same recipe fitted on
    # them and asked to forecast the rest through the public API.
    X, y = _airline()
    params = dict(window=12, horizon=6, seasonal_period=12, difference=0)
    model = _forecaster(RNNRegressor(**TINY), calibration_origins=1, **params).fit(
        X, y
    )
    assert model.calibration_ == "holdout"
    copy = _forecaster(RNNRegressor(**TINY), calibration="in_sample", **params)
    pred = copy.fit(X.iloc[:-6], y.iloc[:-6]).predict(X.iloc[-6:])
    truth = y.iloc[-6:].to_numpy()
    residual = np.log(truth) - np.log(pred)
    q = np.abs(residual)
    np.testing.assert_allclose(model.error_quantiles_, [-q, q], rtol=1e-6)
    # That forecast's interval ends exactly at the truth, on its side.
    bounds = pred * np.exp(model.error_quantiles_)
    side = (residual > 0).astype(int)
    np.testing.assert_allclose(bounds[side, np.arange(6)], truth)


def test_holdout_interval_is_wider_than_the_in_sample_one(rng):
    # Pure noise: a network that memorises its training windows makes small
    # in-sample errors, while unseen values are off by about the noise.
    y = 10 + rng.normal(size=150)
    net = RNNRegressor(hidden_size=32, max_epochs=150, lr=1e-2, random_state=0)
    widths = {}
    for calibration in ["in_sample", "holdout"]:
        model = _forecaster(
            net,
            window=12,
            horizon=3,
            log=False,
            difference=0,
            calibration=calibration,
        ).fit(None, y)
        widths[calibration] = np.diff(model.error_quantiles_, axis=0).mean()
    # 90 % of a unit normal lies within +-1.645: holdout width about 3.3.
    assert widths["holdout"] > 2.5
    assert widths["in_sample"] < 0.7 * widths["holdout"]


def test_calibration_auto_needs_ten_copy_windows_and_holdout_says_why(
    recorded_fits,
):
    y = np.arange(1.0, 41.0)
    short = dict(window=5, horizon=3, log=False)
    model = _forecaster(RNNRegressor(**TINY), **short).fit(None, y)
    # 40 values, 22 held out: the copy keeps 18 values, 10 windows of 5 + 3.
    assert model.calibration_ == "holdout"
    assert [len(X_win) for X_win, _ in recorded_fits] == [32, 10]
    # 23 held out: 9 windows are too few for "auto", enough for "holdout".
    model.set_params(calibration_origins=21).fit(None, y)
    assert model.calibration_ == "in_sample"
    model.set_params(calibration="holdout").fit(None, y)
    assert model.calibration_ == "holdout"
    # 35 held out: 5 values, fewer than one window needs; said before any
    # network is trained.
    recorded_fits.clear()
    with pytest.raises(ValueError, match="calibration_origins"):
        model.set_params(calibration_origins=33).fit(None, y)
    assert recorded_fits == [] and model.calibration_ == "holdout"
    # A copy of one window cannot even split off a validation sample:
    # "auto" leaves it alone.
    net = RNNRegressor(early_stopping=True, **TINY)
    model = _forecaster(net, **short).fit(None, y[:31])
    assert model.calibration_ == "in_sample"


def test_a_panel_is_never_read_as_one_long_series():
    periods = pd.period_range("2000-01", periods=20, freq="M")
    index = pd.MultiIndex.from_product([range(40), periods], names=["id", "month"])
    y = pd.Series(np.arange(800.0) + 1, index=index)
    model = _forecaster(RNNRegressor(**TINY), window=4, horizon=2)
    for X in (y.to_frame().iloc[:, :0], None):
        with pytest.raises(ValueError, match="panel of 40 series.*PanelForecaster"):
            model.fit(X, y)
    assert not hasattr(model, "estimators_")


def test_dates_as_target_and_overflowing_covariates_are_refused():
    model = _forecaster(RNNRegressor(**TINY), window=4, horizon=2)
    dates = pd.Series(pd.date_range("2000-01-01", periods=30))
    with pytest.raises(ValueError, match="target must be numbers"):
        model.fit(None, dates)
    with pytest.raises(ValueError, match="target must be numbers"):
        model.fit(None, dates.to_numpy())
    X = np.ones((30, 2))
    X[3, 1] = 1e300
    with pytest.raises(ValueError, match="column 1 has values too large"):
        model.fit(X, np.arange(30.0))
    assert X[3, 1] == 1e300


def test_auto_calibration_falling_back_to_in_sample_warns():
    y = np.exp(0.05 * np.arange(30.0))
    model = _forecaster(RNNRegressor(**TINY), window=6, horizon=3)
    with pytest.warns(UserWarning, match="in-sample residuals and is too narrow"):
        model.fit(None, y)
    assert model.calibration_ == "in_sample"
