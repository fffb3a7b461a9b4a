# SPDX-License-Identifier: BSD-3-Clause
"""Windowing a long series: zero-copy views against materialised lags.

Cuts a univariate series of 10 M points into overlapping windows of width 50
(plus the next value as target) three ways and reports time (after a
warm-up, untraced) and, in a separate run, peak memory allocated
(tracemalloc, which sees numpy's and pandas' buffers):

(a) ``sklearn_rnn.make_windows``: read-only ``sliding_window_view`` views;
(b) pandas: a DataFrame of 50 ``shift`` lags, the usual recipe;
(c) a Python loop copying each window (run on a slice of the series and
    scaled linearly to the full length, which is said in the output).

Run::

    python benchmarks/bench_windowing.py            # ~2 minutes, ~8 GB peak
    python benchmarks/bench_windowing.py --n 1000000
"""

import argparse
import json
import time
import tracemalloc

import numpy as np
import pandas as pd

from sklearn_rnn import make_windows

WIDTH = 50


def with_make_windows(series):
    X, y = make_windows(series, WIDTH, horizon=1)
    return X.shape, float(X[-1, -1, 0] + y[-1, 0])  # touch the ends only


def with_pandas_shift(series):
    s = pd.Series(series)
    lags = pd.concat({f"lag{k}": s.shift(k) for k in range(WIDTH, 0, -1)}, axis=1)
    frame = lags.assign(target=s).dropna()
    return frame.shape, float(frame.iloc[-1, -2] + frame.iloc[-1, -1])


def with_python_loop(series):
    n = len(series) - WIDTH
    X = np.empty((n, WIDTH))
    y = np.empty(n)
    for i in range(n):
        X[i] = series[i : i + WIDTH]
        y[i] = series[i + WIDTH]
    return X.shape, float(X[-1, -1] + y[-1])


def measure(fn, series, repeats=1):
    """Best time of ``repeats`` untraced runs, then the peak of a traced one.

    A warm-up call on a short slice comes first (imports, first-call
    set-up), and the time is never taken under tracemalloc, which slows
    Python-level allocation several times over.
    """
    fn(series[: 10 * WIDTH])
    elapsed = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(series)
        elapsed = min(elapsed, time.perf_counter() - start)
    tracemalloc.start()
    fn(series)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="series length")
    parser.add_argument(
        "--loop-n", type=int, default=1_000_000, help="length run by the Python loop"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    series = np.random.RandomState(0).normal(size=args.n)

    results = {}
    results["make_windows (views)"] = measure(with_make_windows, series, repeats=5)
    results["pandas shift lags"] = measure(with_pandas_shift, series)
    loop_n = min(args.loop_n, args.n)
    t, mem = measure(with_python_loop, series[:loop_n])
    scale = args.n / loop_n
    results["Python loop"] = (t * scale, mem * scale)

    base_t, base_mem = results["make_windows (views)"]
    print(f"{args.n:,} points, windows of {WIDTH} + 1 target")
    print(f"{'method':24s} {'time s':>10s} {'x views':>10s} {'peak MB':>10s}")
    for name, (t, mem) in results.items():
        print(f"{name:24s} {t:10.4f} {t / base_t:9.0f}x {mem / 2**20:10.1f}")
    if scale != 1:
        print(
            f"(Python loop run on {loop_n:,} points, time and memory scaled x{scale:g})"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {k: dict(seconds=t, peak_bytes=m) for k, (t, m) in results.items()}, f
            )


if __name__ == "__main__":
    main()
