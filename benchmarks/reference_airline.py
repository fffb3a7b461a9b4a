# SPDX-License-Identifier: BSD-3-Clause
"""Airline references on the validation origins as well as on the test origin.

``select_airline.py`` ranks recipes on validation origins inside the first
108 months; ``bench_airline.py`` scores the chosen one on the last 36. This
script scores two references on exactly those origins, so that validation
and test figures can be compared model for model:

- seasonal naive (always);
- Holt-Winters with an additive trend and a multiplicative season, fitted by
  statsmodels (only if statsmodels is installed: it is not a dependency of
  the package).

Origins: the two validation folds of ``select_airline.py`` (24 months ahead,
``TimeSeriesSplit(n_splits=2, test_size=24)``), the two of its ``joint36``
grid (36 months ahead) and the test origin (train on 1949-1957, forecast
1958-1960).

Run::

    pip install statsmodels   # optional, for the Holt-Winters rows
    python benchmarks/reference_airline.py
"""

import warnings

import numpy as np

from sklearn_rnn.datasets import load_airline_passengers

TRAIN_MONTHS = 108
ORIGINS = {  # name: list of (number of training months, months ahead)
    "validation, 24 ahead (select_airline.py)": [(60, 24), (84, 24)],
    "validation, 36 ahead (select_airline.py --grid joint36)": [(60, 36), (72, 36)],
    "test (bench_airline.py)": [(TRAIN_MONTHS, 36)],
}


def mape(truth, pred):
    return float(np.mean(np.abs(pred - truth) / np.abs(truth)) * 100)


def seasonal_naive(history, steps):
    return np.resize(history[-12:], steps)


def holt_winters(history, steps):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        history, trend="add", seasonal="mul", seasonal_periods=12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the optimiser
        return model.fit().forecast(steps)


def main():
    y = load_airline_passengers()["passengers"].to_numpy(dtype=float)
    models = {"seasonal naive": seasonal_naive}
    try:
        import statsmodels

        models[f"Holt-Winters (statsmodels {statsmodels.__version__})"] = holt_winters
    except ImportError:
        print("statsmodels is not installed: Holt-Winters rows skipped")

    print(f"{'model':36s} {'origins':56s} {'MAPE % per origin':>20s}  mean")
    for name, forecast in models.items():
        for label, origins in ORIGINS.items():
            scores = [
                mape(y[n : n + steps], forecast(y[:n], steps)) for n, steps in origins
            ]
            per_origin = ", ".join(f"{s:.2f}" for s in scores)
            print(f"{name:36s} {label:56s} {per_origin:>20s}  {np.mean(scores):.2f}")


if __name__ == "__main__":
    main()
