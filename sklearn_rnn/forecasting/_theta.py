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
grid, and the level starts at the first value. Series of similar lengths
are smoothed together, in groups of bounded size (each smoothing weight a
pass of ``scipy.signal.lfilter``), so that memory never grows with the
panel; each series is divided by its largest absolute value first, which
leaves the forecast unchanged and keeps the squared errors finite.
"""

import numpy as np
from scipy.signal import lfilter

from sklearn_rnn._data import pad_sequences

# Smoothing weights tried for every series.
_ALPHAS = np.linspace(0.01, 0.99, 99)
# Most values (series times the longest of them) smoothed at once.
_GROUP_VALUES = 2**18


def _groups(lengths):
    """Positions of the series, by length, in groups of bounded size."""
    order = np.argsort(lengths, kind="stable")
    group = []
    for i in order:
        if group and (len(group) + 1) * lengths[i] > _GROUP_VALUES:
            yield np.array(group)
            group = []
        group.append(i)
    if group:
        yield np.array(group)


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


def _smoothed(Y, lengths):
    """Per row: the smoothing weight of least one-step squared error and
    the level it ends at."""
    first, rest = Y[:, :1], Y[:, 1:]
    scored = np.arange(rest.shape[1])[None, :] < (lengths - 1)[:, None]
    last = np.maximum(lengths - 2, 0)
    rows = np.arange(len(Y))
    best_sse = np.full(len(Y), np.inf)
    best_alpha = np.full(len(Y), _ALPHAS[0])
    best_level = Y[:, 0].copy()
    for alpha in _ALPHAS:
        # level_t = alpha * y_t + (1 - alpha) * level_(t-1), from y_0.
        levels, _ = lfilter([alpha], [1.0, alpha - 1.0], rest, zi=(1 - alpha) * first)
        previous = np.concatenate([first, levels[:, :-1]], axis=1)
        sse = np.where(scored, (rest - previous) ** 2, 0.0).sum(axis=1)
        better = sse < best_sse
        best_sse[better], best_alpha[better] = sse[better], alpha
        moved = better & (lengths > 1)  # one value: the level stays it
        best_level[moved] = levels[rows[moved], last[moved]]
    return best_alpha, best_level


def theta_forecasts(values, n_steps):
    """Theta forecasts ``(n_series, n_steps)`` of each array of ``values``.

    Every series needs at least one value; one value is forecast flat.
    """
    lengths = np.array([len(v) for v in values])
    out = np.empty((len(values), n_steps))
    h = np.arange(1, n_steps + 1)[None, :]
    for group in _groups(lengths):
        Y, n = pad_sequences([values[i] for i in group], np.float64)
        size = np.abs(Y).max(axis=1, keepdims=True)
        size[size == 0] = 1.0
        Y = Y / size
        alpha, level = _smoothed(Y, n)
        alpha, level = alpha[:, None], level[:, None]
        drift = 0.5 * _slopes(Y, n)[:, None]
        growth = (1 - (1 - alpha) ** n[:, None]) / alpha
        out[group] = (level + drift * (h - 1 + growth)) * size
    return out


def combine_with_theta(forecasts, values, weight):
    """``forecasts`` (n_series, n_steps) of ``values`` averaged with Theta's,
    Theta's weighing ``weight`` (0: ``forecasts`` as they are)."""
    if weight == 0:
        return forecasts
    theta = theta_forecasts(values, forecasts.shape[1])
    return (1 - weight) * forecasts + weight * theta
