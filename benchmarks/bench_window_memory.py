# SPDX-License-Identifier: BSD-3-Clause
"""Training on the windows of a long series without copying them.

A series of 50,000 points cut into windows of 200 steps is 49,800 windows,
80 MB as float64 if they were materialised. The script fits RNNRegressor
(one epoch, early stopping, then a prediction over all windows) two ways in
the same run:

(a) on the zero-copy windows of ``make_windows`` (a read-only view of the
    series);
(b) the peer: the same windows materialised first (``np.array``), as code
    that builds its windows itself does;

and RNNForecaster, which windows the series itself, on the series. Memory is
the rise of the process's peak resident memory (``VmHWM`` of
``/proc/self/status``, reset before each run through
``/proc/self/clear_refs``), so torch's allocations (batches, activations,
gradients) count as well as numpy's; Linux only. Batches are of 512 windows:
at 4096, backpropagation through 200 steps takes about 270 MB whichever way
the windows are held, which hides the copy.

Measured (two runs)::

    RNNRegressor, views  peak resident memory +  37.5 MB / +38.4 MB
    RNNRegressor, copy   peak resident memory + 103.9 MB / +103.5 MB
    RNNForecaster        peak resident memory +  29.1 MB / +28.0 MB

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_window_memory.py
"""

import time

import numpy as np
import torch

from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows


def _peak_resident_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_rise_mb(function):
    """Seconds, and rise of the peak resident memory over the current one."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak starts again from the current resident size
    before = _peak_resident_mb()
    start = time.perf_counter()
    function()
    return _peak_resident_mb() - before, time.perf_counter() - start


def main():
    torch.set_num_threads(1)
    series = np.random.RandomState(0).normal(size=50_000).cumsum()
    X, y = make_windows(series, 200)
    params = dict(hidden_size=2, max_epochs=1, batch_size=512, random_state=0)
    RNNRegressor(**params).fit(X[:50], y[:50])  # torch's lazy imports, untimed

    def on_views():
        RNNRegressor(early_stopping=True, **params).fit(X, y).predict(X)

    def on_a_copy():
        copy = np.array(X)
        RNNRegressor(early_stopping=True, **params).fit(copy, y).predict(copy)

    def forecaster():
        RNNForecaster(RNNRegressor(**params), window=200, horizon=1).fit(None, series)

    print(f"windows: {X.shape}, {X.nbytes / 1e6:.1f} MB if copied as float64")
    runs = [
        ("RNNRegressor, views", on_views),
        ("RNNRegressor, copy", on_a_copy),
        ("RNNForecaster", forecaster),
    ]
    rises = {}
    for name, function in runs:
        rise, seconds = peak_rise_mb(function)
        rises[name] = rise
        print(f"{name:20s} peak resident memory +{rise:6.1f} MB  ({seconds:.1f} s)")
    saved = rises["RNNRegressor, copy"] - rises["RNNRegressor, views"]
    print(f"views save {saved:.1f} MB of the copy's {X.nbytes / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
