# SPDX-License-Identifier: BSD-3-Clause
"""RNNRegressor inside skforecast: 12 months of the airline series (issue 16).

skforecast's ``ForecasterRecursive`` turns the log airline series into a
table of 12 lags and feeds it to any scikit-learn regressor, forecasting
recursively. This script fits it with ``RNNRegressor()`` at its defaults
(seeds 0, 1 and 2, given as ``random_state``), with ``Ridge()`` and, as
the yardstick, prints seasonal naive (the last observed year repeated).
The last 12 of the 144 months are held out; MAPE is taken on the original
scale (the forecast of the log series, exponentiated). ``--validate``
holds out the 12 months before them instead and never reads the test
year: defaults are chosen there (``--params`` sets candidate parameters
of every ``RNNRegressor``). ``--epochs`` adds
fits with a given ``max_epochs`` (the issue's 30 and 200, say), for
comparison with the defaults. skforecast's lag columns run newest first
(``lag_1``, ``lag_2``, ...) while a recurrent network reads the columns
of a 2-D X as time steps, oldest first (``RNNRegressor`` warns about such
columns): the last row reverses them first, with
``make_pipeline(FunctionTransformer(np.fliplr), RNNRegressor())``.

skforecast needs pandas<3, so it is not a dependency of this package and
runs in a virtual environment of its own, reusing the installed torch::

    python -m venv --system-site-packages /tmp/venv-skf
    /tmp/venv-skf/bin/pip install skforecast
    OMP_NUM_THREADS=1 PYTHONPATH=. /tmp/venv-skf/bin/python \\
        benchmarks/bench_skforecast.py

MAPE (%), seeds 0-2, mean (min-max); skforecast 0.26.0, pandas 2.3.3,
torch 2.13.0. The regressor's input scaling (``scale``) became its
default on the validation year (``--validate``, with ``--params
'{"scale": false}'`` for the old default); the test year was then scored
once:

==============================  ===================  ===================
model                           validation year      test year
==============================  ===================  ===================
seasonal naive                  11.06                9.99
Ridge()                         4.64                 3.93
RNNRegressor(scale=False)       13.38 (12.31-14.87)  14.76 (12.50-17.90)
RNNRegressor() (scale=True)     8.07 (7.43-8.49)     7.95 (4.73-12.19)
fliplr, RNNRegressor()          9.42 (9.16-9.85)     7.15 (3.60-9.36)
==============================  ===================  ===================
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import load_airline_passengers

HORIZON = 12
LAGS = 12
SEASON = 12


def mape(truth, pred):
    return float(np.mean(np.abs(pred - truth) / np.abs(truth)) * 100)


def forecast_with(estimator, train_log):
    """Fit ``ForecasterRecursive`` on the log series; forecast, fit seconds."""
    from skforecast.recursive import ForecasterRecursive

    forecaster = ForecasterRecursive(estimator=estimator, lags=LAGS)
    start = time.perf_counter()
    forecaster.fit(y=train_log)
    fit_s = time.perf_counter() - start
    pred = forecaster.predict(steps=HORIZON)
    return np.exp(pred.to_numpy()), fit_s


def report_seeds(name, scores, times):
    if len(scores) > 1:
        print(
            f"  {name:32s} mean {statistics.mean(scores):6.2f}  "
            f"min {min(scores):6.2f}  max {max(scores):6.2f}  "
            f"fit {statistics.mean(times):.1f} s (mean)"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--epochs", type=int, nargs="*", default=[], help="extra max_epochs runs"
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="hold out the 12 months before the test year instead (the test "
        "year is never read): for choosing defaults",
    )
    parser.add_argument(
        "--params",
        default="{}",
        help="JSON of RNNRegressor parameters for every fit (e.g. "
        "'{\"scale\": true}'), to compare candidate defaults",
    )
    args = parser.parse_args(argv)
    extra = json.loads(args.params)
    try:
        import skforecast
    except ImportError:
        sys.exit(
            "bench_skforecast.py needs skforecast, which needs pandas<3: make a "
            "venv as the docstring says (python -m venv --system-site-packages "
            "/tmp/venv-skf; /tmp/venv-skf/bin/pip install skforecast)"
        )
    import pandas as pd

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    series = load_airline_passengers()["passengers"]
    if args.validate:
        series = series.iloc[:-HORIZON]
    train, test = series.iloc[:-HORIZON], series.to_numpy()[-HORIZON:]
    train_log = np.log(train)
    held_out = "the year before the test year" if args.validate else "the test year"
    print(
        f"airline: {len(train)} training months, {HORIZON} held out "
        f"({held_out}); "
        f"ForecasterRecursive, {LAGS} lags, log scale"
    )

    naive = mape(test, train.to_numpy()[-SEASON:])
    print(f"  {'seasonal naive':32s} MAPE {naive:6.2f} %")
    pred, fit_s = forecast_with(Ridge(), train_log)
    print(f"  {'Ridge()':32s} MAPE {mape(test, pred):6.2f} %  fit {fit_s:.2f} s")

    configs = [("RNNRegressor()", {}, False)]
    configs += [
        (f"RNNRegressor(max_epochs={e})", {"max_epochs": e}, False) for e in args.epochs
    ]
    # skforecast's lag columns run newest first (lag_1, lag_2, ...): the
    # network reads columns as time steps, oldest first, and says so in a
    # warning. Reversed, as that warning advises:
    configs.append(("fliplr, then RNNRegressor()", {}, True))
    for name, params, reverse in configs:
        scores, times = [], []
        for seed in args.seeds:
            network = RNNRegressor(random_state=seed, **{**extra, **params})
            if reverse:
                network = make_pipeline(FunctionTransformer(np.fliplr), network)
            pred, fit_s = forecast_with(network, train_log)
            scores.append(mape(test, pred))
            times.append(fit_s)
            print(
                f"  {name:32s} seed {seed}: MAPE {scores[-1]:6.2f} %  "
                f"fit {fit_s:.1f} s",
                flush=True,
            )
        report_seeds(name, scores, times)
    print(
        f"skforecast {skforecast.__version__}, pandas {pd.__version__}, "
        f"torch {torch.__version__}"
    )


if __name__ == "__main__":
    main()
