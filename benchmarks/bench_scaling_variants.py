# SPDX-License-Identifier: BSD-3-Clause
"""Which way of standardising multivariate sequences helps, and which hurts.

``RNNClassifier()`` at its defaults is fitted on the same data scaled in
several ways, with ``--seeds`` random seeds each; the script prints the test
accuracy of each way (mean, min, max):

- ``none``: the raw values;
- ``sequence``: :class:`~sklearn_rnn.preprocessing.SequenceScaler`, one mean
  and standard deviation per feature over every real step of every
  training sequence;
- ``sequence_std_only``: the same with ``with_mean=False`` (divided by the
  standard deviation only, so zero stays zero);
- ``global``: one mean and standard deviation for all features together;
- ``per_series``: every sequence z-normalised on its own, per feature (the
  UCR archive's convention for univariate series);
- ``padded_features``: per-feature statistics taken on the zero-padded
  array, so the padding counts in them (the network still reads the real
  steps only);
- ``padded_stepwise``: ``StandardScaler`` on the padded array flattened to
  ``(n_samples, n_timesteps * n_features)``, one mean and scale per step and
  feature, and the padded 3-D array fed to the network (as one would to get
  past StandardScaler's "dim 3" error);
- ``padded_raw``: the padded 3-D array, unscaled (the padding is read).

Run (the data come from sktime's wheel, as in ``bench_ucr.py``)::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_scaling_variants.py \
        --datasets JapaneseVowels BasicMotions
"""

import argparse
import time

import numpy as np
from bench_ucr import DATASETS, _with_pooling, describe, load
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier
from sklearn_rnn.preprocessing import SequenceScaler

TASKS = {**DATASETS, "BasicMotions": "classification"}


def _pad(X, width):
    out = np.zeros((len(X), width, X[0].shape[1]))
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


def _scale_each(X, mean, std):
    return [(x - mean) / std for x in X]


def variants(X, X_test):
    """``{name: (train, test)}`` of every scaling of the class docstring."""
    frames = np.vstack(X)
    width = max(len(x) for x in list(X) + list(X_test))
    padded, padded_test = _pad(X, width), _pad(X_test, width)
    out = {"none": (X, X_test)}
    scaler = SequenceScaler().fit(X)
    out["sequence"] = (scaler.transform(X), scaler.transform(X_test))
    scaler = SequenceScaler(with_mean=False).fit(X)
    out["sequence_std_only"] = (scaler.transform(X), scaler.transform(X_test))
    mean, std = frames.mean(), frames.std()
    out["global"] = (_scale_each(X, mean, std), _scale_each(X_test, mean, std))

    def z(x):
        return (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)

    out["per_series"] = ([z(x) for x in X], [z(x) for x in X_test])
    flat = padded.reshape(-1, padded.shape[2])
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    out["padded_features"] = (_scale_each(X, mean, std), _scale_each(X_test, mean, std))
    n, T, C = padded.shape
    step = StandardScaler().fit(padded.reshape(n, T * C))
    out["padded_stepwise"] = (
        step.transform(padded.reshape(n, T * C)).reshape(n, T, C),
        step.transform(padded_test.reshape(-1, T * C)).reshape(-1, T, C),
    )
    out["padded_raw"] = (padded, padded_test)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=None)
    parser.add_argument(
        "--max-epochs", type=int, default=None, help="default: the estimator's"
    )
    parser.add_argument(
        "--lr", type=float, default=None, help="default: the estimator's"
    )
    parser.add_argument(
        "--pooling", default="last", choices=["last", "mean", "max", "attention"]
    )
    args = parser.parse_args()
    for name in args.datasets:
        X, y, X_test, y_test = load(name, TASKS[name])
        X, X_test = list(X), list(X_test)
        print(f"\n{name}: train {describe(X)}; test {describe(X_test)}")
        for variant, (Xv, Xv_test) in variants(X, X_test).items():
            if args.variants and variant not in args.variants:
                continue
            scores, seconds, losses = [], [], []
            for seed in args.seeds:
                Estimator = RNNClassifier
                if args.pooling != "last":
                    Estimator = _with_pooling(RNNClassifier, args.pooling)
                clf = Estimator(random_state=seed)
                if args.max_epochs:
                    clf.set_params(max_epochs=args.max_epochs)
                if args.lr:
                    clf.set_params(lr=args.lr)
                tic = time.perf_counter()
                clf.fit(Xv, y)
                seconds.append(time.perf_counter() - tic)
                scores.append(100 * clf.score(Xv_test, y_test))
                losses.append(clf.loss_curve_[-1])
            print(
                f"  {variant:16s} mean {np.mean(scores):5.1f} %  min "
                f"{min(scores):5.1f}  max {max(scores):5.1f}  final training "
                f"loss {np.mean(losses):.3f}  ({np.mean(seconds):.1f} s per fit)",
                flush=True,
            )


if __name__ == "__main__":
    main()
