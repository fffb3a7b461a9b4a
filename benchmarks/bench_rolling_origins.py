# SPDX-License-Identifier: BSD-3-Clause
"""Rolling origins on the two bundled single series: the default forecaster
against Holt-Winters and a naive forecast.

At each origin every model is fitted on the values before it only, and
forecasts the ``h`` values after it, which are scored by MAPE (%).

Series and origins (fixed before any result was seen):

- airline passengers (monthly, 144 values): 12 months ahead from the
  origins after 96, 108, 120 and 132 months (forecasts of 1957, 1958,
  1959 and 1960);
- Nile flow (annual, 100 values): 10 years ahead from the origins after
  60, 70, 80 and 90 years (forecasts of 1931-40, ..., 1961-70).

Models:

- ``RNNForecaster(regressor, horizon=h, seasonal_period=m)``, every other
  parameter at its class default (the package's documented single-series
  recipe), with ``m = 12`` for airline and ``None`` for Nile (the class
  then differences once instead of seasonally). ``RNNForecaster`` has no
  ``random_state``: the seed goes through ``regressor``, which is the
  documented default network (what ``regressor=None`` builds, as its
  docstring states) with its ``random_state`` set. Each fit
  trains five networks plus, where the series allows, the five of the
  held-out calibration copy (the default ``calibration="auto"``); the
  copy only shapes the interval, not the point forecast scored here.
  Seeds 0, 1 and 2 by default: the table gives the median over seeds and
  their range, per origin and for the mean over origins (the mean over
  origins is taken per seed first).
- With ``--model panel``: ``PanelForecaster(horizon=h, random_state=seed)``
  instead, every other parameter at its class default, fitted on the series
  alone (the panel of one series). Its season comes from the dates (12 for
  airline, none for Nile); its default network trains at least 1,000
  optimiser steps, and its interval is calibrated on the series' last 20
  origins.
- Holt-Winters by statsmodels (a benchmark-only dependency):
  airline, an additive trend and a multiplicative season of 12 months;
  Nile, which has no season, Holt's linear method with an additive damped
  trend (``ExponentialSmoothing(trend="add", damped_trend=True)``), whose
  fitted damping and trend smoothing can shrink it towards simple
  exponential smoothing, the local-level model usually fitted to this
  series. Parameters estimated by statsmodels' default optimiser.
- Seasonal naive (airline: the last 12 months repeated) or naive (Nile:
  the last value repeated).

Warnings raised while fitting are counted and printed after the table.

Run::

    pip install statsmodels   # benchmark-only dependency
    OMP_NUM_THREADS=1 python benchmarks/bench_rolling_origins.py   # ~10 min
    OMP_NUM_THREADS=1 python benchmarks/bench_rolling_origins.py --model panel

Both print the 90 % interval's coverage of the values forecast, over all
origins and seeds.
"""

import argparse
import json
import re
import time
import warnings
from collections import Counter

import numpy as np
import torch
from _forecaster_network import default_network

from sklearn_rnn import RNNForecaster
from sklearn_rnn.datasets import load_airline_passengers, load_nile
from sklearn_rnn.forecasting import PanelForecaster

SERIES = {
    # name: (loader, horizon, seasonal period, origins, naive model's name)
    "airline": (
        lambda: load_airline_passengers()["passengers"],
        12,
        12,
        [96, 108, 120, 132],
        "seasonal naive",
    ),
    "nile": (lambda: load_nile()["flow"], 10, None, [60, 70, 80, 90], "naive"),
}


def mape(truth, pred):
    return float(np.mean(np.abs(np.asarray(pred) - truth) / np.abs(truth)) * 100)


def naive(history, steps, period):
    return np.resize(history[-(period or 1) :], steps)


def holt_winters(name, history, steps, period, caught):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if period:
        model = ExponentialSmoothing(
            history, trend="add", seasonal="mul", seasonal_periods=period
        )
    else:
        model = ExponentialSmoothing(history, trend="add", damped_trend=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        forecast = model.fit().forecast(steps)
    caught.update(f"{name}, Holt-Winters: {_first_line(w)}" for w in seen)
    return forecast


def _first_line(w):
    """The warning's category and first line, numbers as #, to count alike."""
    text = re.sub(r"-?\d+(\.\d+)?", "#", str(w.message).splitlines()[0])
    return f"{w.category.__name__}: {text[:160]}"


def rnn(name, X, y, steps, period, seed, caught, panel=False):
    """Fit the model on one series; forecast, interval, fit seconds, notes."""
    if panel:
        # The panel model's own defaults; its season is read off the dates.
        model = PanelForecaster(horizon=steps, random_state=seed)
        X = None
    else:
        model = RNNForecaster(
            default_network(seed), horizon=steps, seasonal_period=period
        )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.fit(X, y)
    seconds = time.perf_counter() - start
    caught.update(f"{name}, {type(model).__name__}: {_first_line(w)}" for w in seen)
    frame = model.forecast(steps)
    band = frame[["lower", "upper"]].to_numpy()
    window = model.window if panel else model.window_
    return frame["forecast"].to_numpy(), band, seconds, window, model.calibration_


def spread(values):
    values = np.asarray(values)
    return f"{np.median(values):6.2f} [{values.min():5.2f}, {values.max():5.2f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--model",
        choices=["rnn", "panel"],
        default="rnn",
        help="RNNForecaster's defaults, or PanelForecaster's on the panel of one",
    )
    args = parser.parse_args()
    label = "RNNForecaster" if args.model == "rnn" else "PanelForecaster"
    try:
        import statsmodels
    except ImportError:
        raise SystemExit(
            "This benchmark compares with statsmodels' Holt-Winters, which is "
            "not a dependency of the package: pip install statsmodels"
        ) from None
    torch.set_num_threads(1)
    print(
        f"statsmodels {statsmodels.__version__}, torch {torch.__version__}, "
        f"seeds {args.seeds}",
        flush=True,
    )

    results, caught, all_fit_seconds = {}, Counter(), []
    for name, (load, steps, period, origins, naive_name) in SERIES.items():
        series = load()
        y_all = series.to_numpy(dtype=float)
        X_all = series.to_frame().iloc[:, :0]  # no covariates: just the dates
        rows = []
        for origin in origins:
            truth = y_all[origin : origin + steps]
            history = y_all[:origin]
            row = dict(
                origin=origin,
                first_forecast=str(series.index[origin].date()),
                holt_winters=mape(
                    truth, holt_winters(name, history, steps, period, caught)
                ),
                naive=mape(truth, naive(history, steps, period)),
                rnn={},
                coverage={},
                fit_seconds={},
            )
            for seed in args.seeds:
                forecast, band, seconds, window, calibration = rnn(
                    name,
                    X_all.iloc[:origin],
                    series.iloc[:origin],
                    steps,
                    period,
                    seed,
                    caught,
                    panel=args.model == "panel",
                )
                row["rnn"][seed] = mape(truth, forecast)
                inside = (band[:, 0] <= truth) & (truth <= band[:, 1])
                row["coverage"][seed] = float(inside.mean())
                row["fit_seconds"][seed] = seconds
                all_fit_seconds.append(seconds)
            row["window"], row["calibration"] = window, calibration
            rows.append(row)
            print(
                f"  {name} origin {origin}: done "
                f"({sum(row['fit_seconds'].values()):.0f} s of RNN fits)",
                flush=True,
            )
        results[name] = dict(horizon=steps, naive_name=naive_name, origins=rows)

    print()
    print(
        f"MAPE % on the values after each origin; {label}: median over "
        f"seeds {args.seeds} [min, max]; fit s: median seconds of its fits"
    )
    for name, res in results.items():
        rows = res["origins"]
        print()
        print(f"{name}, {res['horizon']} ahead")
        print(
            f"  {'origin':>6s} {'from':>10s} {'Holt-Winters':>12s} "
            f"{res['naive_name']:>14s} {label:>24s} "
            f"{'fit s':>6s} {'window':>6s}  calibration"
        )
        for row in rows:
            print(
                f"  {row['origin']:6d} {row['first_forecast']:>10s} "
                f"{row['holt_winters']:12.2f} {row['naive']:14.2f} "
                f"{spread(list(row['rnn'].values())):>24s} "
                f"{np.median(list(row['fit_seconds'].values())):6.1f} "
                f"{str(row['window']):>6s}  {row['calibration']}"
            )
        per_seed_mean = [np.mean([r["rnn"][s] for r in rows]) for s in args.seeds]
        res["mean"] = dict(
            holt_winters=float(np.mean([r["holt_winters"] for r in rows])),
            naive=float(np.mean([r["naive"] for r in rows])),
            rnn_per_seed=dict(zip(args.seeds, map(float, per_seed_mean))),
        )
        print(
            f"  {'mean':>6s} {'':>10s} {res['mean']['holt_winters']:12.2f} "
            f"{res['mean']['naive']:14.2f} {spread(per_seed_mean):>24s}"
        )
        hits = [r["coverage"][s] for r in rows for s in args.seeds]
        res["mean"]["coverage"] = float(np.mean(hits))
        print(f"  90 % interval coverage, all origins and seeds: {np.mean(hits):.1%}")

    print()
    print(
        f"{label} fit (its networks and the calibration network(s)): "
        f"median {np.median(all_fit_seconds):.1f} s, range "
        f"{min(all_fit_seconds):.1f}-{max(all_fit_seconds):.1f} s over "
        f"{len(all_fit_seconds)} fits"
    )
    print("Warnings while fitting (count: series, model, category: first line):")
    for text, count in sorted(caught.items()):
        print(f"  {count:3d}: {text}")
    if not caught:
        print("  none")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)


if __name__ == "__main__":
    main()
