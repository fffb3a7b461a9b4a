# SPDX-License-Identifier: BSD-3-Clause
"""Panel forecasting: layout, global model, splitter and scorers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import load_grunfeld
from sklearn_rnn.forecasting import (
    PanelForecaster,
    PanelSplitter,
    check_panel,
    mase,
    mase_scorer,
    naive2,
    owa,
    owa_scorer,
    panel_scores,
    smape,
    smape_scorer,
    to_panel,
)
from sklearn_rnn.forecasting._windows import WindowScaler, gather, window_origins
from sklearn_rnn.persistence import load

TINY = dict(cell="gru", hidden_size=4, max_epochs=2, lr=1e-2, batch_size=64)


def _panel(n_series=6, n=40, seed=0, ids=None):
    rng = np.random.RandomState(seed)
    months = pd.period_range("2000-01", periods=n + n_series, freq="M")
    parts = []
    for s in range(n_series):
        length = n - (s % 3) * 4  # different lengths and start dates
        t = np.arange(length)
        season = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
        values = (
            (20 + 10 * s) * (1 + 0.01 * t) * season * np.exp(0.02 * rng.randn(length))
        )
        key = ids[s] if ids is not None else f"s{s}"
        index = pd.MultiIndex.from_arrays(
            [[key] * length, months[s : s + length]], names=["id", "month"]
        )
        parts.append(pd.Series(values, index=index, name="sales"))
    return pd.concat(parts)


def _model(**params):
    params.setdefault("window", 8)
    params.setdefault("horizon", 4)
    params.setdefault("n_estimators", 1)
    return PanelForecaster(RNNRegressor(**TINY), random_state=0, **params)


def test_panel_forecast_is_long_frame_for_every_series():
    y = _panel(n_series=40, n=30)
    model = _model().fit(None, y)
    frame = model.forecast()
    assert frame.columns.tolist() == ["id", "month", "forecast", "lower", "upper"]
    assert len(frame) == 40 * 4
    assert frame["id"].nunique() == 40
    assert model.season_ == 12
    assert (frame["lower"] <= frame["forecast"]).all()
    assert (frame["forecast"] <= frame["upper"]).all()
    # Each series' dates follow its own last period.
    last = y.xs("s1").index[-1]
    assert frame.loc[frame["id"] == "s1", "month"].iloc[0] == last + 1


def test_single_series_is_the_panel_of_one():
    y = _panel(n_series=1)
    plain = y.droplevel(0)
    by_panel = _model().fit(None, y).forecast()
    by_series = _model().fit(None, plain).forecast()
    np.testing.assert_allclose(by_series["forecast"], by_panel["forecast"])
    np.testing.assert_allclose(by_series["upper"], by_panel["upper"])
    assert (by_series["month"].to_numpy() == by_panel["month"].to_numpy()).all()


@pytest.mark.parametrize("ids", [[3, 1, 2], ["b", "a", "c"]])
def test_predict_forecasts_the_rows_of_X_in_their_order(ids):
    y = _panel(n_series=3, ids=ids)
    model = _model().fit(y.to_frame().iloc[:, :0], y)
    frame = model.forecast(6)
    rows = frame.sample(frac=1, random_state=0).iloc[:10]
    X = pd.DataFrame(index=pd.MultiIndex.from_arrays([rows["id"], rows["month"]]))
    np.testing.assert_allclose(model.predict(X), rows["forecast"])


def test_integer_and_datetime_time_levels():
    y = _panel(n_series=2)
    ints = y.copy()
    ints.index = ints.index.set_levels(range(ints.index.levels[1].size), level=1)
    frame = _model().fit(None, ints).forecast()
    assert pd.api.types.is_integer_dtype(frame["month"])
    dates = y.copy()
    dates.index = dates.index.set_levels(dates.index.levels[1].to_timestamp(), level=1)
    frame = _model().fit(None, dates).forecast()
    assert frame["month"].iloc[0].day == 1


def _bad(kind):
    y = _panel(n_series=3)
    if kind == "duplicate":
        return pd.concat([y, y.iloc[[5]]]), "Series 's0' has two rows"
    if kind == "gap":
        return y.drop(y.index[10]), "Series 's0' is not regular"
    if kind == "nan":
        y = y.copy()
        y.iloc[45] = np.nan
        return y, "Series 's1' has a missing"
    if kind == "short":
        return y.iloc[35:], "Series 's0' has 5 values"
    if kind == "mixed":
        q = pd.Series(
            np.arange(1.0, 11.0),
            index=pd.MultiIndex.from_arrays(
                [["q"] * 10, pd.date_range("2000-01-01", periods=10, freq="QS")]
            ),
        )
        m = pd.Series(
            np.arange(1.0, 11.0),
            index=pd.MultiIndex.from_arrays(
                [["m"] * 10, pd.date_range("2000-01-01", periods=10, freq="MS")]
            ),
        )
        return pd.concat([m, q]), "series 'q' .*one frequency"
    if kind == "text":
        return y.astype(str), "target must be numbers"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["duplicate", "gap", "nan", "short", "mixed", "text"])
def test_bad_panels_are_refused_naming_the_series(kind):
    y, message = _bad(kind)
    before = y.copy()
    with pytest.raises(ValueError, match=message):
        _model(horizon=6).fit(None, y)
    pd.testing.assert_series_equal(y, before)


def _dated(series):
    """A panel of month-start dates: {id: DatetimeIndex}."""
    return pd.concat(
        pd.Series(
            np.arange(1.0, len(dates) + 1),
            index=pd.MultiIndex.from_arrays([[key] * len(dates), dates]),
        )
        for key, dates in series.items()
    )


_MONTHS = pd.date_range("2015-01-01", periods=24, freq="MS")


@pytest.mark.parametrize(
    "series, message",
    [
        # The first gap is named: day counts vary from month to month.
        ({"a": _MONTHS, "south": _MONTHS.delete(16)}, "2016-04-01 .* 2016-06-01"),
        ({"a": _MONTHS, "b": _MONTHS[[0, 2]]}, "2015-01-01 .* 2015-03-01"),
        (
            {"a": _MONTHS, "b": _MONTHS[:1].append(pd.DatetimeIndex(["2015-02-15"]))},
            "two dates, .* not one period",
        ),
        ({"a": _MONTHS + pd.Timedelta(days=14)}, r"one date per 'M' period.*to_period"),
        ({"a": _MONTHS[:2], "b": _MONTHS[:2]}, "No series has three dates"),
    ],
)
def test_dates_off_their_frequency_are_named(series, message):
    with pytest.raises(ValueError, match=message):
        check_panel(_dated(series))


def test_a_series_of_two_dates_is_a_panel_member():
    panel = check_panel(_dated({"a": _MONTHS, "b": _MONTHS[:2]}))
    assert panel.freq == "MS" and [len(v) for v in panel.values] == [24, 2]


def test_unknown_series_covariates_and_off_grid_rows_are_refused():
    y = _panel(n_series=2)
    model = _model().fit(None, y)
    month = y.xs("s0").index[-1] + 1
    X = pd.DataFrame(index=pd.MultiIndex.from_tuples([("zz", month)]))
    with pytest.raises(ValueError, match=r"not seen in fit: \['zz'\]"):
        model.predict(X)
    X = pd.DataFrame(index=pd.MultiIndex.from_tuples([("s0", month - 3)]))
    with pytest.raises(ValueError, match="Series 's0'.*not a period after"):
        model.predict(X)
    with pytest.raises(TypeError, match="DataFrame indexed by"):
        model.predict(np.zeros((2, 0)))


def test_no_value_after_an_origin_reaches_the_fit():
    # Changing every series' test periods leaves each fold's model as it was.
    y = _panel(n_series=4)
    X = y.to_frame().iloc[:, :0]
    cv = PanelSplitter(n_windows=2, horizon=4)
    for train, test in cv.split(X):
        changed = y.copy()
        changed.iloc[test] *= 100
        # Also every later row of each series.
        a = _model().fit(None, y.iloc[train])
        b = _model().fit(None, changed.iloc[train])
        pd.testing.assert_frame_equal(a.forecast(), b.forecast())
        assert a.predict(X.iloc[test]).shape == (len(test),)
        for key, hist in zip(a.series_ids_, a.history_):
            last = y.xs(key).index
            assert len(hist) < len(last) or key not in y.iloc[test].index.levels[0]


def test_window_scaling_reads_only_the_window():
    values = [np.arange(1.0, 31.0), np.linspace(5, 6, 12)]
    series, origins = window_origins([30, 12], window=8, steps_out=3)
    inputs, targets = gather(values, series, origins, 8, 3)
    # Origin t: inputs are the t values before it, targets the 3 after.
    row = np.flatnonzero((series == 0) & (origins == 10))[0]
    np.testing.assert_array_equal(inputs[row], np.arange(3.0, 11.0))
    np.testing.assert_array_equal(targets[row], [11.0, 12.0, 13.0])
    scaler = WindowScaler("mean")
    positive = np.ones(len(series), bool)
    x1, _, s1 = scaler.forward(inputs, targets, positive)
    x2, _, s2 = scaler.forward(inputs, targets * 1e3, positive)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(s1[0], s2[0])
    # A short series gives one window, left-padded with its first value.
    short = window_origins([5], window=8, steps_out=3)
    inputs, _ = gather([np.arange(1.0, 6.0)], *short, 8, 3)
    np.testing.assert_array_equal(inputs, [[1, 1, 1, 1, 1, 1, 1, 2]])


def test_splitter_folds_share_origins_per_series():
    y = _panel(n_series=3, n=30)
    X = y.to_frame().iloc[:, :0]
    folds = list(PanelSplitter(n_windows=3, horizon=5, step=2).split(X))
    assert PanelSplitter(n_windows=3).get_n_splits() == 3
    assert len(folds) == 3
    for k, (train, test) in enumerate(folds):
        assert len(test) == 3 * 5
        for key in ("s0", "s1", "s2"):
            rows = y.index.get_level_values(0) == key
            pos = np.flatnonzero(rows)
            end = len(pos) - (2 - k) * 2
            np.testing.assert_array_equal(np.intersect1d(test, pos), pos[end - 5 : end])
            np.testing.assert_array_equal(np.intersect1d(train, pos), pos[: end - 5])
    with pytest.raises(ValueError, match="horizon must be"):
        list(PanelSplitter(horizon=0).split(X))


def test_grid_search_with_the_panel_splitter_and_scorers():
    y = _panel(n_series=4)
    X = y.to_frame().iloc[:, :0]
    search = GridSearchCV(
        _model(),
        {"window_scaling": ["mean", "last"]},
        cv=PanelSplitter(n_windows=2, horizon=4),
        scoring={"smape": smape_scorer, "mase": mase_scorer, "owa": owa_scorer},
        refit="mase",
    )
    search.fit(X, y)
    assert set(search.best_params_) == {"window_scaling"}
    assert np.all(search.cv_results_["mean_test_smape"] < 0)
    scores = cross_validate(
        _model(), X, y, cv=PanelSplitter(n_windows=2, horizon=4), scoring=owa_scorer
    )
    assert np.isfinite(scores["test_score"]).all()


def test_metrics_as_the_m_competitions_define_them():
    assert smape([100, 100], [110, 90]) == pytest.approx(100 * (10 / 210 + 10 / 190))
    assert smape([0.0], [0.0]) == 0.0
    history = np.array([1.0, 2, 3, 4, 5, 6])
    # Seasonal-naive MAE at lag 2 is 2: errors of 1 scale to 0.5.
    assert mase([7.0, 8.0], [8.0, 7.0], history, season=2) == pytest.approx(0.5)
    assert owa(10, 1.0, 20, 2.0) == pytest.approx(0.5)
    np.testing.assert_allclose(naive2(history, 3), [6, 6, 6])
    t = np.arange(48)
    seasonal = 10 * (1 + 0.5 * np.sin(2 * np.pi * t / 12))
    np.testing.assert_allclose(naive2(seasonal, 12, 12), seasonal[:12], rtol=1e-6)


def test_owa_of_a_model_that_is_naive2_is_one():
    y = _panel(n_series=3)
    model = _model().fit(None, y)
    month = [y.xs(k).index[-1] + 1 for k in model.series_ids_]
    X = pd.DataFrame(index=pd.MultiIndex.from_arrays([model.series_ids_, month]))
    truth = pd.Series([naive2(h, 1, 12)[0] + 1 for h in model.history_], index=X.index)
    model.predict = lambda X: np.array([naive2(h, 1, 12)[0] for h in model.history_])
    scores = panel_scores(model, X, truth)
    assert scores["owa"] == pytest.approx(1.0)


def test_long_frame_round_trip_and_not_mutated():
    long = pd.DataFrame(
        {
            "store": ["b", "a"] * 12,
            "date": np.repeat(pd.date_range("2020-01-01", periods=12, freq="MS"), 2),
            "sales": np.arange(24.0) + 1,
        }
    )
    before = long.copy()
    X, y = to_panel(
        long, id_column="store", date_column="date", target="sales", freq="M"
    )
    pd.testing.assert_frame_equal(long, before)
    assert y.index.names == ["store", "date"]
    assert isinstance(y.index.levels[1], pd.PeriodIndex)
    assert y.xs("a").tolist() == list(np.arange(2.0, 25.0, 2))
    assert X.shape == (24, 0)
    panel = check_panel(y)
    assert panel.ids == ["a", "b"] and panel.freq == "M"
    with pytest.raises(ValueError, match="id_column='shop' is not a column"):
        to_panel(long, id_column="shop", date_column="date", target="sales")


def test_persistence_of_a_fitted_panel_model(tmp_path):
    y = _panel(n_series=3, ids=[1, 2, 3])
    model = _model().fit(None, y)
    model.save(tmp_path / "panel.skrnn")
    loaded = load(tmp_path / "panel.skrnn")
    pd.testing.assert_frame_equal(loaded.forecast(), model.forecast())
    X = pd.DataFrame(index=pd.MultiIndex.from_tuples([(2, y.xs(2).index[-1] + 2)]))
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))


def test_seed_ensemble_and_recursive_strategy():
    y = _panel(n_series=3)
    one = _model().fit(None, y)
    three = _model(n_estimators=3).fit(None, y)
    assert len(three.estimators_) == 3
    assert not np.allclose(one.forecast()["forecast"], three.forecast()["forecast"])
    rec = _model(strategy="recursive", calibration="none").fit(None, y)
    frame = rec.forecast(6)
    assert np.isfinite(frame["forecast"]).all()
    assert frame["lower"].isna().all()


def test_an_ensemble_over_input_lengths():
    y = _panel(n_series=3)
    model = _model(window=[4, 8], n_estimators=3).fit(None, y)
    # Network k reads window[k % 2]: 4, 8, 4 values.
    assert [e.n_timesteps_in_ for e in model.estimators_] == [4, 8, 4]
    frame = model.forecast(6)
    assert np.isfinite(frame["forecast"]).all()
    single = _model(window=[8], n_estimators=1).fit(None, y)
    pd.testing.assert_frame_equal(
        single.forecast(), _model(window=8, n_estimators=1).fit(None, y).forecast()
    )
    for bad in ([], [4, 0], [4, 2.5]):
        with pytest.raises(ValueError, match="window must be an int >= 1"):
            _model(window=bad).fit(None, y)


def test_the_bundled_panel_reads_with_integer_years():
    frame = load_grunfeld()
    before = frame.copy()
    X, y = to_panel(
        frame, id_column="firm", date_column="year", target="invest", freq="Y"
    )
    pd.testing.assert_frame_equal(frame, before)
    panel = check_panel(y)
    assert len(panel.ids) == 11 and {len(v) for v in panel.values} == {20}
    assert str(y.index.get_level_values("year")[0]) == "1935"
    assert list(X.columns) == ["value", "capital"]
    model = _model(horizon=3, past_covariates=["value", "capital"]).fit(X, y)
    frame = model.forecast()
    assert len(frame) == 33 and str(frame["year"].iloc[0]) == "1955"
    with pytest.raises(ValueError, match="integers that are not years"):
        to_panel(
            load_grunfeld().assign(year=lambda f: f["year"] - 1930),
            id_column="firm",
            date_column="year",
            target="invest",
            freq="Y",
        )
    with pytest.raises(ValueError, match="holds integers and freq='M'"):
        to_panel(
            load_grunfeld(),
            id_column="firm",
            date_column="year",
            target="invest",
            freq="M",
        )


def test_the_mase_loss_weighs_windows_in_units_of_mase():
    from sklearn_rnn.forecasting._estimator import _mase_weights, _naive_scales

    calm = 100 + np.tile([0.0, 1.0], 10)  # naive MAE 1
    wild = 100 + np.tile([0.0, 10.0], 10)  # naive MAE 10, same level
    level = np.array([100.0, 100.0])
    state = (level, level, np.array([True, True]))
    w = _mase_weights(_naive_scales([calm, wild], None), np.array([0, 1]), state)
    np.testing.assert_allclose(w, [20 / 11, 2 / 11])  # 10 to 1, mean 1
    y = _panel(n_series=3)
    model = _model(loss="mase").fit(None, y)
    assert np.isfinite(model.forecast()["forecast"]).all()


def test_predict_refuses_duplicate_rows_and_unused_windows_warn():
    y = _panel(n_series=2)
    with pytest.warns(UserWarning, match=r"\[8\] are not used"):
        model = _model(window=[4, 8], n_estimators=1).fit(None, y)
    month = y.xs("s0").index[-1] + 1
    X = pd.DataFrame(index=pd.MultiIndex.from_tuples([("s0", month)] * 2))
    with pytest.raises(ValueError, match="X has two rows for series 's0'"):
        model.predict(X)
