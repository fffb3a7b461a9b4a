# SPDX-License-Identifier: BSD-3-Clause
"""pandas in, pandas out: names, dates and dtypes survive."""

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import (
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    Seq2SeqTransformer,
    SlidingWindowTransformer,
)

FAST = dict(hidden_size=4, max_epochs=2, random_state=0)


def _dated(n=40, name="sales"):
    index = pd.date_range("2021-01-01", periods=n, freq="D", name="day")
    return pd.Series(
        np.arange(1.0, n + 1) + np.sin(np.arange(n)), index=index, name=name
    )


def test_window_transformer_takes_a_series_and_keeps_its_name_and_dates():
    series = _dated(10)
    swt = SlidingWindowTransformer(window=3).set_output(transform="pandas")
    out = swt.fit_transform(series)
    assert list(swt.feature_names_in_) == ["sales"]
    assert list(out.columns) == ["sales_lag2", "sales_lag1", "sales_lag0"]
    # Each window is labelled by the date of its last step.
    pd.testing.assert_index_equal(out.index, series.index[2:])
    np.testing.assert_array_equal(out.iloc[0], series.iloc[:3])
    # The same numbers as for the one-column frame and the bare values.
    np.testing.assert_array_equal(
        out,
        SlidingWindowTransformer(window=3).fit_transform(series.to_numpy()[:, None]),
    )


def test_regressor_keeps_feature_names_and_checks_them(rng):
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=["t0", "t1", "t2", "t3"])
    y = pd.Series(X.sum(axis=1), name="total")
    reg = RNNRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(reg.feature_names_in_, ["t0", "t1", "t2", "t3"])
    assert reg.predict(X).shape == (30,)
    with pytest.raises(ValueError, match="feature names should match"):
        reg.predict(X[X.columns[::-1]])


def test_nullable_and_categorical_pandas_dtypes(rng):
    X = pd.DataFrame(rng.normal(size=(30, 4))).astype("Float64")
    y = pd.Series(rng.normal(size=30)).astype("Float64")
    assert np.isfinite(RNNRegressor(**FAST).fit(X, y).predict(X)).all()
    labels = pd.Series(pd.Categorical(np.where(rng.rand(30) > 0.5, "a", "b")))
    clf = RNNClassifier(**FAST).fit(X, labels)
    assert set(clf.predict(X)) <= {"a", "b"}


def test_forecaster_dates_its_forecasts():
    y = _dated()
    model = RNNForecaster(RNNRegressor(**FAST), window=5, horizon=3).fit(None, y)
    frame = model.forecast()
    expected = pd.date_range("2021-02-10", periods=3, freq="D", name="day")
    pd.testing.assert_index_equal(frame.index, expected)
    # A later date range: the forecast of those dates, from the same path.
    later = pd.DataFrame(index=pd.date_range("2021-02-12", periods=2, freq="D"))
    np.testing.assert_allclose(
        model.predict(later), model.forecast(4)["forecast"].to_numpy()[2:]
    )


@pytest.mark.parametrize("lengths", ["ragged", "equal", "equal 2-D"])
@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier, Seq2SeqTransformer])
def test_a_column_of_sequences_is_a_list_of_sequences(Estimator, lengths, rng):
    # df["seq"] holds one array per row: NumPy cannot make it numeric, so
    # it is read as the list it holds, in fit and predict alike.
    sizes = [2, 3, 4] * 4 if lengths == "ragged" else [3] * 12
    tail = (2,) if lengths == "equal 2-D" else ()
    seqs = [rng.normal(size=(k, *tail)) for k in sizes]
    column = pd.Series(seqs, index=range(10, 10 + len(seqs)), dtype=object)
    df = pd.DataFrame({"seq": column})
    y = np.array([s.sum() for s in seqs])
    if Estimator is RNNClassifier:
        y = y > 0
    elif Estimator is Seq2SeqTransformer:
        y = np.c_[y, -y]
    from_list = Estimator(**FAST).fit(seqs, y).predict(seqs)
    est = Estimator(**FAST).fit(df["seq"], y)
    np.testing.assert_array_equal(est.predict(df["seq"]), from_list)
    # The same as a 1-D object array.
    column = np.empty(len(seqs), dtype=object)
    column[:] = seqs
    np.testing.assert_array_equal(est.predict(column), from_list)


def test_per_step_targets_in_a_column(rng):
    seqs = [rng.normal(size=4) for _ in range(12)]
    X, y = pd.Series(seqs), pd.Series([2 * s for s in seqs])
    reg = RNNRegressor(return_sequences=True, **FAST).fit(X, y)
    expected = RNNRegressor(return_sequences=True, **FAST).fit(seqs, list(y))
    np.testing.assert_array_equal(reg.predict(X), expected.predict(seqs))
    assert reg.score(X, y) == expected.score(seqs, list(y))
    s2s = Seq2SeqTransformer(**FAST).fit(X, pd.Series([s[:2] for s in seqs]))
    assert s2s.predict(X).shape == (12, 2)
