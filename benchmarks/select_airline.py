# SPDX-License-Identifier: BSD-3-Clause
"""Choose the airline recipe on the training months only.

``bench_airline.py`` scores a recipe on the last 36 months (1958-1960). This
script chooses that recipe without looking at them: ``GridSearchCV`` with
``TimeSeriesSplit(n_splits=2, test_size=24)`` on the first 108 months, i.e.
two validation origins (train on 1949-1953, forecast 1954-1955; train on
1949-1955, forecast 1956-1957), scored by MAPE. Each setting is fitted with
several seeds (``regressor__random_state`` is part of the grid) and settings
are ranked by their mean validation MAPE over seeds and folds.

Run::

    OMP_NUM_THREADS=1 python benchmarks/select_airline.py   # ~10-20 minutes
"""

import argparse
import json
import time

import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklearn_rnn import RNNForecaster, RNNRegressor
from sklearn_rnn.datasets import load_airline_passengers

TEST_MONTHS = 36
GRID = {
    "regressor__cell": ["gru", "lstm"],
    "window": [12, 24],
    "difference": [0, 1],
    "strategy": ["recursive", "direct"],
}


def base_recipe():
    return RNNForecaster(
        RNNRegressor("gru", 32, lr=3e-3, batch_size=16, max_epochs=300),
        window=24,
        horizon=12,
        strategy="recursive",
        seasonal_period=12,
        difference=0,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", help="also write the ranking to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)

    y = load_airline_passengers()["passengers"].iloc[:-TEST_MONTHS]
    X = y.to_frame().iloc[:, :0]
    grid = {**GRID, "regressor__random_state": list(range(args.seeds))}
    start = time.perf_counter()
    search = GridSearchCV(
        base_recipe(),
        grid,
        cv=TimeSeriesSplit(n_splits=2, test_size=24),
        scoring="neg_mean_absolute_percentage_error",
        refit=False,
    ).fit(X, y)
    elapsed = time.perf_counter() - start

    results = pd.DataFrame(search.cv_results_["params"])
    results["mape"] = -100 * search.cv_results_["mean_test_score"]
    ranking = (
        results.groupby(list(GRID))["mape"]
        .agg(["mean", "min", "max"])
        .sort_values("mean")
        .reset_index()
    )
    n_fits = len(results) * search.n_splits_
    print(f"{n_fits} fits in {elapsed:.0f} s, training months only (1949-1957)")
    print("validation MAPE % over seeds (each the mean of 2 folds):")
    print(ranking.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    best = ranking.iloc[0][list(GRID)].to_dict()
    print("chosen:", best)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                dict(
                    chosen=best,
                    ranking=ranking.to_dict(orient="records"),
                    seconds=elapsed,
                ),
                f,
                indent=2,
                default=str,
            )


if __name__ == "__main__":
    main()
