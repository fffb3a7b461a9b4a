# SPDX-License-Identifier: BSD-3-Clause
"""Target transforms: seasonal decomposition, log and differencing."""

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


class Differencer:
    """Log, seasonal adjustment and differencing, and their exact inverse.

    ``forward`` maps levels ``z`` to stationary values ``e`` (``n_lost``
    fewer); ``integrate`` turns future values of ``e`` back into levels,
    given the levels observed so far. The season is removed by differencing
    at its lag (``seasonal="difference"``), by subtracting seasonal indices
    learnt in ``fit`` (``seasonal="indices"``) or by dividing by seasonal
    factors learnt in ``fit`` from the series on its original scale
    (``seasonal="factors"``; on the log scale, subtracting their logarithm);
    positions count from the first value given to ``fit``.
    """

    def __init__(self, log, seasonal_period, difference, seasonal="difference"):
        self.log = log
        self.seasonal_period = seasonal_period or 0
        self.difference = difference
        self.seasonal = seasonal
        self.by_index = bool(self.seasonal_period) and seasonal != "difference"
        # Factors divide levels; on the log scale their logarithm is subtracted.
        self.multiplicative = self.by_index and seasonal == "factors" and not log
        self.lag = 0 if self.by_index else self.seasonal_period
        self.n_lost = self.lag + difference
        self.indices = None

    def fit(self, z):
        if self.seasonal_period and self.seasonal == "factors":
            factors = seasonal_indices(
                self.from_level(z), self.seasonal_period, multiplicative=True
            )
            self.indices = np.log(factors) if self.log else factors
        elif self.by_index:
            self.indices = seasonal_indices(z, self.seasonal_period)
        return self

    def _season(self, positions):
        return self.indices[positions % self.seasonal_period]

    def _deseason(self, z, positions):
        if self.multiplicative:
            return z / self._season(positions)
        return z - self._season(positions)

    def _reseason(self, z, positions):
        if self.multiplicative:
            return z * self._season(positions)
        return z + self._season(positions)

    def to_level(self, y):
        return np.log(y) if self.log else np.asarray(y, dtype=float)

    def from_level(self, z):
        return np.exp(z) if self.log else z

    def forward(self, z):
        if self.by_index:
            z = self._deseason(z, np.arange(len(z)))
        s = self.lag
        d = z[s:] - z[:-s] if s else z
        return np.diff(d) if self.difference else d

    def integrate(self, z_past, e_future, start=None):
        """Levels that follow ``z_past`` and have transformed values ``e_future``.

        Both are 2-D, one row per path: ``z_past`` (n_paths, >= lag + 1)
        observed levels, ``e_future`` (n_paths, n_steps). ``start`` (n_paths,)
        is the position of each path's first future value; None means
        ``z_past`` starts at position 0.
        """
        if start is None:
            start = np.full(len(z_past), z_past.shape[1])
        start = np.asarray(start)[:, None]
        z = np.array(z_past[:, -(self.lag + 1) :], dtype=float)
        if self.by_index:
            z = self._deseason(z, start - z.shape[1] + np.arange(z.shape[1]))
        s = self.lag
        d_last = z[:, -1] - z[:, -1 - s] if s else z[:, -1]
        out = np.empty_like(e_future, dtype=float)
        for k in range(e_future.shape[1]):
            d = d_last + e_future[:, k] if self.difference else e_future[:, k]
            level = z[:, -s] + d if s else d
            z = np.column_stack([z[:, 1:], level])
            out[:, k] = level
            d_last = d
        if self.by_index:
            out = self._reseason(out, start + np.arange(out.shape[1]))
        return out

