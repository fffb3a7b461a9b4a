# SPDX-License-Identifier: BSD-3-Clause
"""The estimators inside scikit-learn's tools: Pipeline, search, CV, pickle."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=8, max_epochs=5, lr=1e-2, random_state=0)


def _windows(rng, n=120, width=8):
    """Windows of a noisy sine and the value that follows each."""
    t = np.arange(n + width)
    series = np.sin(0.3 * t) * 50 + 200 + rng.normal(scale=1.0, size=len(t))
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], width)
    return X.copy(), series[width:]


def test_pipeline_with_scaler(rng):
    X, y = _windows(rng)
    reg = RNNRegressor(**{**FAST, "max_epochs": 30})
    pipe = make_pipeline(StandardScaler(), reg).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert pipe.score(X, y) > 0.5


def test_grid_search_time_series_split_parallel(rng):
    X, y = _windows(rng)
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), RNNRegressor(**FAST)),
        {
            "rnnregressor__cell": ["lstm", "gru"],
            "rnnregressor__hidden_size": [4, 8],
            "rnnregressor__num_layers": [1, 2],
            "rnnregressor__bidirectional": [False, True],
        },
        cv=TimeSeriesSplit(n_splits=2, gap=8),
        n_jobs=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 16
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    best = grid.best_estimator_[-1]
    assert best.get_params()["cell"] == grid.best_params_["rnnregressor__cell"]


def test_cross_val_score(rng):
    X, y = _windows(rng)
    scores = cross_val_score(RNNRegressor(**FAST), X, y, cv=TimeSeriesSplit(3))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    Xc, yc = X, np.where(y > 200, "high", "low")
    acc = cross_val_score(RNNClassifier(**FAST), Xc, yc, cv=3)
    assert np.all((acc >= 0) & (acc <= 1))


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_clone_and_pickle_round_trip(Estimator, rng):
    X, y = _windows(rng)
    if Estimator is RNNClassifier:
        y = np.where(y > 200, "high", "low")
    est = Estimator(**FAST).fit(X, y)
    fresh = clone(est)
    assert not hasattr(fresh, "net_")
    assert fresh.get_params() == est.get_params()
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    # The clone trains to the same model (fixed random_state).
    np.testing.assert_array_equal(fresh.fit(X, y).predict(X), est.predict(X))
