# SPDX-License-Identifier: BSD-3-Clause
"""Divergence that stays finite: a loss that explodes relative to its start."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_rnn import NGramLanguageModel, RNNClassifier, RNNRegressor
from sklearn_rnn._training import (
    _EXPLOSION_FACTOR,
    DivergenceGuard,
    TrainingDiverged,
)


def _data(n=64, T=6):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


def _assert_explosion_reported(est, X, y, lr):
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    msg = str(info.value)
    assert "diverged in epoch" in msg and "exploded to" in msg, msg
    assert f"smaller learning rate (lr={lr:g})" in msg and "clip_grad_norm" in msg
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_adam_at_huge_lr_is_reported_though_the_loss_stays_finite():
    X, y = _data()
    reg = RNNRegressor(hidden_size=8, lr=1e6, max_epochs=5, random_state=0)
    _assert_explosion_reported(reg, X, y, 1e6)


def test_sgd_classifier_at_huge_lr_is_reported():
    X, y = _data()
    clf = RNNClassifier(
        hidden_size=8, optimizer="sgd", lr=1e6, max_epochs=5, random_state=0
    )
    _assert_explosion_reported(clf, X, y > 0, 1e6)


def test_lstm_language_model_at_huge_lr_is_reported():
    rng = np.random.RandomState(0)
    words = np.array(["a", "b", "c", "d", "e"])
    corpus = [" ".join(rng.choice(words, size=8)) for _ in range(40)]
    lm = NGramLanguageModel(
        backbone="lstm",
        hidden_size=16,
        embedding_dim=8,
        lr=1e6,
        max_epochs=3,
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"diverged in epoch \d+.*exploded"):
        lm.fit(corpus)


def test_warm_fit_that_explodes_keeps_the_previous_model():
    X, y = _data()
    reg = RNNRegressor(hidden_size=8, max_epochs=3, warm_start=True, random_state=0)
    before = reg.fit(X, y).predict(X)
    reg.set_params(lr=1e6)
    with pytest.raises(ValueError, match="exploded"):
        reg.fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), before)


def test_healthy_fits_stay_far_below_the_threshold():
    X, y = _data()
    reg = RNNRegressor(hidden_size=8, lr=1e-2, max_epochs=20, random_state=0)
    reg.fit(X, y)
    first = reg.net_.history[0, "batches", 0, "train_loss"]
    assert max(reg.loss_curve_) < first * _EXPLOSION_FACTOR / 100


class _Net:
    """Just what the guard reads from a skorch net."""

    def __init__(self, loss, weight=1.0):
        import torch

        self.history = [{"train_loss": loss}]
        self.module_ = torch.nn.Linear(1, 1)
        with torch.no_grad():
            self.module_.weight.fill_(weight)


def test_guard_fires_on_explosion_and_on_non_finite_weights():
    import torch

    guard = DivergenceGuard()
    guard.on_train_begin(None)
    guard.on_batch_end(_Net(0.5), training=True, loss=torch.tensor(0.5))
    guard.on_epoch_end(_Net(0.5 * _EXPLOSION_FACTOR / 2))  # large, not exploded
    with pytest.raises(TrainingDiverged) as info:
        guard.on_epoch_end(_Net(0.5 * _EXPLOSION_FACTOR * 2))
    assert info.value.start == 0.5
    with pytest.raises(TrainingDiverged):
        guard.on_epoch_end(_Net(0.4, weight=float("inf")))
    # Validation losses never set the reference.
    guard.on_train_begin(None)
    guard.on_batch_end(_Net(1.0), training=False, loss=torch.tensor(1e-9))
    guard.on_batch_end(_Net(1.0), training=True, loss=torch.tensor(1.0))
    guard.on_epoch_end(_Net(10.0))


def test_messages_name_the_loss_or_the_weights():
    from sklearn_rnn._training import TrainingSettings, _divergence_message

    settings = TrainingSettings(lr=0.5)
    exploded = _divergence_message(TrainingDiverged(3, 2e6, True, 0.0), settings)
    assert exploded.startswith("Training diverged in epoch 3: the training loss ")
    assert "exploded to 2e+06, from 0 in the first batch" in exploded
    weights = _divergence_message(
        TrainingDiverged(4, float("nan"), True, 1.0), settings
    )
    assert "epoch 4: the weights stopped being finite" in weights
    for msg in (exploded, weights):
        assert "smaller learning rate (lr=0.5)" in msg and "clip_grad_norm" in msg
