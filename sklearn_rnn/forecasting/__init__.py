# SPDX-License-Identifier: BSD-3-Clause
"""Forecasting many series with one network: panel layout, model, CV, scores."""

from sklearn_rnn.forecasting._estimator import PanelForecaster
from sklearn_rnn.forecasting._metrics import (
    mase,
    mase_scorer,
    naive2,
    owa,
    owa_scorer,
    panel_scores,
    smape,
    smape_scorer,
)
from sklearn_rnn.forecasting._panel import check_panel, to_panel
from sklearn_rnn.forecasting._splitter import PanelSplitter

__all__ = [
    "PanelForecaster",
    "PanelSplitter",
    "check_panel",
    "mase",
    "mase_scorer",
    "naive2",
    "owa",
    "owa_scorer",
    "panel_scores",
    "smape",
    "smape_scorer",
    "to_panel",
]
