# SPDX-License-Identifier: BSD-3-Clause
"""The estimators as components of scikit-learn's meta-estimators."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    BaggingRegressor,
    StackingRegressor,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.multioutput import MultiOutputRegressor

from sklearn_rnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=8, max_epochs=15, lr=1e-2, random_state=0)


@pytest.fixture
def windows(rng):
    """Windows of a positive noisy sine (rows: sequences, columns: steps)."""
    t = np.arange(160)
    series = 3 + np.sin(0.4 * t) + rng.normal(scale=0.05, size=len(t))
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 8).copy()
    return X, series[8:]


def test_transformed_target_regressor(windows):
    X, y = windows
    model = TransformedTargetRegressor(
        RNNRegressor(**FAST), func=np.log, inverse_func=np.exp
    ).fit(X, y)
    # The network was trained on log(y): its own predictions are logs.
    inner = model.regressor_.predict(X)
    np.testing.assert_allclose(model.predict(X), np.exp(inner))
    assert model.score(X, y) > 0.5


def test_multi_output_regressor_one_network_per_target(windows):
    X, y = windows
    Y = np.column_stack([y, -2 * y])
    model = MultiOutputRegressor(RNNRegressor(**FAST)).fit(X, Y)
    assert len(model.estimators_) == 2
    assert model.estimators_[0].net_ is not model.estimators_[1].net_
    pred = model.predict(X)
    assert pred.shape == (len(X), 2)
    assert model.score(X, Y) > 0.5
    # 3-D input goes through untouched (MultiOutputRegressor does not
    # validate X): multivariate sequences work too.
    X3 = np.stack([X, X**2], axis=2)
    assert MultiOutputRegressor(RNNRegressor(**FAST)).fit(X3, Y).predict(X3).shape == (
        len(X),
        2,
    )


def test_stacking_regressor_with_a_linear_model(windows):
    X, y = windows
    model = StackingRegressor(
        [("rnn", RNNRegressor(**FAST)), ("ridge", Ridge())],
        final_estimator=RidgeCV(),
        cv=3,
    ).fit(X, y)
    assert model.predict(X).shape == y.shape
    assert model.final_estimator_.coef_.shape == (2,)
    assert model.score(X, y) > 0.5


def test_bagging_regressor_of_networks(windows):
    X, y = windows
    model = BaggingRegressor(RNNRegressor(**FAST), n_estimators=3, random_state=0)
    model.fit(X, y)
    # Every member sees all time steps, in order (max_features=1.0).
    for features in model.estimators_features_:
        np.testing.assert_array_equal(features, np.arange(X.shape[1]))
    members = np.stack([m.predict(X) for m in model.estimators_])
    np.testing.assert_allclose(model.predict(X), members.mean(axis=0))
    # Different bootstrap samples and seeds: different members.
    assert not np.allclose(members[0], members[1])


def _labelled(windows):
    X, y = windows
    return X, np.where(y > np.median(y), "high", "low")


def test_calibrated_classifier(windows):
    X, labels = _labelled(windows)
    model = CalibratedClassifierCV(RNNClassifier(**FAST), cv=3, method="sigmoid")
    model.fit(X, labels)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == ["high", "low"]
    assert len(model.calibrated_classifiers_) == 3
    assert model.score(X, labels) > 0.7


def test_soft_voting_classifier(windows):
    X, labels = _labelled(windows)
    model = VotingClassifier(
        [("rnn", RNNClassifier(**FAST)), ("logistic", LogisticRegression())],
        voting="soft",
    ).fit(X, labels)
    rnn, logistic = model.estimators_
    np.testing.assert_allclose(
        model.predict_proba(X),
        (rnn.predict_proba(X) + logistic.predict_proba(X)) / 2,
    )
    assert set(model.predict(X)) <= {"high", "low"}
