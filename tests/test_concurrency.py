# SPDX-License-Identifier: BSD-3-Clause
"""A refit in one thread while another thread predicts sees whole models."""

import threading

import numpy as np
import pytest

from sklearn_rnn import RNNClassifier, RNNRegressor, Seq2SeqTransformer


def _data(seed, shift):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(64, 6))
    return X, X.sum(axis=1) * (1 + shift) + 10 * shift


def _predictions_during_refit(est, X_new, y_new, X_test, method="predict"):
    """Predict on ``X_test`` in a thread, as fast as it can, while refitting."""
    seen = []
    done = threading.Event()
    started = threading.Event()

    def predict_repeatedly():
        while not done.is_set():
            seen.append(getattr(est, method)(X_test))
            started.set()

    thread = threading.Thread(target=predict_repeatedly)
    thread.start()
    started.wait(timeout=60)  # the refit starts while predictions run
    try:
        est.fit(X_new, y_new)
    finally:
        done.set()
        thread.join()
    seen.append(getattr(est, method)(X_test))
    return seen


def _assert_only_whole_models(seen, old, new):
    def same(a, b):
        return np.array_equal(np.asarray(a), np.asarray(b))

    torn = [p for p in seen if not (same(p, old) or same(p, new))]
    assert not torn, f"{len(torn)} of {len(seen)} predictions match neither model"
    assert same(seen[-1], new)


@pytest.mark.parametrize("warm_start", [False, True])
def test_regressor_refit_versus_predict_in_threads(warm_start):
    X_old, y_old = _data(0, 0.0)
    X_new, y_new = _data(1, 3.0)
    X_test = _data(2, 0.0)[0][:8]
    # Every epoch trained (no plateau stop), so the refit lasts long enough
    # for several predictions on any CPU.
    params = dict(
        hidden_size=8,
        max_epochs=40,
        n_iter_no_change=40,
        random_state=0,
        warm_start=warm_start,
    )
    est = RNNRegressor(**params).fit(X_old, y_old)
    old = est.predict(X_test)
    # The new model, fitted the same way on its own.
    twin = RNNRegressor(**params).fit(X_old, y_old).fit(X_new, y_new)
    new = twin.predict(X_test)
    assert not np.allclose(old, new)
    seen = _predictions_during_refit(est, X_new, y_new, X_test)
    assert len(seen) > 3
    _assert_only_whole_models(seen, old, new)


def test_classifier_refit_on_other_classes_versus_predict():
    X_old, y_old = _data(0, 0.0)
    X_new, y_new = _data(1, 0.0)
    labels_old = np.where(y_old > 0, "up", "down")
    labels_new = np.digitize(y_new, [-1, 1])  # other classes, other count
    X_test = X_old[:8]
    params = dict(hidden_size=8, max_epochs=10, random_state=0)
    est = RNNClassifier(**params).fit(X_old, labels_old)
    old = est.predict_proba(X_test)
    new = RNNClassifier(**params).fit(X_new, labels_new).predict_proba(X_test)
    seen = _predictions_during_refit(est, X_new, labels_new, X_test, "predict_proba")
    _assert_only_whole_models(seen, old, new)


def test_seq2seq_refit_versus_predict():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 5))
    y_old, y_new = X[:, :3], X[:, ::-1][:, :2] * 5 + 3
    params = dict(hidden_size=8, max_epochs=8, random_state=0)
    est = Seq2SeqTransformer(**params).fit(X, y_old)
    old = est.predict(X[:6])
    new = Seq2SeqTransformer(**params).fit(X, y_new).predict(X[:6])
    seen = _predictions_during_refit(est, X, y_new, X[:6])
    _assert_only_whole_models(seen, old, new)
