# SPDX-License-Identifier: BSD-3-Clause
"""Divergence, Ctrl-C during fit, and warm starts, on every neural estimator."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_rnn import RNNClassifier, RNNForecaster, RNNRegressor
from sklearn_rnn._training import DivergenceGuard


def _data(n=64, T=10):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


# lr=10 with plain SGD on a ReLU Elman network explodes within a few epochs.
EXPLODING = dict(
    cell="rnn",
    nonlinearity="relu",
    optimizer="sgd",
    lr=10.0,
    hidden_size=16,
    max_epochs=20,
    random_state=0,
)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_lr_10_diverges_with_an_error_naming_the_epoch(Estimator):
    X, y = _data()
    y = y if Estimator is RNNRegressor else y > 0
    est = Estimator(**EXPLODING)
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    msg = str(info.value)
    epoch = int(msg.split("diverged in epoch ")[1].split(":")[0])
    assert 1 <= epoch <= EXPLODING["max_epochs"]
    assert "smaller learning rate (lr=10)" in msg and "clip_grad_norm" in msg
    # No model predicting NaN is left behind.
    with pytest.raises(NotFittedError):
        est.predict(X)
    # The suggested remedy works: clipping keeps the same setting finite.
    est.set_params(clip_grad_norm=1.0, lr=0.1).fit(X, y)
    assert np.all(np.isfinite(est.predict(X)))


def test_diverging_forecaster_raises_and_stays_unfitted():
    y = 100 + np.cumsum(np.random.RandomState(0).normal(size=80)) * 50
    f = RNNForecaster(RNNRegressor(**EXPLODING), window=8, horizon=2, log=False)
    with pytest.raises(ValueError, match=r"diverged in epoch \d+"):
        f.fit(None, y)
    # All or nothing: no half-fitted attributes (log_, n_features_in_) left.
    assert not hasattr(f, "log_") and not hasattr(f, "n_features_in_")
    with pytest.raises(NotFittedError):
        f.predict(pd.DataFrame(index=range(2)))


def test_validation_loss_divergence_names_the_validation_loss(monkeypatch):
    X, y = _data()
    original = DivergenceGuard.on_batch_end

    def nan_in_validation(self, net, batch=None, training=False, loss=None, **kw):
        if not training and len(net.history) == 2:
            loss = loss * float("nan")
        return original(self, net, batch=batch, training=training, loss=loss, **kw)

    monkeypatch.setattr(DivergenceGuard, "on_batch_end", nan_in_validation)
    reg = RNNRegressor(hidden_size=4, max_epochs=5, early_stopping=True)
    with pytest.raises(ValueError, match="epoch 2: the validation loss became nan"):
        reg.fit(X, y)


def _interrupt_at_batch(monkeypatch, n):
    """Make the net's divergence callback raise KeyboardInterrupt at batch n."""
    original = DivergenceGuard.on_batch_end
    seen = {"batches": 0}

    def interrupt(self, net, batch=None, training=False, **kwargs):
        if training:
            seen["batches"] += 1
            if seen["batches"] == n:
                raise KeyboardInterrupt
        return original(self, net, batch=batch, training=training, **kwargs)

    monkeypatch.setattr(DivergenceGuard, "on_batch_end", interrupt)


def test_ctrl_c_mid_epoch_keeps_the_best_weights(monkeypatch):
    X, y = _data(n=80)
    # batch_size=18 and 72 training rows: 4 batches an epoch; Ctrl-C comes
    # in the middle of epoch 6, after 5 complete epochs.
    _interrupt_at_batch(monkeypatch, 4 * 5 + 2)
    reg = RNNRegressor(
        hidden_size=8,
        batch_size=18,
        lr=0.05,
        max_epochs=50,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=50,
        min_steps=0,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="interrupted after 5 of 50 epochs.*best"):
        reg.fit(X, y)
    assert len(reg.validation_scores_) == 5  # the interrupted epoch has none
    # The kept weights are the best epoch's: their validation loss (on the
    # last 10 %, in order) is best_loss_, not that of the half-trained epoch.
    n_valid = 8
    pred = (reg.predict(X[-n_valid:]) - reg._y_mean) / reg._y_scale
    target = (y[-n_valid:] - reg._y_mean) / reg._y_scale
    assert np.mean((pred - target) ** 2) == pytest.approx(reg.best_loss_, rel=1e-4)


def test_ctrl_c_in_the_classifier_and_forecaster(monkeypatch):
    X, y = _data()
    _interrupt_at_batch(monkeypatch, 3)
    clf = RNNClassifier(hidden_size=4, max_epochs=5, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 1 of 5"):
        clf.fit(X, y > 0)
    assert set(clf.predict(X)) <= {False, True}

    monkeypatch.undo()
    _interrupt_at_batch(monkeypatch, 3)  # 52 windows: 2 batches an epoch
    series = 100 + np.cumsum(np.random.RandomState(1).normal(size=60))
    f = RNNForecaster(
        RNNRegressor(hidden_size=4, max_epochs=5, random_state=0), window=6, horizon=2
    )
    with pytest.warns(UserWarning, match="interrupted after 1 of 5"):
        f.fit(None, series)
    assert np.all(np.isfinite(f.predict(pd.DataFrame(index=range(3)))))


def test_ctrl_c_in_the_first_epoch_stops_and_changes_nothing(monkeypatch):
    X, y = _data()
    fitted = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    before = fitted.predict(X)
    net = fitted.net_
    _interrupt_at_batch(monkeypatch, 1)
    # No epoch completed: there is no model to keep, so Ctrl-C stops the fit
    # like any Ctrl-C, and the estimator is left as it was.
    with pytest.raises(KeyboardInterrupt):
        fitted.fit(X * 2, y)
    assert fitted.net_ is net
    np.testing.assert_array_equal(fitted.predict(X), before)
    fresh = RNNRegressor(hidden_size=4, max_epochs=2)
    _interrupt_at_batch(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    # A warm start interrupted in its first epoch keeps its previous weights.
    warm = RNNRegressor(hidden_size=4, max_epochs=2, warm_start=True)
    monkeypatch.undo()
    warm.fit(X, y)
    before = warm.predict(X)
    _interrupt_at_batch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        warm.fit(X, y)
    np.testing.assert_array_equal(warm.predict(X), before)
    assert warm.n_iter_ == 2


def test_warm_start_continues_the_loss_curve():
    X, y = _data()
    params = dict(hidden_size=8, max_epochs=6, lr=1e-2, random_state=0)
    reg = RNNRegressor(warm_start=True, **params).fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 12 and reg.loss_curve_[:6] == first
    # The second fit starts where the first ended, not from scratch: its
    # first epoch is better than a fresh model's sixth.
    assert reg.loss_curve_[6] < first[-1] * 1.05
    assert reg.loss_curve_[-1] < first[-1]
    # Without warm_start a refit starts over and is identical to the first.
    cold = RNNRegressor(**params).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 6 and cold.loss_curve_ == first


def test_warm_fit_failing_after_training_leaves_the_net_as_it_was(monkeypatch):
    # The interruption warning comes after training; turned into an error
    # (pytest -W error), it fails the fit, which must then leave the net,
    # trained in place by a warm fit, as it was.
    X, y = _data()
    reg = RNNRegressor(hidden_size=4, max_epochs=3, warm_start=True, random_state=0)
    reg.fit(X, y)
    before, epochs = reg.predict(X), len(reg.net_.history)
    # 64 rows in batches of 32: Ctrl-C in the second epoch of the next fit.
    _interrupt_at_batch(monkeypatch, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="interrupted after 1 of 3"):
            reg.fit(X, y)
    assert len(reg.net_.history) == epochs and reg.n_iter_ == epochs
    np.testing.assert_array_equal(reg.predict(X), before)


def test_warm_fit_with_new_class_weights_keeps_the_new_weight_decay():
    # New class weights make skorch rebuild the optimizer from its
    # construction-time settings; the current weight decay must win.
    X, y = _data()
    labels = (y > 0).astype(int)
    clf = RNNClassifier(hidden_size=4, max_epochs=1, warm_start=True, random_state=0)
    clf.fit(X, labels)
    clf.set_params(weight_decay=0.7, class_weight={1: 3.0}).fit(X, labels)
    groups = clf.net_.optimizer_.param_groups
    assert all(group["weight_decay"] == 0.7 for group in groups)
    assert clf.net_.criterion_.weight.tolist() == [1.0, 3.0]
