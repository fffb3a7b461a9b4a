# SPDX-License-Identifier: BSD-3-Clause
"""Size and speed of the safe format against pickle and joblib.

Fits an RNNRegressor (2-layer LSTM, hidden 64, on 8-feature sequences), then
saves and loads it with ``sklearn_rnn.persistence`` (JSON header + .npy
arrays in a zip, no pickle), ``pickle`` and ``joblib``, interleaved over
several rounds. Prints the file sizes, the median save and load times and
their ratios to pickle, and checks that every loaded model predicts exactly
as the original.

``--bombs`` measures instead what loading a crafted "memory bomb" costs: a
saved model rewritten with one deflated member that inflates to ``--bomb-mb``
MB of zeros (an array member, or ``header.json`` padded with spaces), loaded
in a fresh process each; it prints the file's size, the time to the
refusal (or the load) and the growth of the process's peak RSS during
``load``. ``--checkout DIR`` loads with the sklearn_rnn of another checkout
(an older commit, to compare).

Run::

    python benchmarks/bench_persistence.py            # ~20 s
    python benchmarks/bench_persistence.py --quick    # smoke run
    python benchmarks/bench_persistence.py --bombs [--bomb-mb 512] [--checkout DIR]
"""

import argparse
import io
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

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


_LOAD_BOMB = """
import resource, sys, time
import sklearn_rnn
from sklearn_rnn.persistence import load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load(sys.argv[1])
    outcome = "LOADED"
except ValueError as exc:
    outcome = "refused: " + str(exc)[:90]
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{seconds:.3f} {(after - before) / 1024:.0f} {outcome}")
"""


def _write_bomb(path, raw, inflated_mb, target):
    """``raw`` (a saved model) with one deflated member of ``inflated_mb`` MB."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    first = sorted(k for k in members if k != "header.json")[0]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            if name not in ("header.json", first) or (
                (name == "header.json") != (target == "header")
            ):
                kind = zipfile.ZIP_DEFLATED if name == "header.json" else 0
                z.writestr(name, data, compress_type=kind)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            pad = b" " if target == "header" else b"\0"
            with z.open(info, "w", force_zip64=True) as stream:
                stream.write(data)
                for _ in range(inflated_mb):
                    stream.write(pad * 2**20)


def bombs(inflated_mb, checkout):
    """Peak memory and time of loading two crafted bombs, one process each."""
    est = RNNRegressor(hidden_size=8, max_epochs=1, random_state=0)
    X = np.random.RandomState(0).normal(size=(32, 6))
    buffer = io.BytesIO()
    save(est.fit(X, X.sum(axis=1)), buffer)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if checkout:
        env["PYTHONPATH"] = os.path.abspath(checkout)
    where = checkout or os.path.dirname(os.path.dirname(sklearn_rnn.__file__))
    print(f"sklearn_rnn from {where}; bombs inflate to {inflated_mb} MB")
    print(f"{'bomb':8s} {'file kB':>8s} {'seconds':>8s} {'peak RSS +MB':>12s}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for target in ("array", "header"):
            path = os.path.join(tmp, f"{target}.skrnn")
            _write_bomb(path, buffer.getvalue(), inflated_mb, target)
            out = subprocess.run(
                [sys.executable, "-c", _LOAD_BOMB, path],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
            )
            if out.returncode:
                print(f"{target:8s} process failed: {out.stderr.strip()[-300:]}")
                continue
            seconds, rss, outcome = out.stdout.split(" ", 2)
            size = os.path.getsize(path) / 1024
            outcome = outcome.strip()
            print(f"{target:8s} {size:8.0f} {seconds:>8s} {rss:>12s}  {outcome}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bombs", action="store_true")
    parser.add_argument("--bomb-mb", type=int, default=512)
    parser.add_argument("--checkout", default=None)
    args = parser.parse_args()
    if args.bombs:
        bombs(args.bomb_mb, args.checkout)
        return
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
