# SPDX-License-Identifier: BSD-3-Clause
"""Windows cut from every series of a panel, scaled by their own level.

A global model only works when every window is on a common scale: each
window and its targets are divided by the window's mean (or last value)
and, for a positive series, logged; the forecast is mapped back with the
same level. Windows are gathered for a bounded sample of origins at a
time, never all at once.
"""

import numpy as np

from sklearn_rnn.windowing import windows_at


def window_origins(lengths, window, steps_out):
    """``(series, origin)`` pairs of every training window.

    Origin ``t`` of a series means "having seen its first ``t`` values";
    its targets are values ``t .. t + steps_out - 1``. A series with fewer
    than ``window + steps_out`` values gives one window, left-padded with
    its first value.
    """
    series, origins = [], []
    for i, n in enumerate(lengths):
        last = n - steps_out
        if last < 1:
            continue
        first = min(window, last)
        t = np.arange(first, last + 1)
        series.append(np.full(len(t), i))
        origins.append(t)
    if not series:
        return np.empty(0, int), np.empty(0, int)
    return np.concatenate(series), np.concatenate(origins)


def gather(values, series, origins, window, steps_out=0):
    """Inputs ``(n, window)`` before and targets ``(n, steps_out)`` after.

    ``values`` is the list of (adjusted) series; positions before a
    series' start repeat its first value (see
    :func:`sklearn_rnn.windowing.windows_at`). Series of shape ``(n_i, k)``
    (covariates) give ``(n, window, k)`` and ``(n, steps_out, k)``.
    """
    n = len(series)
    trailing = np.shape(values[0])[1:] if len(values) else ()
    inputs = np.empty((n, window, *trailing))
    targets = np.empty((n, steps_out, *trailing))
    for i in np.unique(series):
        rows = np.flatnonzero(series == i)
        cut = windows_at(values[i], origins[rows], window, steps_out)
        inputs[rows] = cut[:, :window]
        targets[rows] = cut[:, window:]
    return inputs, targets


class WindowScaler:
    """Per-window level: divide by it and (positive series) take the log.

    ``how`` is ``"mean"`` (the window's mean) or ``"last"`` (its last
    value). For series that are not strictly positive the window is
    centred on its mean and divided by its mean absolute value instead.
    """

    def __init__(self, how="mean"):
        self.how = how

    def levels(self, inputs):
        if self.how == "last":
            return inputs[:, -1].copy()
        return inputs.mean(axis=1)

    def forward(self, inputs, targets, positive):
        """Scaled inputs and targets, and the state ``(level, spread)``."""
        level = self.levels(inputs)
        spread = np.abs(inputs).mean(axis=1)
        spread[spread == 0] = 1.0
        # A window of a positive series holding a value <= 0 (the interval's
        # network reads values after its training data) is not logged.
        ok = positive & (level > 0) & (inputs > 0).all(axis=1)
        x = np.where(
            ok[:, None],
            np.log(np.maximum(inputs, 1e-300) / np.where(ok, level, 1)[:, None]),
            (inputs - level[:, None]) / spread[:, None],
        )
        y = np.where(
            ok[:, None],
            np.log(np.maximum(targets, 1e-300) / np.where(ok, level, 1)[:, None]),
            (targets - level[:, None]) / spread[:, None],
        )
        return x, y, (level, spread, ok)

    @staticmethod
    def inverse(out, state):
        level, spread, ok = state
        with np.errstate(over="ignore"):
            logged = level[:, None] * np.exp(np.clip(out, -50, 50))
        return np.where(ok[:, None], logged, level[:, None] + spread[:, None] * out)


def roll_forecast(
    estimators, values, positive, n_steps, window, how, exog=None, steps_out=1
):
    """Forecasts ``(n_series, n_steps)`` after each of the ``values``.

    The networks' outputs (``steps_out`` steps each) are fed back as inputs
    until ``n_steps`` are forecast; also returns the scaler state of the
    window at the origin, the last one of observed values only: the unit of
    the interval's half-widths, which must not depend on how far the
    forecast goes, nor on values the networks fed back. ``exog`` (see
    ``_covariates.Exogenous``), when given, holds the covariates of the
    same series, reaching far enough ahead.
    """
    scaler = WindowScaler(how)
    idx = np.arange(len(values))
    origins = np.array([len(v) for v in values])
    paths = [np.asarray(v, float) for v in values]
    out = np.empty((len(values), 0))
    at_origin = None
    while out.shape[1] < n_steps:
        inputs, _ = gather(paths, idx, origins, window)
        x, _, state = scaler.forward(inputs, inputs[:, :0], positive)
        at_origin = state if at_origin is None else at_origin
        if exog is not None:
            x = exog.assemble(x, idx, origins, window, steps_out)
        pred = np.mean(
            [est.predict(x.astype(np.float32)) for est in estimators], axis=0
        ).reshape(len(values), -1)
        pred = scaler.inverse(pred, state)
        out = np.concatenate([out, pred], axis=1)
        paths = [np.r_[p, row] for p, row in zip(paths, pred)]
        origins = origins + pred.shape[1]
    return out[:, :n_steps], at_origin


def roll_members(members, values, positive, n_steps, how, exog=None, steps_out=1):
    """:func:`roll_forecast` for networks that read windows of different
    lengths: ``members`` are ``(window, estimator)`` pairs.

    The networks of each window length are rolled together; the forecast is
    the mean over all networks. The scaler state returned is that of the
    first member's window length.
    """
    groups = {}
    for window, estimator in members:
        groups.setdefault(window, []).append(estimator)
    total, first = 0.0, None
    for window, nets in groups.items():
        pred, state = roll_forecast(
            nets, values, positive, n_steps, window, how, exog, steps_out
        )
        if len(groups) == 1:
            return pred, state
        total = total + pred * len(nets)
        first = state if first is None else first
    return total / len(members), first


def member_window(window, k):
    """Values network ``k`` reads: a list of windows is dealt out in turn."""
    windows = [window] if isinstance(window, (int, np.integer)) else window
    return int(windows[k % len(windows)])
