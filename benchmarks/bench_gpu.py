# SPDX-License-Identifier: BSD-3-Clause
"""RNNRegressor against a plain PyTorch loop on the same GPU.

Trains the same model (LSTM 64-64 on 100-step univariate series, linear head
on the last layer's final state, Adam, batch 256) with

(a) a plain PyTorch loop over tensors already on the GPU (the fastest a
    hand-written loop gets: no host-to-device copies at all);
(b) a plain PyTorch loop copying each batch from pinned host memory;
(c) ``RNNRegressor(device="cuda")`` in float32, in mixed precision
    (``precision="bfloat16"``) and, with ``--compile``, ``compile=True``.

Rounds are interleaved so that noise hits every variant alike; each timing
ends with ``torch.cuda.synchronize()``. It prints the best fit time of each
variant and its ratio to (a), and the test MSE. Without CUDA it says so and
exits (status 0), unless ``--device cpu`` asks for a smoke run on the CPU.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_gpu.py                 # ~2 min on a GPU
    PYTHONPATH=. python benchmarks/bench_gpu.py --compile --json gpu.json
    PYTHONPATH=. python benchmarks/bench_gpu.py --device cpu --quick  # smoke run
"""

import argparse
import json
import platform
import time

import numpy as np
import torch
from torch import nn

import sklearn_rnn
from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import make_sine_series

HIDDEN, LAYERS, BATCH, LR = 64, 2, 256, 1e-3


class LastStateLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(1, HIDDEN, LAYERS, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, X):
        _, (h_n, _) = self.rnn(X)
        return self.head(h_n[-1])


def sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def fit_plain(X, y, epochs, device, seed, resident):
    """Plain loop; ``resident``: data lives on the device, else pinned host."""
    torch.manual_seed(seed)
    model = LastStateLSTM().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    cuda = str(device).startswith("cuda")
    if resident:
        X, y = X.to(device), y.to(device)
    elif cuda:
        X, y = X.pin_memory(), y.pin_memory()
    for _ in range(epochs):
        order = torch.randperm(len(X), device=X.device)
        for start in range(0, len(X), BATCH):
            idx = order[start : start + BATCH]
            Xb, yb = X[idx], y[idx]
            if not resident:
                if cuda:
                    Xb, yb = Xb.pin_memory(), yb.pin_memory()
                Xb = Xb.to(device, non_blocking=True)
                yb = yb.to(device, non_blocking=True)
            optimizer.zero_grad()
            loss = loss_fn(model(Xb), yb)
            loss.backward()
            optimizer.step()
    sync(device)
    return model


def predict_plain(model, X, device):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(X).to(device)).cpu().numpy()[:, 0]


def fit_estimator(X, y, epochs, device, seed, **options):
    reg = RNNRegressor(
        "lstm",
        HIDDEN,
        num_layers=LAYERS,
        max_epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        forget_bias=0.0,  # the same model as the plain loop,
        scale=False,  # which reads the inputs as they are
        device=device,
        random_state=seed,
        **options,
    )
    reg.fit(X[:, :, 0], y[:, 0])
    sync(device)
    return reg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--compile", action="store_true", help="add compile=True")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("CUDA is not available on this machine: nothing to time.")
        return
    n_series, rounds, epochs = 20_000, args.rounds, args.epochs
    if args.quick:
        n_series, rounds, epochs = 600, 1, 1
    series = make_sine_series(n_series, 101, random_state=0).astype(np.float32)
    n_train = int(0.8 * n_series)
    X = np.ascontiguousarray(series[:, :100, None])
    y = np.ascontiguousarray(series[:, 100:])
    X_train, y_train, X_test, y_test = (
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )

    variants = {
        "plain, data on device": lambda s: fit_plain(
            X_train, y_train, epochs, device, s, resident=True
        ),
        "plain, pinned copies": lambda s: fit_plain(
            X_train, y_train, epochs, device, s, resident=False
        ),
        "RNNRegressor float32": lambda s: fit_estimator(
            X_train, y_train, epochs, device, s
        ),
        "RNNRegressor bfloat16": lambda s: fit_estimator(
            X_train, y_train, epochs, device, s, precision="bfloat16"
        ),
    }
    if args.compile:
        variants["RNNRegressor compile"] = lambda s: fit_estimator(
            X_train, y_train, epochs, device, s, compile=True
        )

    # Warm-up: CUDA context, cuDNN autotuning, compilation caches.
    for fit in variants.values():
        fit(0)

    times = {name: [] for name in variants}
    mse = {}
    for r in range(rounds):
        for name, fit in variants.items():
            start = time.perf_counter()
            model = fit(100 + r)
            times[name].append(time.perf_counter() - start)
            if isinstance(model, RNNRegressor):
                pred = model.predict(X_test[:, :, 0])
            else:
                pred = predict_plain(model, X_test, device)
            mse[name] = float(np.mean((pred - y_test[:, 0]) ** 2))

    name = (
        torch.cuda.get_device_name()
        if device.startswith("cuda")
        else (platform.processor() or platform.machine())
    )
    print(
        f"LSTM {HIDDEN}-{HIDDEN}, {n_train} series of 100 steps, {epochs} epochs, "
        f"batch {BATCH}, {rounds} interleaved rounds, device {device} ({name}), "
        f"torch {torch.__version__}"
    )
    base = min(times["plain, data on device"])
    print(f"{'':24s} {'best fit s':>10s} {'ratio':>7s} {'test MSE':>9s}")
    results = {}
    for variant, ts in times.items():
        results[variant] = dict(best=min(ts), ratio=min(ts) / base, mse=mse[variant])
        print(
            f"{variant:24s} {min(ts):10.2f} {min(ts) / base:6.2f}x {mse[variant]:9.5f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                dict(
                    version=sklearn_rnn.__version__,
                    device=name,
                    epochs=epochs,
                    results=results,
                ),
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
