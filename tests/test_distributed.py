# SPDX-License-Identifier: BSD-3-Clause
"""Hyper-parameter search on a Dask cluster through joblib's dask backend.

Optional: skipped when ``distributed`` is not installed (it is in the
``test`` extra).
"""

import logging

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from sklearn_rnn import RNNClassifier, RNNRegressor

distributed = pytest.importorskip("distributed")

FAST = dict(hidden_size=4, max_epochs=3, lr=1e-2, random_state=0)


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes, as on a real cluster; the
    # timeouts allow for a slow start on a busy machine.
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster, timeout="120s")
    try:
        client.wait_for_workers(2, timeout=120)
        yield client
    finally:
        client.close()
        cluster.close()


def _data(rng, n=60, T=6):
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


def test_grid_search_runs_on_the_workers(client, rng):
    X, y = _data(rng)
    grid = {"cell": ["lstm", "gru"], "hidden_size": [2, 4]}
    local = GridSearchCV(RNNRegressor(**FAST), grid, cv=2).fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        with parallel_backend("dask"):
            remote = GridSearchCV(RNNRegressor(**FAST), grid, cv=2, n_jobs=-1)
            remote.fit(X, y)
    # The fits ran on both worker processes ...
    workers = {task["worker"] for task in tasks.data}
    assert workers == set(client.scheduler_info()["workers"])
    # ... and found exactly what the same search finds in this process.
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def test_randomized_search_of_a_classifier(client, rng):
    X, y = _data(rng)
    labels = np.where(y > 0, "up", "down")
    with parallel_backend("dask"):
        search = RandomizedSearchCV(
            RNNClassifier(**FAST),
            {"hidden_size": [2, 4, 8], "lr": [1e-3, 1e-2], "cell": ["gru", "rnn"]},
            n_iter=3,
            cv=2,
            random_state=0,
            n_jobs=-1,
        ).fit(X, labels)
    assert len(search.cv_results_["params"]) == 3
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert set(search.predict(X)) <= {"up", "down"}


def test_dask_workers_run_torch_single_threaded(client):
    # dask's nanny starts workers with OMP_NUM_THREADS=1, which torch honours:
    # two single-threaded workers use the two cores without oversubscription.
    def threads():
        import torch

        return torch.get_num_threads()

    assert set(client.run(threads).values()) == {1}
