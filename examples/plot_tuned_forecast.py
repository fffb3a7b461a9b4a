# SPDX-License-Identifier: BSD-3-Clause
"""
======================================================================
From a series to a tuned forecast, with progress and plots
======================================================================

The everyday workflow on the bundled airline passenger series (monthly,
1949-1960): hold out the last year, tune an
:class:`~sklearn_rnn.RNNForecaster` with ``GridSearchCV`` over
``TimeSeriesSplit`` folds (so that no fold trains on its future), look at
the chosen network's learning curve, and plot its forecast of the held-out
year with the prediction interval and the truth.

``n_jobs=2`` runs two fits at a time; each worker process uses
``cpu_count // 2`` torch threads, so the two do not fight over the cores.
The same search runs on a Dask cluster inside
``with joblib.parallel_backend("dask"):``.

Set ``SKLEARN_RNN_EXAMPLE_FAST=1`` for a tiny version (one candidate, a few
epochs, no worker processes) that only checks that the code runs.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklearn_rnn import RNNForecaster, RNNRegressor
from sklearn_rnn.datasets import load_airline_passengers
from sklearn_rnn.plotting import plot_forecast, plot_learning_curve

FAST = os.environ.get("SKLEARN_RNN_EXAMPLE_FAST") == "1"

# %%
# The data: 144 months; the last 12 are held out.
y = load_airline_passengers()["passengers"]
X = y.to_frame().iloc[:, :0]  # no covariates: the rows only carry the dates
X_train, y_train = X.iloc[:-12], y.iloc[:-12]
X_test, y_test = X.iloc[-12:], y.iloc[-12:]

# %%
# The search: the forecaster differences the log series at lag 12, so the
# network models year-over-year growth; the grid tries the cell, the window
# and the size of the network. The score is R² of each fold's forecast.
forecaster = RNNForecaster(
    RNNRegressor("gru", 16, lr=3e-3, batch_size=16, max_epochs=3 if FAST else 150),
    window=24,
    horizon=12,
    seasonal_period=12,
    # The search scores point forecasts only: no interval calibration fit.
    calibration="in_sample",
)
grid = {
    "regressor__cell": ["gru"] if FAST else ["gru", "lstm"],
    "regressor__hidden_size": [8] if FAST else [16, 32],
    "window": [12] if FAST else [12, 24],
    "regressor__random_state": [0],
}
search = GridSearchCV(
    forecaster,
    grid,
    cv=TimeSeriesSplit(n_splits=2, test_size=12),
    n_jobs=1 if FAST else 2,  # starting worker processes dwarfs a tiny search
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best cross-validated R²: {search.best_score_:.3f}")

# %%
# The chosen model, refitted on all the training months with its interval
# calibrated on held-out origins (a second fit of a copy that has not seen
# the last 31 months), forecasts the held-out year.
model = search.best_estimator_.set_params(calibration="holdout")
model.fit(X_train, y_train)
forecast = model.forecast(12)
mape = float(np.mean(np.abs(forecast["forecast"] - y_test) / y_test) * 100)
print(f"hold-out MAPE of the tuned forecaster: {mape:.1f} %")

# %%
# Refitting with ``verbose=1`` would show a progress bar over the epochs with
# the latest training loss. The learning curve of the refitted network and
# its forecast of the held-out year, with the 90 % interval:
fig, (ax_curve, ax_forecast) = plt.subplots(1, 2, figsize=(12, 4))
plot_learning_curve(model, ax=ax_curve)
plot_forecast(y_train.iloc[-48:], forecast, truth=y_test, ax=ax_forecast)
ax_forecast.set_title(f"Held-out year: MAPE {mape:.1f} %")
fig.tight_layout()
plt.show()
