# SPDX-License-Identifier: BSD-3-Clause
"""The Theta method and the panel's combination with it (``theta_weight``)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import RNNRegressor
from sklearn_rnn.forecasting import PanelForecaster
from sklearn_rnn.forecasting._theta import theta_forecasts

TINY = dict(cell="gru", hidden_size=4, max_epochs=2, lr=1e-2, batch_size=64)


def _one_theta(y, n_steps):
    """Theta, written out for one series: grid-searched SES plus half the
    least-squares slope (Hyndman and Billah, 2003)."""
    best = None
    for alpha in np.linspace(0.01, 0.99, 99):
        level, sse = y[0], 0.0
        for value in y[1:]:
            sse += (value - level) ** 2
            level += alpha * (value - level)
        if best is None or sse < best[0]:
            best = (sse, alpha, level)
    _, alpha, level = best
    n = len(y)
    slope = np.polyfit(np.arange(n), y, 1)[0] if n > 1 else 0.0
    h = np.arange(1, n_steps + 1)
    return level + slope / 2 * (h - 1 + (1 - (1 - alpha) ** n) / alpha)


def test_all_series_at_once_equal_each_series_alone():
    rng = np.random.RandomState(0)
    values = [rng.normal(0, 1, size=n).cumsum() + 10 for n in [1, 2, 3, 17, 40, 5, 40]]
    got = theta_forecasts(values, 6)
    for row, y in zip(got, values):
        np.testing.assert_allclose(row, _one_theta(y, 6), rtol=1e-10, atol=1e-10)


def test_theta_extrapolates_half_the_slope_and_keeps_a_constant():
    line = 3.0 + 2.0 * np.arange(30)
    flat = np.full(12, 7.5)
    forecasts = theta_forecasts([line, flat], 5)
    np.testing.assert_allclose(np.diff(forecasts[0]), 1.0)
    np.testing.assert_allclose(forecasts[1], 7.5)


def test_theta_is_scale_free_even_near_overflow():
    y = 100 + np.random.RandomState(0).normal(0, 5, size=40)
    for factor in (1e-150, 1e160):
        np.testing.assert_allclose(
            theta_forecasts([y * factor], 3) / factor, theta_forecasts([y], 3)
        )


def test_memory_follows_groups_of_series_not_the_panel():
    # One long series among many short ones: a (series x longest) layout of
    # the panel would take 300 x 200,000 float64, 480 MB.
    import tracemalloc

    rng = np.random.RandomState(0)
    values = [rng.normal(size=30) for _ in range(300)]
    values.append(rng.normal(size=200_000).cumsum())
    tracemalloc.start()
    try:
        theta_forecasts(values, 5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


def _trending_panel(n_series=3, n=40):
    rng = np.random.RandomState(0)
    months = pd.period_range("2000-01", periods=n, freq="M")
    parts = []
    for s in range(n_series):
        values = 20 + s + 0.3 * np.arange(n) + rng.normal(0, 0.5, n)
        index = pd.MultiIndex.from_product([[f"s{s}"], months], names=["id", "m"])
        parts.append(pd.Series(values, index=index))
    return pd.concat(parts)


def _fit(y, weight):
    model = PanelForecaster(
        RNNRegressor(**TINY),
        window=8,
        horizon=4,
        n_estimators=1,
        deseasonalize="never",
        calibration_origins=2,
        theta_weight=weight,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few residuals, few epochs
        return model.fit(None, y)


@pytest.fixture(scope="module")
def fitted():
    y = _trending_panel()
    return y, {w: _fit(y, w) for w in (0.0, 0.5, 1.0)}


def test_weights_mix_the_networks_and_theta(fitted):
    y, models = fitted
    alone, half, theta = (models[w].forecast() for w in (0.0, 0.5, 1.0))
    histories = [g.to_numpy() for _, g in y.groupby(level=0)]
    np.testing.assert_allclose(
        theta["forecast"], theta_forecasts(histories, 4).ravel(), rtol=1e-10
    )
    np.testing.assert_allclose(
        half["forecast"], (alone["forecast"] + theta["forecast"]) / 2, rtol=1e-10
    )
    # The networks are the same: Theta only enters after them.
    assert not np.allclose(alone["forecast"], theta["forecast"])


def test_the_interval_is_calibrated_on_the_combined_forecast(fitted):
    _, models = fitted
    widths = {w: m.error_quantiles_ for w, m in models.items()}
    assert not np.allclose(widths[0.0], widths[1.0])
    assert not np.allclose(widths[0.5], widths[0.0])


def test_theta_weight_is_validated():
    with pytest.raises(ValueError, match="theta_weight"):
        _fit(_trending_panel(), 1.5)


def test_auto_combines_only_a_panel_without_covariates():
    y = _trending_panel()
    alone = PanelForecaster(
        RNNRegressor(**TINY), window=8, horizon=4, n_estimators=1, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert alone.fit(None, y).theta_weight_ == 0.5
        X = pd.DataFrame({"size": np.repeat([1.0, 2.0, 3.0], 40)}, index=y.index)
        covariates = alone.set_params(static_covariates=["size"]).fit(X, y)
    # Theta reads no covariates: it would dilute what the network makes of them.
    assert covariates.theta_weight_ == 0.0
    # A series embedding is no covariate: the panel is still y alone.
    embedded = alone.set_params(static_covariates=None, id_embedding=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert embedded.fit(None, y).theta_weight_ == 0.5
