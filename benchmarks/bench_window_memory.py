# SPDX-License-Identifier: BSD-3-Clause
"""Training on the windows of a long series without copying them.

A series of 50,000 points cut into windows of 200 steps is 49,800 windows,
80 MB as float64 if they were materialised. The script fits RNNRegressor on
the zero-copy windows of ``make_windows`` (one epoch, early stopping, then a
prediction over all windows) and RNNForecaster on the series, and prints the
peak memory numpy allocated meanwhile (tracemalloc; torch's batch tensors
are not traced, and are one batch each).

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_window_memory.py
"""

import time
import tracemalloc

import numpy as np
import torch

from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows


def peak_mb(function):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6, time.perf_counter() - start
    finally:
        tracemalloc.stop()


def main():
    torch.set_num_threads(1)
    series = np.random.RandomState(0).normal(size=50_000).cumsum()
    X, y = make_windows(series, 200)
    params = dict(hidden_size=2, max_epochs=1, batch_size=4096, random_state=0)
    RNNRegressor(**params).fit(X[:50], y[:50])  # torch's lazy imports, untimed

    def regressor():
        RNNRegressor(early_stopping=True, **params).fit(X, y).predict(X)

    def forecaster():
        RNNForecaster(RNNRegressor(**params), window=200, horizon=1).fit(None, series)

    print(f"windows: {X.shape}, {X.nbytes / 1e6:.1f} MB if copied as float64")
    for name, function in [("RNNRegressor", regressor), ("RNNForecaster", forecaster)]:
        peak, seconds = peak_mb(function)
        print(f"{name:14s} numpy peak {peak:6.2f} MB  ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
