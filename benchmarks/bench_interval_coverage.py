# SPDX-License-Identifier: BSD-3-Clause
"""Does the 90 % forecast interval cover 90 % of what happens next?

The main job's recipe (``RNNForecaster``'s class defaults, the parameters
of ``python -m sklearn_rnn``: an ensemble of 5 networks) is fitted at
several forecast origins of the two bundled series
and forecasts the values that follow, which it never saw. For each origin
and each ``calibration`` of ``RNNForecaster`` the script records how many
of those values fall inside the interval, and how wide it is relative to
the forecast:

- ``in_sample``: the fitted networks' residuals on their own training
  data;
- ``holdout``: the residuals of a copy trained without the last
  ``calibration_origins + horizon - 1`` values, forecasting from each of the
  last 20 origins.

Either way the interval is the forecast plus or minus the absolute residual
of rank ``ceil((n + 1) * 0.9)`` of ``n`` at each step ahead (split
conformal, with its finite-sample correction).

Airline passengers: origins after 96, 102 and 108 months, 36 months ahead
each (108 forecasts; earlier origins leave the calibration copy too few
months). Nile: origins after 60, 70, 80 and 90 years, 10
years ahead each (40 forecasts), no season. Forecasts from one origin are
correlated, so these counts are rougher than their size suggests.

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_interval_coverage.py   # ~3 min
"""

import argparse
import json
import time

import numpy as np
import torch
from _forecaster_network import default_network

from sklearn_rnn import RNNForecaster
from sklearn_rnn.datasets import load_airline_passengers, load_nile

SERIES = {
    # name: (loader, RNNForecaster parameters besides its defaults, origins)
    "airline": (
        lambda: load_airline_passengers()["passengers"],
        {"horizon": 36, "seasonal_period": 12},
        [96, 102, 108],
    ),
    "nile": (
        lambda: load_nile()["flow"],
        {"horizon": 10, "seasonal_period": None, "window": 10},
        [60, 70, 80, 90],
    ),
}


def forecaster(params):
    """RNNForecaster's defaults, its default network seeded with 0."""
    return RNNForecaster(default_network(0), **params)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)

    results = {}
    for name, (load, options, origins) in SERIES.items():
        y = load()
        X = y.to_frame().iloc[:, :0]
        recipe = forecaster(options)
        h = recipe.horizon
        for calibration in ["in_sample", "holdout"]:
            inside, widths, start = [], [], time.perf_counter()
            for origin in origins:
                model = recipe.set_params(calibration=calibration)
                frame = model.fit(X.iloc[:origin], y.iloc[:origin]).forecast(h)
                truth = y.iloc[origin : origin + h].to_numpy()
                lower, upper = frame["lower"].to_numpy(), frame["upper"].to_numpy()
                inside += list((lower <= truth) & (truth <= upper))
                widths += list((upper - lower) / frame["forecast"].to_numpy())
            results[(name, calibration)] = dict(
                coverage=float(np.mean(inside)),
                n_forecasts=len(inside),
                median_relative_width=float(np.median(widths)),
                seconds=time.perf_counter() - start,
            )
            r = results[(name, calibration)]
            print(
                f"{name:8s} {calibration:10s} covered {sum(inside):3d}/{len(inside)}"
                f" = {r['coverage']:6.1%}, median width "
                f"{r['median_relative_width']:6.1%} of the forecast "
                f"({r['seconds']:.0f} s)",
                flush=True,
            )
    print(f"nominal coverage: {recipe.interval:.0%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{k[0]}/{k[1]}": v for k, v in results.items()}, f, indent=2)


if __name__ == "__main__":
    main()
