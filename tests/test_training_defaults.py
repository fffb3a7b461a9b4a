"""Defaults that keep small fits sound: early stopping, warnings, scaling."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=4, batch_size=16, random_state=0)


def _sorted_by_class(rng, n_per_class=20, n_classes=3):
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.normal(size=(len(y), 6, 2))
    X[:, :, 0] += y[:, None]
    return X, y


def test_classifier_validation_is_stratified_by_default(rng):
    # A training set sorted by class: the last rows hold a single class.
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True, validation_fraction=0.33, max_epochs=2, **FAST
    )
    assert clf.validation_split == "stratified"
    clf.fit(X, y)
    valid = clf.net_.train_split.indices(len(X))[1]
    assert set(y[valid]) == {0, 1, 2}
    last = clf.set_params(validation_split="last").fit(X, y)
    assert set(y[last.net_.train_split.indices(len(X))[1]]) == {2}


@pytest.mark.parametrize("min_steps, kept", [(0, 1), (20, 7)])
def test_min_steps_delays_early_stopping(rng, min_steps, kept):
    # 60 samples, 40 trained on in batches of 16: 3 steps per epoch, so
    # min_steps=20 waits for 7 epochs (21 steps) before patience counts.
    # With an unreachable tol every epoch after the first counted is a miss.
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True,
        validation_fraction=0.33,
        n_iter_no_change=2,
        tol=1e3,
        min_steps=min_steps,
        max_epochs=50,
        **FAST,
    ).fit(X, y)
    assert clf.n_iter_ == kept + 2
    # best_loss_ is the validation loss of the epoch kept.
    assert clf.best_loss_ == clf.validation_scores_[kept - 1]


def test_min_steps_longer_than_training_keeps_the_last_model(rng):
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True,
        validation_fraction=0.33,
        n_iter_no_change=1,
        tol=1e3,
        min_steps=1000,
        max_epochs=4,
        **FAST,
    ).fit(X, y)
    assert clf.n_iter_ == 4
    assert clf.best_loss_ == clf.validation_scores_[-1]


def test_small_validation_set_warns_with_its_size(rng):
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(early_stopping=True, max_epochs=1, **FAST)
    with pytest.warns(UserWarning, match="holds out 6 of 60 samples"):
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Early stopping holds out")
        clf.set_params(validation_fraction=0.33).fit(X, y)  # 20 samples
        RNNRegressor(max_epochs=1, **FAST).fit(X[:, :, 0], y)  # no split


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_degenerate_model_warns(rng, Estimator):
    X, y = _sorted_by_class(rng)
    if Estimator is RNNRegressor:
        y = y.astype(float)
    # A forced collapse: one epoch at a negligible learning rate.
    collapsed = Estimator(hidden_size=8, max_epochs=1, lr=1e-7, random_state=0)
    match = "single class" if Estimator is RNNClassifier else "R² of"
    with pytest.warns(ConvergenceWarning, match=match):
        collapsed.fit(X, y)
    healthy = Estimator(hidden_size=8, max_epochs=30, lr=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy.fit(X, y)


def test_classifier_no_better_than_majority_warns(rng):
    # Three quarters of one class and inputs that say nothing of the labels:
    # a model that learns nothing scores the majority share at best.
    X = rng.normal(size=(80, 5, 1))
    y = np.array([0] * 60 + [1] * 20)
    clf = RNNClassifier(hidden_size=4, max_epochs=1, lr=1e-7, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learnt nothing useful"):
        clf.fit(X, y)
