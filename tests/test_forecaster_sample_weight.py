# SPDX-License-Identifier: BSD-3-Clause
"""sample_weight in RNNForecaster.fit: weights of the target periods."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sklearn_rnn import RNNForecaster, RNNRegressor

# Full-batch training: a zero-weight window is then exactly an absent one.
FULL_BATCH = dict(hidden_size=8, max_epochs=6, batch_size=512, lr=1e-2, random_state=0)
ONE_NET = dict(window=6, horizon=3, n_estimators=1, calibration="in_sample")


def _series(n=60, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 10 + np.sin(2 * np.pi * t / 6) + 0.3 * rng.normal(size=n)


@pytest.fixture
def received(monkeypatch):
    """What each network's fit received: (X, y, sample_weight)."""
    calls = []
    fit = RNNRegressor.fit

    def spy(self, X, y, sample_weight=None):
        calls.append((np.array(X), np.array(y), sample_weight))
        return fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(RNNRegressor, "fit", spy)
    return calls


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_windows_get_the_weights_of_their_target_periods(strategy, received):
    y = _series()
    w = np.arange(len(y), dtype=float)
    params = dict(ONE_NET, strategy=strategy, difference=1, log=False)
    RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(None, y, sample_weight=w)
    ((_, Y, got),) = received
    steps = 1 if strategy == "recursive" else 3
    # difference=1 loses one row; window 6: window i predicts rows 7 + i ...
    first = 1 + 6
    expected = [w[first + i : first + i + steps].mean() for i in range(len(Y))]
    np.testing.assert_allclose(got, expected)
    assert len(Y) == len(y) - first - steps + 1


def test_zero_weight_period_removes_its_window(received):
    y = _series()
    w = np.ones(len(y))
    w[[20, 33, 41]] = 0.0
    params = dict(ONE_NET, strategy="recursive", difference=0, log=False)
    model = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(
        None, y, sample_weight=w
    )
    ((X_win, Y, got),) = received
    keep = got > 0
    assert (~keep).sum() == 3
    # The network equals one trained on the other windows only.
    absent = RNNRegressor(**FULL_BATCH).fit(X_win[keep], Y[keep])
    np.testing.assert_allclose(
        model.regressor_.predict(X_win), absent.predict(X_win), atol=1e-5
    )
    plain = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(None, y)
    assert not np.allclose(
        plain.regressor_.predict(X_win), absent.predict(X_win), atol=1e-4
    )


def test_weights_of_periods_never_predicted_change_nothing():
    y = _series()
    params = dict(ONE_NET, strategy="recursive", difference=0, log=False)
    w = np.ones(len(y))
    w[:3] = [0.0, 5.0, 2.0]  # inside the first window: never a target
    a = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(None, y)
    b = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(
        None, y, sample_weight=w
    )
    np.testing.assert_array_equal(a.forecast().to_numpy(), b.forecast().to_numpy())


def test_equal_weights_are_no_weights():
    y = _series()
    a = RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET).fit(None, y)
    b = RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET).fit(
        None, y, sample_weight=np.full(len(y), 3.0)
    )
    np.testing.assert_allclose(a.forecast().to_numpy(), b.forecast().to_numpy())


def test_integer_weight_acts_like_a_repeated_window(received):
    y = _series()
    w = np.ones(len(y))
    w[30:40] = 2.0
    params = dict(ONE_NET, strategy="recursive", difference=0, log=False)
    model = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(
        None, y, sample_weight=w
    )
    ((X_win, Y, got),) = received
    repeats = got.astype(int)
    np.testing.assert_array_equal(repeats, got)
    repeated = RNNRegressor(**FULL_BATCH).fit(
        np.repeat(X_win, repeats, axis=0), np.repeat(Y, repeats)
    )
    # One batch holds every window: a weighted mean equals the repeated mean
    # up to float32 rounding.
    np.testing.assert_allclose(
        model.regressor_.predict(X_win), repeated.predict(X_win), atol=1e-3
    )


def test_calibration_copy_never_sees_the_weights_of_its_scored_periods():
    y = _series(80)
    params = dict(
        window=6,
        horizon=3,
        n_estimators=1,
        calibration="holdout",
        calibration_origins=10,
        strategy="recursive",
        difference=0,
        log=False,
    )
    w = np.ones(len(y))
    late = w.copy()
    late[-12:] = [0.0, 3.0] * 6  # rows the copy is scored on, not trained on
    a = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(
        None, y, sample_weight=w
    )
    b = RNNForecaster(RNNRegressor(**FULL_BATCH), **params).fit(
        None, y, sample_weight=late
    )
    np.testing.assert_array_equal(a.error_quantiles_, b.error_quantiles_)
    assert not np.array_equal(a.forecast()["forecast"], b.forecast()["forecast"])


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(59), "sample_weight.shape"),
        (-np.ones(60), "Negative values"),
        (np.zeros(60), "non-zero"),
        (np.r_[np.nan, np.ones(59)], "NaN"),
        (np.r_[np.inf, np.ones(59)], "infinity"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    model = RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET)
    with pytest.raises(ValueError, match=message):
        model.fit(None, _series(), sample_weight=weights)
    assert not hasattr(model, "estimators_")


def test_weights_only_on_periods_never_predicted_are_refused():
    w = np.zeros(60)
    w[:5] = 1.0
    model = RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET)
    with pytest.raises(ValueError, match="zero"):
        model.fit(None, _series(), sample_weight=w)


def test_weights_are_not_mutated():
    w = np.linspace(0, 2, 60).astype(np.float32)
    before = w.copy()
    RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET).fit(
        None, _series(), sample_weight=w
    )
    np.testing.assert_array_equal(w, before)


def test_metadata_routing_through_pipeline_and_grid_search():
    y = _series()
    X = pd.DataFrame(index=pd.RangeIndex(len(y)))  # no covariates
    w = np.r_[np.ones(30), np.linspace(0, 3, 30)]
    params = dict(ONE_NET, strategy="recursive")
    direct = RNNForecaster(RNNRegressor(**FULL_BATCH), **params)
    direct = direct.fit(X, y, sample_weight=w).forecast().to_numpy()
    with sklearn.config_context(enable_metadata_routing=True):
        f = RNNForecaster(RNNRegressor(**FULL_BATCH), **params)
        pipe = Pipeline([("f", f.set_fit_request(sample_weight=True))])
        pipe.fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(pipe[-1].forecast().to_numpy(), direct)
        f = RNNForecaster(RNNRegressor(**FULL_BATCH), **params)
        f.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        search = GridSearchCV(f, {"window": [6]}, cv=TimeSeriesSplit(2, test_size=3))
        search.fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(
            search.best_estimator_.forecast().to_numpy(), direct
        )
        plain = Pipeline([("f", RNNForecaster(RNNRegressor(**FULL_BATCH), **params))])
        with pytest.raises(ValueError, match="sample_weight"):
            plain.fit(X, y, sample_weight=w)


def test_weighted_model_saves_and_loads(tmp_path):
    from sklearn_rnn.persistence import load, save

    y = _series()
    w = np.linspace(0, 1, 60)
    model = RNNForecaster(RNNRegressor(**FULL_BATCH), **ONE_NET).fit(
        None, y, sample_weight=w
    )
    save(model, tmp_path / "f.skrnn")
    np.testing.assert_array_equal(
        load(tmp_path / "f.skrnn").forecast().to_numpy(), model.forecast().to_numpy()
    )


def test_seq2seq_networks_receive_the_window_weights(monkeypatch):
    from sklearn_rnn import Seq2SeqTransformer

    calls = []
    fit = Seq2SeqTransformer.fit

    def spy(self, X, y, sample_weight=None):
        calls.append(sample_weight)
        return fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(Seq2SeqTransformer, "fit", spy)
    y = _series()
    w = np.r_[np.zeros(30), np.ones(30)]
    net = Seq2SeqTransformer("gru", 4, max_epochs=2, random_state=0)
    params = dict(ONE_NET, strategy="seq2seq", difference=0, log=False)
    RNNForecaster(net, **params).fit(None, y, sample_weight=w)
    (got,) = calls
    # Window i predicts rows 6 + i .. 8 + i: the mean of their weights.
    expected = [w[6 + i : 9 + i].mean() for i in range(len(got))]
    np.testing.assert_allclose(got, expected)
    assert len(got) == 60 - 6 - 3 + 1
