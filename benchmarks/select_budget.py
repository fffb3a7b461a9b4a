# SPDX-License-Identifier: BSD-3-Clause
"""Compare training budgets on a validation split of the training data only.

For each data set, a stratified ``--valid`` share of the archive's TRAIN
split is held out (the TEST split is never read). ``SequenceScaler`` then
the estimator is fitted on the rest with each budget of ``BUDGETS`` (the
defaults, more epochs, a larger learning rate) and ``--seeds`` seeds, and
scored on the held-out part; the script prints the validation accuracy
(classification) or RMSE (regression): mean, min, max and fit seconds.

Run from the repository root::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/select_budget.py \
        --datasets JapaneseVowels --budgets default epochs300

Validation accuracy (%) measured at commit ce1c0aa (``default`` there is
300 epochs with the training-plateau stop and last-step pooling), seeds
0-2, mean (min-max):

================  =================  =================  =================
data set          epochs100          epochs300          plateau300
================  =================  =================  =================
JapaneseVowels    90.9 (88.9-92.6)   89.7 (87.7-91.4)   89.7 (87.7-91.4)
BasicMotions      75.0 (58.3-91.7)   88.9 (75.0-100)    88.9 (75.0-100)
ArrowHead         33.3 (27.3-45.5)   54.5 (45.5-63.6)   54.5 (45.5-63.6)
ItalyPowerDemand  95.2 (95.2-95.2)   95.2 (95.2-95.2)   95.2 (95.2-95.2)
================  =================  =================  =================

``plateau1000`` (a cap of 1,000 epochs) collapsed on ArrowHead (30.3,
training accuracy at the majority share after 626 epochs for one seed),
so the cap is 300. ``max_pooling`` (plateau300 with ``pooling="max"``):
JapaneseVowels 94.2 (92.6-96.3), BasicMotions 80.6 (75.0-91.7),
ArrowHead 51.5 (45.5-54.5), ItalyPowerDemand 95.2: the classifier's
default became ``"max"`` (with OSULeaf's 60.6 against 51.7 in
``select_pooling.py``); BasicMotions and ArrowHead lose one series of
11-12. A learning rate of 3e-3 (100 epochs) was mixed: JapaneseVowels
92.0 (seeds 0-1), BasicMotions 69.4, ItalyPowerDemand 95.2.
"""

import argparse
import time

import numpy as np
from bench_ucr import DATASETS, _data_folder, read_ts, score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn.preprocessing import SequenceScaler

# The small sets of issue 16's "36-67 training series" are here too.
TASKS = {
    **DATASETS,
    "ItalyPowerDemand": "classification",
    "BasicMotions": "classification",
    "ArrowHead": "classification",
}

# No training-plateau stop: a patience longer than any run.
_NO_STOP = {"n_iter_no_change": 10**6}
BUDGETS = {
    "default": {},
    "epochs100": {"max_epochs": 100, **_NO_STOP},
    "epochs300": {"max_epochs": 300, **_NO_STOP},
    "plateau300": {"max_epochs": 300},
    "plateau1000": {"max_epochs": 1000},
    "lr3e-3": {"lr": 3e-3, "max_epochs": 100, **_NO_STOP},
    "early_stopping": {"early_stopping": True, "max_epochs": 300},
    "max_pooling": {"pooling": "max"},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--budgets", nargs="+", default=list(BUDGETS))
    parser.add_argument("--valid", type=float, default=0.3)
    args = parser.parse_args()
    for name in args.datasets:
        task = TASKS[name]
        X, y = read_ts(
            _data_folder(name) / f"{name}_TRAIN.ts",
            regression=task == "regression",
        )
        fit_rows, valid_rows = train_test_split(
            np.arange(len(X)),
            test_size=args.valid,
            random_state=0,
            stratify=y if task == "classification" else None,
        )
        X_fit, X_valid = [X[i] for i in fit_rows], [X[i] for i in valid_rows]
        y_fit, y_valid = y[fit_rows], y[valid_rows]
        print(f"\n{name}: {len(fit_rows)} fit, {len(valid_rows)} validation")
        Estimator = RNNClassifier if task == "classification" else RNNRegressor
        for budget in args.budgets:
            values, seconds, epochs = [], [], []
            for seed in args.seeds:
                est = Estimator(random_state=seed, **BUDGETS[budget])
                tic = time.perf_counter()
                pipe = make_pipeline(SequenceScaler(), est).fit(X_fit, y_fit)
                seconds.append(time.perf_counter() - tic)
                epochs.append(pipe[-1].n_iter_)
                values.append(score(task, y_valid, pipe.predict(X_valid)))
            print(
                f"  {budget:15s} mean {np.mean(values):7.3f}  min "
                f"{min(values):7.3f}  max {max(values):7.3f}  "
                f"epochs {epochs}  ({np.mean(seconds):.1f} s per fit)",
                flush=True,
            )


if __name__ == "__main__":
    main()
