# SPDX-License-Identifier: BSD-3-Clause
"""The Theta method, for the panel's forecast combination.

The standard Theta method (Assimakopoulos and Nikolopoulos, 2000) forecasts
a (deseasonalised) series by simple exponential smoothing with a drift of
half the slope of its least-squares line; Hyndman and Billah (2003) showed
the two are the same. With the SES level :math:`\\ell_n` after ``n`` values,
smoothing weight :math:`\\alpha` and slope :math:`b`:

.. math::

    \\hat y_{n+h} = \\ell_n + \\frac{b}{2}\\left(h - 1
        + \\frac{1 - (1 - \\alpha)^n}{\\alpha}\\right)

Here :math:`\\alpha` minimises the in-sample one-step squared error over a
grid, and the level starts at the first value. All series are smoothed
together, one time step at a time.
"""

import numpy as np

# Smoothing weights tried for every series.
_ALPHAS = np.linspace(0.01, 0.99, 99)


def _padded(values):
    lengths = np.array([len(v) for v in values])
    out = np.zeros((len(values), lengths.max()))
    for row, v in enumerate(values):
        out[row, : len(v)] = v
    return out, lengths


def _slopes(Y, lengths):
    """Least-squares slope of each row's first ``lengths`` values (0 for one)."""
    t = np.arange(Y.shape[1], dtype=float)[None, :]
    real = t < lengths[:, None]
    n = lengths.astype(float)
    t_mean = (n - 1) / 2
    y_mean = (Y * real).sum(axis=1) / n
    dt = np.where(real, t - t_mean[:, None], 0.0)
    denom = (dt**2).sum(axis=1)
    numer = (dt * (Y - y_mean[:, None])).sum(axis=1)
    return np.divide(numer, denom, out=np.zeros(len(n)), where=denom > 0)


def theta_forecasts(values, n_steps):
    """Theta forecasts ``(n_series, n_steps)`` of each array of ``values``.

    Every series needs at least one value; one value is forecast flat.
    """
    Y, lengths = _padded(values)
    level = np.repeat(Y[:, :1], len(_ALPHAS), axis=1)
    sse = np.zeros_like(level)
    for t in range(1, Y.shape[1]):
        live = lengths > t
        error = Y[live, t, None] - level[live]
        sse[live] += error**2
        level[live] += _ALPHAS * error
    best = sse.argmin(axis=1)
    alpha = _ALPHAS[best][:, None]
    last = level[np.arange(len(Y)), best][:, None]
    drift = 0.5 * _slopes(Y, lengths)[:, None]
    h = np.arange(1, n_steps + 1)[None, :]
    growth = (1 - (1 - alpha) ** lengths[:, None]) / alpha
    return last + drift * (h - 1 + growth)


def combine_with_theta(forecasts, values, weight):
    """``forecasts`` (n_series, n_steps) of ``values`` averaged with Theta's,
    Theta's weighing ``weight`` (0: ``forecasts`` as they are)."""
    if weight == 0:
        return forecasts
    theta = theta_forecasts(values, forecasts.shape[1])
    return (1 - weight) * forecasts + weight * theta
