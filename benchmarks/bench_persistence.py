# SPDX-License-Identifier: BSD-3-Clause
"""Size and speed of the safe format against pickle and joblib.

Fits an RNNRegressor (2-layer LSTM, hidden 64, on 8-feature sequences), then
saves and loads it with ``sklearn_rnn.persistence`` (JSON header + .npy
arrays in a zip, no pickle), ``pickle`` and ``joblib``, interleaved over
several rounds. Prints the file sizes, the median save and load times and
their ratios to pickle, and checks that every loaded model predicts exactly
as the original.

Run::

    python benchmarks/bench_persistence.py            # ~20 s
    python benchmarks/bench_persistence.py --quick    # smoke run
"""

import argparse
import io
import json
import pickle
import platform
import statistics
import time

import joblib
import numpy as np
import torch

import sklearn_rnn
from sklearn_rnn import RNNRegressor
from sklearn_rnn.persistence import load, save


def _pickle_save(est, buffer):
    pickle.dump(est, buffer, protocol=pickle.HIGHEST_PROTOCOL)


def _joblib_save(est, buffer):
    joblib.dump(est, buffer)


FORMATS = {
    "sklearn_rnn.persistence": (save, load),
    "pickle": (_pickle_save, pickle.load),
    "joblib": (_joblib_save, joblib.load),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(256, 20, 8)).astype(np.float32)
    y = X.sum(axis=(1, 2))
    est = RNNRegressor(hidden_size=64, num_layers=2, max_epochs=2, random_state=0).fit(
        X, y
    )
    expected = est.predict(X)
    n_params = sum(p.numel() for p in est.module_.parameters())

    times = {name: {"save": [], "load": []} for name in FORMATS}
    sizes = {}
    for _ in range(rounds):
        for name, (dump, read) in FORMATS.items():
            buffer = io.BytesIO()
            start = time.perf_counter()
            dump(est, buffer)
            times[name]["save"].append(time.perf_counter() - start)
            sizes[name] = buffer.tell()
            buffer.seek(0)
            start = time.perf_counter()
            loaded = read(buffer)
            times[name]["load"].append(time.perf_counter() - start)
            assert np.array_equal(loaded.predict(X), expected), name

    result = {
        "sklearn_rnn": sklearn_rnn.__version__,
        "torch": torch.__version__,
        "machine": platform.machine(),
        "model_parameters": n_params,
        "rounds": rounds,
        "formats": {},
    }
    base = {k: statistics.median(v) for k, v in times["pickle"].items()}
    print(f"RNNRegressor, LSTM 2x64, {n_params} parameters, {rounds} rounds")
    print(
        f"{'format':26s} {'bytes':>9s} {'save ms':>8s} {'load ms':>8s} "
        f"{'save/pickle':>11s} {'load/pickle':>11s}"
    )
    for name in FORMATS:
        med = {k: statistics.median(v) for k, v in times[name].items()}
        result["formats"][name] = dict(bytes=sizes[name], **med)
        print(
            f"{name:26s} {sizes[name]:9d} {med['save'] * 1e3:8.2f} "
            f"{med['load'] * 1e3:8.2f} {med['save'] / base['save']:11.2f} "
            f"{med['load'] / base['load']:11.2f}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
