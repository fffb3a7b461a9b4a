# SPDX-License-Identifier: BSD-3-Clause
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import check_estimator

from sklearn_rnn import RNNRegressor, SlidingWindowTransformer, make_windows

# (n_timesteps, window, horizon, stride), including the edge cases: exactly
# one window, a stride that skips the last rows, a stride longer than the
# window (gaps between windows) and window=1.
GEOMETRIES = [
    (10, 3, 1, 1),
    (10, 3, 2, 1),
    (10, 3, 2, 2),
    (11, 3, 2, 3),
    (12, 2, 1, 5),
    (5, 4, 1, 1),
    (7, 1, 3, 1),
    (20, 6, 4, 3),
]


def _n_windows(n, window, horizon, stride):
    return (n - window - horizon) // stride + 1


def _time_coded(n, n_features):
    """Series whose value encodes its time step and column: 10 * t + c."""
    return 10.0 * np.arange(n)[:, None] + np.arange(n_features)


# ----------------------------------------------------------------------
# make_windows: shapes and alignment
# ----------------------------------------------------------------------
@pytest.mark.parametrize("n, window, horizon, stride", GEOMETRIES)
def test_make_windows_shapes(n, window, horizon, stride):
    X, y = make_windows(
        np.arange(n, dtype=float), window, horizon=horizon, stride=stride
    )
    n_windows = _n_windows(n, window, horizon, stride)
    assert X.shape == (n_windows, window, 1)
    assert y.shape == (n_windows, horizon)


@pytest.mark.parametrize("n, window, horizon, stride", GEOMETRIES)
def test_make_windows_never_sees_the_future(n, window, horizon, stride):
    # In an increasing series a window that contained a value of its own
    # target period (or later) would have a value >= its smallest target.
    series = np.arange(n, dtype=float)
    X, y = make_windows(series, window, horizon=horizon, stride=stride)
    assert np.all(X[:, :, 0].max(axis=1) < y.min(axis=1))
    # ... and the first target is exactly the step after the window.
    assert_array_equal(y[:, 0], X[:, -1, 0] + 1)
    # Exact rows: window i covers [i*stride, i*stride + window), its targets
    # [i*stride + window, i*stride + window + horizon).
    starts = np.arange(len(X)) * stride
    assert_array_equal(X[:, :, 0], starts[:, None] + np.arange(window))
    assert_array_equal(y, starts[:, None] + window + np.arange(horizon))


def test_make_windows_last_window_uses_last_row():
    X, y = make_windows(np.arange(10.0), 3, horizon=2)
    assert y[-1, -1] == 9.0
    # With a stride the trailing rows that do not fill a window are unused.
    X, y = make_windows(np.arange(10.0), 3, horizon=2, stride=3)
    assert_array_equal(y[:, -1], [4.0, 7.0])


def test_make_windows_multivariate_roles():
    series = _time_coded(12, 4)  # columns 0..3
    X, y = make_windows(series, 4, horizon=2, target=1, exog=[3])
    # Inputs are target and exog columns in their order in the series.
    assert X.shape == (7, 4, 2)
    assert_array_equal(X[0, :, 0], [1, 11, 21, 31])
    assert_array_equal(X[0, :, 1], [3, 13, 23, 33])
    assert_array_equal(y[0], [41, 51])
    # No value of any input column comes from the target period.
    times_x = X // 10
    times_y = y // 10
    assert np.all(times_x.max(axis=(1, 2)) < times_y.min(axis=1))


def test_make_windows_several_targets_and_default_exog():
    series = _time_coded(10, 3)
    X, y = make_windows(series, 3, horizon=2, target=[0, 2])
    # exog=None: every other column is an exogenous input.
    assert X.shape == (6, 3, 3)
    assert y.shape == (6, 2, 2)
    assert_array_equal(y[0], [[30, 32], [40, 42]])
    X, y = make_windows(series, 3, horizon=2, target=[0, 2], exog=[])
    assert_array_equal(X[0, :, 1], [2, 12, 22])
    assert X.shape == (6, 3, 2)


def test_make_windows_all_columns_are_targets_by_default():
    series = _time_coded(8, 2)
    X, y = make_windows(series, 3)
    assert X.shape == (5, 3, 2)
    assert y.shape == (5, 1, 2)
    assert_array_equal(y[:, 0], series[3:])


@pytest.mark.parametrize(
    "target, expected_ndim", [(None, 2), (0, 2), ([0], 3), (np.array([0]), 3)]
)
def test_make_windows_y_ndim_follows_target_spec(target, expected_ndim):
    _, y = make_windows(np.arange(6.0), 2, horizon=2, target=target)
    assert y.ndim == expected_ndim


def test_make_windows_known_future_covariates():
    series = _time_coded(10, 3)  # 0: target, 1: exog, 2: calendar
    X, y, X_future = make_windows(
        series, 3, horizon=2, target=0, known_future=2, return_future=True
    )
    # Past values of the known-future column are ordinary inputs ...
    assert X.shape == (6, 3, 3)
    assert_array_equal(X[0, :, 2], [2, 12, 22])
    # ... and its values over the horizon line up with y.
    assert X_future.shape == (6, 2, 1)
    assert_array_equal(X_future[:, :, 0], y + 2)
    # Without return_future nothing from the target period is returned.
    out = make_windows(series, 3, horizon=2, target=0, known_future=2)
    assert len(out) == 2
    assert np.all(out[0].max(axis=(1, 2)) // 10 < out[1].min(axis=1) // 10)


def test_make_windows_dataframe_with_datetime_index():
    index = pd.date_range("2024-01-01", periods=9, freq="h")
    df = pd.DataFrame(
        {
            "load": np.arange(9.0),
            "temp": np.arange(9.0) + 100,
            "hour": np.arange(9.0) % 24 + 1000,
        },
        index=index,
    )
    X, y, X_future, target_index = make_windows(
        df,
        4,
        horizon=2,
        stride=2,
        target="load",
        exog=["temp"],
        known_future="hour",
        return_future=True,
        return_index=True,
    )
    assert X.shape == (2, 4, 3)
    assert_array_equal(X[1, :, 0], [2, 3, 4, 5])
    assert_array_equal(X[1, :, 1], [102, 103, 104, 105])
    assert_array_equal(y, [[4, 5], [6, 7]])
    assert_array_equal(X_future[:, :, 0], [[1004, 1005], [1006, 1007]])
    # The target timestamps are those of the rows of y.
    assert target_index.shape == y.shape
    assert_array_equal(target_index, index.to_numpy()[[[4, 5], [6, 7]]])
    assert pd.DatetimeIndex(target_index[:, 0]).equals(index[[4, 6]])


def test_make_windows_index_for_arrays_is_row_positions():
    _, y, idx = make_windows(np.arange(10.0) * 2, 3, horizon=2, return_index=True)
    assert_array_equal(idx, y / 2)


def test_make_windows_series_input():
    s = pd.Series(np.arange(6.0), name="x", index=pd.RangeIndex(100, 106))
    X, y, idx = make_windows(s, 2, return_index=True)
    assert X.shape == (4, 2, 1)
    assert_array_equal(y[:, 0], [2, 3, 4, 5])
    assert_array_equal(idx[:, 0], [102, 103, 104, 105])
    assert make_windows(s, 2, target="x")[1].ndim == 2


def test_make_windows_uneven_columns_are_copied_correctly():
    # Columns 0 and 3 and 4 are not evenly spaced: no view is possible, so
    # the series is copied, with the same windows.
    series = _time_coded(8, 5)
    X, y = make_windows(series, 3, target=0, exog=[3, 4])
    assert_array_equal(X[0], series[:3][:, [0, 3, 4]])
    assert_array_equal(y[:, 0], series[3:, 0])


def test_make_windows_nullable_and_int_columns():
    df = pd.DataFrame(
        {"a": pd.array([1, 2, 3, 4, 5], dtype="Int64"), "b": np.arange(5)}
    )
    X, y = make_windows(df, 2, target="a")
    assert_array_equal(y[:, 0], [3, 4, 5])
    df.loc[2, "a"] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        make_windows(df, 2, target="a")


# ----------------------------------------------------------------------
# make_windows: memory
# ----------------------------------------------------------------------
def test_make_windows_returns_read_only_views():
    series = _time_coded(50, 3)
    X, y, X_future, _ = make_windows(
        series,
        5,
        horizon=3,
        stride=2,
        target=0,
        exog=1,
        known_future=2,
        return_future=True,
        return_index=True,
    )
    for arr in (X, y, X_future):
        assert np.shares_memory(arr, series)
        assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0, 0] = -1.0


def test_make_windows_dataframe_is_not_copied():
    df = pd.DataFrame(_time_coded(30, 3), columns=["a", "b", "c"])
    X, y = make_windows(df, 5, target="a", exog=["c"])
    assert np.shares_memory(X, df.to_numpy())
    assert np.shares_memory(y, df.to_numpy())


def test_make_windows_does_not_mutate_input():
    series = _time_coded(20, 3)
    original = series.copy()
    df = pd.DataFrame(series.copy(), columns=["a", "b", "c"])
    df_original = df.copy()
    make_windows(
        series, 4, horizon=2, target=[0, 1], known_future=2, return_future=True
    )
    make_windows(df, 4, horizon=2, target="a", return_index=True)
    assert_array_equal(series, original)
    assert series.flags.writeable
    pd.testing.assert_frame_equal(df, df_original)


# ----------------------------------------------------------------------
# make_windows: errors
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(window=10), ValueError, "10 time steps, too few.*at least 11"),
        (dict(window=8, horizon=3), ValueError, "at least 11"),
        (dict(window=3, horizon=0), ValueError, "horizon must be >= 1, got 0"),
        (dict(window=0), ValueError, "window must be >= 1"),
        (dict(window=3, stride=0), ValueError, "stride must be >= 1"),
        (dict(window=2.5), TypeError, "window must be an int"),
        (dict(window=True), TypeError, "window must be an int"),
        (dict(window=3, target="a"), ValueError, "integer column positions"),
        (dict(window=3, target=5), ValueError, "out of range"),
        (dict(window=3, target=[0, 0]), ValueError, "more than once"),
        (dict(window=3, target=[]), ValueError, "at least one column"),
        (dict(window=3, target=0, exog=[0, 1]), ValueError, "both target and exog"),
        (dict(window=3, exog=[0, 1]), ValueError, "No target column left"),
        (dict(window=3, target=0, return_future=True), ValueError, "known_future"),
        (
            dict(window=3, exog=1, known_future=1),
            ValueError,
            "both exog and known_future",
        ),
    ],
)
def test_make_windows_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_windows(_time_coded(10, 2), **kwargs)


def test_make_windows_rejects_nan_in_used_columns_only():
    df = pd.DataFrame(
        {"a": np.arange(8.0), "b": np.arange(8.0), "c": np.arange(8.0)},
        index=pd.date_range("2024-01-01", periods=8, freq="D"),
    )
    df.loc[df.index[5], "b"] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*2024-01-06.*'b'"):
        make_windows(df, 3, target="a")
    # Column b is not used: its NaN does not matter.
    make_windows(df, 3, target="a", exog=["c"])
    arr = np.arange(8.0)
    arr[2] = np.inf
    with pytest.raises(ValueError, match=r"NaN or infinite.*first at row 2,"):
        make_windows(arr, 3)


def test_make_windows_rejects_bad_series():
    with pytest.raises(ValueError, match="Unknown column 'x'"):
        make_windows(pd.DataFrame({"a": np.arange(5.0)}), 2, target="x")
    with pytest.raises(ValueError, match="not numeric"):
        df = pd.DataFrame({"a": np.arange(5.0), "s": list("abcde")})
        make_windows(df, 2)
    with pytest.raises(ValueError, match="duplicate column"):
        make_windows(pd.DataFrame(np.ones((5, 2)), columns=["a", "a"]), 2)
    with pytest.raises(ValueError, match="shape"):
        make_windows(np.ones((5, 2, 2)), 2)
    with pytest.raises(ValueError, match="real numbers"):
        make_windows(np.ones(5, dtype=complex), 2)
    with pytest.raises(ValueError, match="hold numbers"):
        make_windows(np.array(["a", "b", "c"], dtype=object), 1)
    with pytest.raises(ValueError, match="no columns"):
        make_windows(np.ones((5, 0)), 2)


# ----------------------------------------------------------------------
# SlidingWindowTransformer
# ----------------------------------------------------------------------
@pytest.mark.parametrize("n, window, horizon, stride", GEOMETRIES)
def test_transformer_rows_are_flattened_windows(n, window, horizon, stride):
    series = _time_coded(n, 3)
    Xt = SlidingWindowTransformer(window, stride=stride).fit_transform(series)
    assert Xt.shape == ((n - window) // stride + 1, window * 3)
    # Time-major: all features of the oldest step first.
    first = series[:window].reshape(-1)
    assert_array_equal(Xt[0], first)
    # The same windows as make_windows, plus the trailing windows whose
    # targets would lie beyond the series.
    X, _ = make_windows(series, window, horizon=horizon, stride=stride)
    assert_array_equal(Xt[: len(X)], X.reshape(len(X), -1))
    # No window reaches past its own last step (lag0): values increase.
    times = (Xt // 10).reshape(len(Xt), window, 3)
    assert_array_equal(times[:, -1, 0], np.arange(len(Xt)) * stride + window - 1)


def test_transformer_feature_names():
    swt = SlidingWindowTransformer(3).fit(np.zeros((5, 2)))
    assert_array_equal(
        swt.get_feature_names_out(),
        ["x0_lag2", "x1_lag2", "x0_lag1", "x1_lag1", "x0_lag0", "x1_lag0"],
    )
    assert_array_equal(
        swt.get_feature_names_out(["u", "v"]),
        ["u_lag2", "v_lag2", "u_lag1", "v_lag1", "u_lag0", "v_lag0"],
    )
    with pytest.raises(ValueError, match="input_features should have length"):
        swt.get_feature_names_out(["u"])
    df = pd.DataFrame({"passengers": np.arange(5.0)})
    swt = SlidingWindowTransformer(3).fit(df)
    assert_array_equal(
        swt.get_feature_names_out(),
        ["passengers_lag2", "passengers_lag1", "passengers_lag0"],
    )
    with pytest.raises(ValueError, match="not equal to feature_names_in_"):
        swt.get_feature_names_out(["other"])


def test_transformer_pandas_output():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) + 10}, index=index)
    swt = SlidingWindowTransformer(3, stride=2).set_output(transform="pandas")
    out = swt.fit_transform(df)
    assert list(out.columns) == [
        "a_lag2",
        "b_lag2",
        "a_lag1",
        "b_lag1",
        "a_lag0",
        "b_lag0",
    ]
    # Each window is labelled by its last time step.
    assert out.index.equals(index[[2, 4]])
    assert_array_equal(out["a_lag0"], [2.0, 4.0])
    assert_array_equal(out["b_lag2"], [10.0, 12.0])
    # An independent, writable table.
    out.iloc[0, 0] = -1.0
    assert out.iloc[1, 0] == 2.0
    assert df.iloc[0, 0] == 0.0
    # Array input: default RangeIndex.
    out = swt.fit_transform(df.to_numpy())
    assert out.index.equals(pd.RangeIndex(2))
    assert list(out.columns)[-1] == "x1_lag0"


def test_transformer_is_zero_copy_for_row_major_input():
    X = _time_coded(100, 4)
    Xt = SlidingWindowTransformer(10, stride=3).fit_transform(X)
    assert np.shares_memory(Xt, X)
    assert not Xt.flags.writeable
    # Column-major input gives the same values (a view of one row-major copy
    # of the series).
    Xf = np.asfortranarray(X)
    Xt_f = SlidingWindowTransformer(10, stride=3).fit_transform(Xf)
    assert not np.shares_memory(Xt_f, Xf)
    assert_array_equal(Xt_f, Xt)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_transformer_keeps_dtype(dtype):
    X = np.arange(12, dtype=dtype).reshape(6, 2)
    assert SlidingWindowTransformer(2).fit_transform(X).dtype == dtype


def test_transformer_does_not_mutate_input():
    X = _time_coded(20, 3)
    original = X.copy()
    swt = SlidingWindowTransformer(4).fit(X)
    make_pipeline(swt, StandardScaler()).fit_transform(X)
    assert_array_equal(X, original)
    assert X.flags.writeable


def test_transformer_in_pipeline_with_read_only_output():
    X = _time_coded(30, 2)
    pipe = make_pipeline(SlidingWindowTransformer(5), StandardScaler(copy=True))
    Z = pipe.fit_transform(X)
    assert Z.shape == (26, 10)
    assert np.allclose(Z.mean(axis=0), 0)


def test_transformer_errors():
    swt = SlidingWindowTransformer(5)
    with pytest.raises(ValueError, match="at least 5 time steps.*n_samples=4"):
        swt.fit(np.zeros((4, 2)))
    swt.fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="at least 5 time steps.*n_samples=3"):
        swt.transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="2 features"):
        swt.transform(np.zeros((10, 3)))
    X = np.zeros((10, 2))
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        swt.transform(X)
    with pytest.raises(ValueError, match="window"):
        SlidingWindowTransformer(0).fit(np.zeros((10, 2)))


# ----------------------------------------------------------------------
# scikit-learn's checks with a real window
# ----------------------------------------------------------------------
# The checks that assume a transform works row by row (as many rows out as
# in; each row's output independent of the other rows and of their order).
# tests/test_common.py declares exactly these as expected failures; this test
# proves that no other check fails, for two real window shapes.
ROW_WISE_CHECKS = {
    "check_transformer_general",
    "check_transformer_data_not_an_array",
    "check_methods_subset_invariance",
    "check_methods_sample_order_invariance",
}


@pytest.mark.parametrize("params", [dict(window=3), dict(window=4, stride=2)])
def test_check_estimator_with_a_real_window(params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            SlidingWindowTransformer(**params), on_fail=None, on_skip=None
        )
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed == ROW_WISE_CHECKS


@pytest.mark.parametrize(
    "check",
    [
        "check_set_output_transform",
        "check_set_output_transform_pandas",
        "check_global_output_transform_pandas",
        "check_transformer_get_feature_names_out",
        "check_transformer_get_feature_names_out_pandas",
        "check_get_feature_names_out_error",
        "check_dataframe_column_names_consistency",
    ],
)
@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names")
def test_sklearn_output_and_feature_name_checks(check):
    # Run by scikit-learn's own test suite but not by check_estimator. The
    # pandas ones expect the input's index on the output, hence window=1;
    # test_transformer_pandas_output covers real windows.
    check_func = getattr(estimator_checks, check)
    check_func("SlidingWindowTransformer", SlidingWindowTransformer(window=1))
    if "pandas" not in check or "names" in check:
        check_func("SlidingWindowTransformer", SlidingWindowTransformer(window=3))


def test_several_targets_train_a_regressor_one_row_per_window():
    t = np.arange(60.0)
    frame = pd.DataFrame({"a": np.sin(t / 4), "b": np.cos(t / 4)})
    X, y = make_windows(frame, 8, horizon=2, target=["a", "b"])
    assert y.shape == (51, 2, 2)
    reg = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0)
    with pytest.raises(ValueError, match=r"y.reshape\(len\(y\), -1\)"):
        reg.fit(X, y)
    pred = reg.fit(X, y.reshape(len(y), -1)).predict(X).reshape(y.shape)
    assert pred.shape == (51, 2, 2) and np.isfinite(pred).all()


def test_tuple_column_labels_name_one_column():
    columns = pd.MultiIndex.from_tuples([("x", "1"), ("x", "2")])
    frame = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=columns)
    X, y = make_windows(frame, 2, target=("x", "1"), exog=[("x", "2")])
    # One label, as a string label would be: y is (n_windows, horizon).
    assert y.shape == (8, 1)
    np.testing.assert_array_equal(y[:, 0], frame[("x", "1")].to_numpy()[2:])
    np.testing.assert_array_equal(X[0], frame.to_numpy()[:2])
    _, y_list = make_windows(frame, 2, target=[("x", "1")], exog=[("x", "2")])
    assert y_list.shape == (8, 1, 1)


def test_windows_at_origins_pad_with_the_end_values():
    from sklearn_rnn.windowing import windows_at

    series = np.arange(10.0).reshape(5, 2)  # 5 steps, 2 columns
    cut = windows_at(series, np.array([0, 2, 5]), window=3, horizon=2)
    assert cut.shape == (3, 5, 2)
    # Origin 2: the values at steps -1, 0, 1 (the first repeated), then 2, 3.
    np.testing.assert_array_equal(cut[1, :, 0], [0, 0, 2, 4, 6])
    # Origin 0 reads only padding before it; origin 5 reads past the end.
    np.testing.assert_array_equal(cut[0, :3, 1], [1, 1, 1])
    np.testing.assert_array_equal(cut[2, :, 0], [4, 6, 8, 8, 8])
    assert not np.shares_memory(cut, series)
    # Each window is the slice make_windows gives where no padding is needed.
    X, y = make_windows(series, 2, horizon=1)
    inner = windows_at(series, np.arange(2, 5), window=2, horizon=1)
    np.testing.assert_array_equal(inner[:, :2], X)
    np.testing.assert_array_equal(inner[:, 2], y[:, 0])
