# SPDX-License-Identifier: BSD-3-Clause
"""Choose the pooling head on a validation split of the training data only.

For each data set, a stratified ``--valid`` share of the archive's TRAIN
split is held out (the TEST split is never read). ``SequenceScaler`` then
the estimator at its defaults, with each pooling head of
``RecurrentNetwork`` (``last``, ``mean``, ``max``, ``attention``), is fitted
on the rest with ``--seeds`` seeds and scored on the held-out part; the
script prints the validation accuracy (classification) or RMSE (regression)
of every head: mean, min, max and fit seconds.

Run from the repository root::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/select_pooling.py \
        --datasets JapaneseVowels OSULeaf Tecator

Validation scores at the defaults of commit b6b3e05 (30 % held out, seeds
0-2), mean over the seeds (the script also prints min and max):

==============  =====  =====  =====  =========
data set        last   mean   max    attention
==============  =====  =====  =====  =========
JapaneseVowels  90.9   92.2   93.4   94.2
OSULeaf         51.7   30.0   60.6   38.9
Tecator (RMSE)  8.11   11.27  11.13  10.68
==============  =====  =====  =====  =========

No head wins everywhere: max is first or second on both classification
sets, last wins the regression set, mean is never first. The default stays
``"last"``; ``"max"`` is the head to try for classification.
"""

import argparse
import time

import numpy as np
from bench_ucr import DATASETS, _data_folder, make_estimator, read_ts, score
from sklearn.model_selection import train_test_split

POOLINGS = ["last", "mean", "max", "attention"]


def _train_split(name):
    task = DATASETS[name]
    X, y = read_ts(
        _data_folder(name) / f"{name}_TRAIN.ts", regression=task == "regression"
    )
    return task, X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--poolings", nargs="+", default=POOLINGS)
    parser.add_argument("--valid", type=float, default=0.3)
    args = parser.parse_args()
    for name in args.datasets:
        task, X, y = _train_split(name)
        rows = np.arange(len(X))
        fit_rows, valid_rows = train_test_split(
            rows,
            test_size=args.valid,
            random_state=0,
            stratify=y if task == "classification" else None,
        )
        X_fit, X_valid = [X[i] for i in fit_rows], [X[i] for i in valid_rows]
        if len({x.shape for x in X}) == 1:
            X_fit, X_valid = np.stack(X_fit), np.stack(X_valid)
        y_fit, y_valid = y[fit_rows], y[valid_rows]
        print(f"\n{name}: {len(fit_rows)} fit, {len(valid_rows)} validation")
        for pooling in args.poolings:
            values, seconds = [], []
            for seed in args.seeds:
                tic = time.perf_counter()
                est = make_estimator(task, seed, pooling, scale=True).fit(X_fit, y_fit)
                seconds.append(time.perf_counter() - tic)
                values.append(score(task, y_valid, est.predict(X_valid)))
            print(
                f"  {pooling:10s} mean {np.mean(values):7.3f}  min "
                f"{min(values):7.3f}  max {max(values):7.3f}  "
                f"({np.mean(seconds):.1f} s per fit)",
                flush=True,
            )


if __name__ == "__main__":
    main()
