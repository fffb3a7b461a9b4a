# SPDX-License-Identifier: BSD-3-Clause
"""Does a grid search gain from ``n_jobs=2`` on a 2-core machine?

Times one ``GridSearchCV`` of ``RNNRegressor`` (8 candidates x 3 folds = 24
fits of a GRU/LSTM on sine windows) run several ways, interleaved over the
rounds so that machine noise hits them alike:

* ``n_jobs=1``: every fit in this process, torch using all its threads;
* ``n_jobs=1, 1 thread``: the same with ``torch.set_num_threads(1)``;
* ``n_jobs=2`` (loky): joblib's worker processes, started with
  ``OMP_NUM_THREADS = cpu_count // 2``, which torch honours;
* ``n_jobs=2`` (threading): two fits side by side in this process, each
  given half of the threads by ``fit`` (``SharedTorchThreads``);
* ``dask``: a ``dask.distributed.LocalCluster`` of 2 single-threaded worker
  processes through ``joblib.parallel_backend("dask")`` (when installed).

It prints the best and median wall time of each and the speed-up of the
best time over ``n_jobs=1`` and over ``n_jobs=1`` with one torch thread.
When other jobs share the cores, two torch threads per fit can be many times
slower than one (OpenMP threads wait for each other), so the second ratio is
the one that isolates the gain from running two fits at a time. Every way
must find the same scores (fixed seeds), which the script checks. On a
machine shared with other jobs the absolute times vary; the interleaved
ratios are what to read.

Run from the repository root (``PYTHONPATH=.`` makes it time this checkout
rather than an installed copy)::

    PYTHONPATH=. python benchmarks/bench_parallel_search.py          # ~5 min
    PYTHONPATH=. python benchmarks/bench_parallel_search.py --quick  # smoke run
"""

import argparse
import json
import logging
import os
import statistics
import time

import numpy as np
import torch
from joblib import cpu_count, parallel_backend
from sklearn.model_selection import GridSearchCV

import sklearn_rnn
from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import make_sine_series

GRID = {"cell": ["gru", "lstm"], "hidden_size": [16, 32], "lr": [3e-3, 1e-2]}


def search(X, y, epochs, n_jobs):
    reg = RNNRegressor(max_epochs=epochs, batch_size=32, random_state=0)
    return GridSearchCV(reg, GRID, cv=3, n_jobs=n_jobs).fit(X, y)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _ways(epochs, default_threads):
    """The ways of running the search, each a function of (X, y)."""

    def sequential_one_thread(X, y):
        torch.set_num_threads(1)
        try:
            return search(X, y, epochs, 1)
        finally:
            torch.set_num_threads(default_threads)

    def threading(X, y):
        with parallel_backend("threading"):
            return search(X, y, epochs, 2)

    return {
        "n_jobs=1": lambda X, y: search(X, y, epochs, 1),
        "n_jobs=1, 1 thread": sequential_one_thread,
        "n_jobs=2 loky": lambda X, y: search(X, y, epochs, 2),
        "n_jobs=2 threading": threading,
    }


def _start_dask(ways, epochs):
    """Add a 2-worker LocalCluster to ``ways``; return it (None without dask)."""
    try:
        import distributed
    except ImportError:
        print("dask is not installed (pip install 'dask[distributed]'): skipped")
        return None
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(2, timeout=120)

    def dask(X, y):
        with parallel_backend("dask"):
            return search(X, y, epochs, -1)

    ways["dask 2 workers"] = dask
    return cluster, client


def _measure(ways, X, y, rounds):
    # Warm-up: start the loky workers and dask workers, import torch there.
    for way in ways.values():
        way(X[:30], y[:30])
    times = {name: [] for name in ways}
    scores = {}
    for _ in range(rounds):
        for name, way in ways.items():
            grid, t = timed(lambda: way(X, y))
            times[name].append(t)
            scores[name] = grid.cv_results_["mean_test_score"]
    reference = scores["n_jobs=1"]
    for name, s in scores.items():
        if "threading" in name:
            # Fits in threads of one process share torch's generator, so they
            # are not reproducible (README, "Parallel and distributed search").
            gap = np.max(np.abs(np.asarray(s) - reference))
            print(f"{name}: scores differ from n_jobs=1 by up to {gap:.3g}")
        # Different thread counts may round differently: scores agree to
        # float32 precision, not bit for bit.
        elif not np.allclose(s, reference, rtol=1e-3, atol=1e-4):
            raise SystemExit(f"{name} found different scores: {s} vs {reference}")
    return times


def _report(times):
    base = min(times["n_jobs=1"])
    base1 = min(times["n_jobs=1, 1 thread"])
    results = {}
    print(f"{'':22s} {'best s':>8s} {'median s':>9s} {'speed-up':>9s} {'vs 1 thr':>9s}")
    for name, ts in times.items():
        best, median = min(ts), statistics.median(ts)
        results[name] = dict(
            best=best,
            median=median,
            speedup=base / best,
            speedup_vs_one_thread=base1 / best,
            all=ts,
        )
        print(
            f"{name:22s} {best:8.2f} {median:9.2f} {base / best:8.2f}x "
            f"{base1 / best:8.2f}x"
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    n_series, epochs, rounds = 600, 8, args.rounds
    if args.quick:
        n_series, epochs, rounds = 90, 1, 1
    series = make_sine_series(n_series, 25, random_state=0)
    X, y = np.ascontiguousarray(series[:, :24]), series[:, 24]

    default_threads = torch.get_num_threads()
    ways = _ways(epochs, default_threads)
    dask = None if args.no_dask else _start_dask(ways, epochs)
    try:
        times = _measure(ways, X, y, rounds)
    finally:
        if dask is not None:
            cluster, client = dask
            client.close()
            cluster.close()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"GridSearchCV of RNNRegressor: {len(GRID['cell']) * 4} candidates x 3 "
        f"folds, {n_series} windows of 24 steps, {epochs} epochs; {rounds} "
        f"interleaved rounds; {cpu_count()} cores, torch default threads "
        f"{default_threads}; 1-min load average at the end {load:.1f}"
    )
    results = _report(times)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                dict(version=sklearn_rnn.__version__, epochs=epochs, results=results),
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
