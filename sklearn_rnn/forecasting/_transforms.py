# SPDX-License-Identifier: BSD-3-Clause
"""Seasonal decomposition of a series."""

import numpy as np


def seasonal_indices(z, period, multiplicative=False):
    """Seasonal indices of ``z`` by classical decomposition.

    The trend is the centred moving average over one season (``2 x period``
    for an even period); the index of each phase of the season is the mean
    of ``z`` minus the trend at that phase, the indices summing to zero.
    ``multiplicative=True`` gives seasonal factors instead: the mean ratio of
    ``z`` to the trend at each phase, the factors averaging one (``z`` must
    be positive). Position 0 of ``z`` is phase 0.
    """
    if period % 2 == 0:
        weights = np.r_[0.5, np.ones(period - 1), 0.5] / period
    else:
        weights = np.ones(period) / period
    trend = np.convolve(z, weights, mode="valid")
    half = (len(weights) - 1) // 2
    centred = z[half : half + len(trend)]
    detrended = centred / trend if multiplicative else centred - trend
    phases = np.arange(half, half + len(trend)) % period
    indices = np.bincount(phases, weights=detrended, minlength=period)
    indices /= np.bincount(phases, minlength=period)
    if multiplicative:
        return indices / indices.mean()
    return indices - indices.mean()


# The name the single-series forecaster and its tests use.
_seasonal_indices = seasonal_indices
