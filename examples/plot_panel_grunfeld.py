# SPDX-License-Identifier: BSD-3-Clause
"""
======================================================================
A real panel: eleven firms' investment, with past covariates
======================================================================

Grunfeld's investment data (bundled, public domain): eleven US firms,
1935-1954, each with its yearly gross investment, market value and capital
stock. The long table becomes a ``(firm, year)`` panel with
:func:`~sklearn_rnn.forecasting.to_panel`; one
:class:`~sklearn_rnn.forecasting.PanelForecaster` is trained on every firm's
history up to 1951 and forecasts 1952-1954, once on investment alone and
once reading market value and capital as past covariates (known up to the
forecast origin only). Both are scored against the naive forecast (the
last year repeated), with sMAPE and MASE averaged over firms.

Twenty values per firm are far less than the global model's recipe was
chosen for (M3 Monthly: 1,428 series, 48 to 126 months each), so read the
scores as what the package does on a tiny panel at its defaults, not as a
benchmark. Set ``SKLEARN_RNN_EXAMPLE_FAST=1`` for a tiny run that only
checks that the code runs.
"""

import os

import matplotlib.pyplot as plt
import numpy as np

from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import load_grunfeld
from sklearn_rnn.forecasting import PanelForecaster, mase, smape, to_panel

FAST = os.environ.get("SKLEARN_RNN_EXAMPLE_FAST") == "1"
HORIZON = 3

X, y = to_panel(
    load_grunfeld(), id_column="firm", date_column="year", target="invest", freq="Y"
)
held_out = y.groupby(level="firm").cumcount(ascending=False) < HORIZON
print(f"{y.index.get_level_values('firm').nunique()} firms, {len(y)} rows")


def model(**params):
    regressor = RNNRegressor("gru", 8, max_epochs=2) if FAST else None
    return PanelForecaster(regressor, horizon=HORIZON, random_state=0, **params)


def scores(fitted):
    truth = y[held_out]
    pred = fitted.predict(X[held_out])
    rows = []
    for key, history in zip(fitted.series_ids_, fitted.history_):
        actual = truth.xs(key).to_numpy()
        forecast = pred[truth.index.get_level_values(0) == key]
        naive = np.repeat(history[-1], HORIZON)
        rows.append(
            (
                smape(actual, forecast),
                mase(actual, forecast, history, 1),
                smape(actual, naive),
                mase(actual, naive, history, 1),
            )
        )
    return np.mean(rows, axis=0)


alone = model().fit(None, y[~held_out])
with_covariates = model(past_covariates=["value", "capital"]).fit(
    X[~held_out], y[~held_out]
)
print(f"{'1952-1954, mean over firms':34s} {'sMAPE %':>8s} {'MASE':>7s}")
for name, fitted in [
    ("PanelForecaster, investment only", alone),
    ("PanelForecaster, + value, capital", with_covariates),
]:
    s, m, s0, m0 = scores(fitted)
    print(f"{name:34s} {s:8.2f} {m:7.3f}")
print(f"{'naive (last year repeated)':34s} {s0:8.2f} {m0:7.3f}")

frame = with_covariates.forecast()
firms = list(dict.fromkeys(frame["firm"]))[:4]
fig, axes = plt.subplots(len(firms), 1, figsize=(8, 2.2 * len(firms)), sharex=True)
for ax, firm in zip(axes, firms):
    past = y.xs(firm)
    ax.plot(past.index.year, past.to_numpy(), color="black", lw=1, label="invest")
    rows = frame[frame["firm"] == firm]
    years = [p.year for p in rows["year"]]
    ax.plot(years, rows["forecast"], color="tab:blue", label="forecast")
    ax.fill_between(years, rows["lower"], rows["upper"], alpha=0.2, label="90 %")
    ax.set_title(firm, fontsize=9)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()
