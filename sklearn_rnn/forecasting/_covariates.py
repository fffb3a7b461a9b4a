# SPDX-License-Identifier: BSD-3-Clause
"""Covariates of a panel and the extra inputs they give each window.

``X`` is a DataFrame on the panel's ``(series id, period)`` index. Each of
its columns plays one of three roles:

- **static**: one value per series (a store's region, a product's size);
- **past**: known only up to the forecast origin (yesterday's footfall);
- **future** (every other column): known ahead (a calendar, a planned
  promotion), so the forecast periods need them too.

Numeric columns are standardised with their mean and standard deviation
over the training rows; text, category and other non-numeric columns are
one-hot encoded with the categories seen in fit (an unseen one encodes as
zeros). A window of origin ``t`` then reads, at each of its ``window``
steps, the scaled target, the future and past covariates and the static
ones; with future covariates the sequence goes on for the ``steps_out``
periods forecast, where the target and the past covariates are zero and a
flag is one. With a series-id embedding or level smoothing, the series'
code is the last feature (see ``sklearn_rnn._modules.SeriesEmbeddingNetwork``).
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_rnn.forecasting._panel import check_panel
from sklearn_rnn.forecasting._windows import gather

ROLES = ("future", "past", "static")


def _numeric(column):
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _columns_of(names, X, what):
    if names is None:
        return []
    names = [names] if isinstance(names, str) else list(names)
    missing = [c for c in names if c not in X.columns]
    if missing:
        raise ValueError(
            f"{what}={missing!r}: not columns of X; its columns are {list(X.columns)}."
        )
    return names


class CovariateEncoder:
    """The roles and encodings of X's columns, learnt in fit.

    Parameters
    ----------
    static, past : list of str or None
        Columns given as static and as past-only covariates; the others of
        ``X`` are known ahead.
    """

    def __init__(self, static=None, past=None):
        self.static = static
        self.past = past

    def fit(self, X, rows, stops=None):
        """Learn roles and encodings from the training rows of ``X``.

        ``rows`` are, per series, the positions of its rows in ``X`` in
        time order (see :func:`series_rows`). The means and standard
        deviations read only the first ``stops[i]`` rows of series ``i``
        (all of them where ``stops`` is None or ``stops[i]`` is 0): the
        rows after are those the interval's calibration network forecasts,
        which must not reach its inputs' scaling.
        """
        if stops is None:
            stops = np.zeros(len(rows), dtype=int)
        kept = np.concatenate([r[:s] if s else r for r, s in zip(rows, stops)])
        static = _columns_of(self.static, X, "static_covariates")
        past = _columns_of(self.past, X, "past_covariates")
        both = sorted(set(static) & set(past))
        if both:
            raise ValueError(f"{both} are given as both static and past covariates.")
        roles = {c: "future" for c in X.columns}
        roles.update({c: "static" for c in static})
        roles.update({c: "past" for c in past})
        self.columns_ = list(X.columns)
        self.roles_ = roles
        self.encodings_ = {}
        for name in self.columns_:
            column = X[name]
            _check_missing(column, name)
            if _numeric(column):
                values = _finite_values(column, name)
                mean, scale = values[kept].mean(), values[kept].std()
                # A constant column's deviation is rounding noise, not a unit.
                if not scale > 1e-9 * max(1.0, abs(mean)):
                    scale = 1.0
                self.encodings_[name] = ("numeric", mean, scale)
            else:
                categories = pd.unique(column.astype(object).to_numpy())
                self.encodings_[name] = ("onehot", list(categories), None)
            if roles[name] == "static":
                _check_static(column, rows, name)
        return self

    def names(self, role):
        return [c for c in self.columns_ if self.roles_[c] == role]

    def encode(self, X, role):
        """``(n_rows, width(role))`` float64 features of ``X``'s rows."""
        parts = [np.empty((len(X), 0))]
        for name in self.names(role):
            kind, first, second = self.encodings_[name]
            column = X[name]
            if kind == "numeric":
                if not _numeric(column):
                    raise ValueError(
                        f"Covariate {name!r} was numeric in fit and holds "
                        f"{column.dtype} values now."
                    )
                values = _finite_values(column, name)
                parts.append(((values - first) / second)[:, None])
            else:
                codes = pd.Categorical(column.astype(object), categories=first).codes
                onehot = np.zeros((len(X), len(first)))
                seen = codes >= 0
                if not seen.all():
                    new = column.iloc[int(np.flatnonzero(~seen)[0])]
                    warnings.warn(
                        f"Covariate {name!r} holds a value not seen in fit "
                        f"({new!r}; categories are compared as they are, so 1 "
                        "and '1' differ): it encodes as no category.",
                        UserWarning,
                        stacklevel=4,
                    )
                onehot[np.flatnonzero(seen), codes[seen]] = 1.0
                parts.append(onehot)
        return np.concatenate(parts, axis=1)


def series_rows(index):
    """Per series of the panel of ``index``, its rows' positions in time order."""
    positions = pd.Series(np.arange(len(index), dtype=np.float64), index=index)
    return [v.astype(np.intp) for v in check_panel(positions).values]


def _check_missing(column, name):
    bad = column.isna().to_numpy()
    if bad.any():
        at = column.index[int(np.flatnonzero(bad)[0])]
        raise ValueError(
            f"Covariate {name!r} is missing in the row {at!r}: fill it first."
        )


def _finite_values(column, name):
    """A numeric covariate's values as float64, refused if any is not finite."""
    values = column.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        at = column.index[int(np.flatnonzero(~np.isfinite(values))[0])]
        raise ValueError(
            f"Covariate {name!r} is missing or infinite in the row {at!r}."
        )
    return values


def _check_static(column, rows, name):
    values = column.astype(object).to_numpy()
    for r in rows:
        if len(r) and (values[r] != values[r[0]]).any():
            key = column.index[r[0]]
            key = key[0] if isinstance(column.index, pd.MultiIndex) else 0
            raise ValueError(
                f"Static covariate {name!r} changes within series {key!r}: a "
                "static covariate holds one value per series."
            )


def _pick(items, keep):
    if items is None:
        return None
    if isinstance(items, np.ndarray):
        return items[keep]
    return [items[i] for i in keep]


@dataclass
class Exogenous:
    """Per-series covariate arrays, and the series' codes.

    ``future`` and ``past`` are lists (one array ``(n_periods, width)`` per
    series, or None when there are none); ``static`` is ``(n_series,
    width)`` or None; ``codes`` is ``(n_series,)`` or None (no embedding).
    ``future`` may reach beyond a series' values: the periods forecast.
    """

    future: list = None
    past: list = None
    static: np.ndarray = None
    codes: np.ndarray = None

    def subset(self, keep):
        """The covariates of the series at positions ``keep``."""
        return Exogenous(
            _pick(self.future, keep),
            _pick(self.past, keep),
            _pick(self.static, keep),
            _pick(self.codes, keep),
        )

    def truncated(self, stops):
        """The covariates known at ``stops`` values of each series: future ones
        kept whole, past ones cut."""
        past = None
        if self.past is not None:
            past = [p[:stop] for p, stop in zip(self.past, stops)]
        return Exogenous(self.future, past, self.static, self.codes)

    def for_forecast(self, which, future, lengths, n_steps, steps_out, keys):
        """The covariates of the series at positions ``which`` for a forecast
        of ``n_steps`` after their ``lengths`` values: the known-future ones
        extended by ``future`` (position -> rows after the training data),
        checked to reach the last window's periods (see :meth:`check_reach`).
        """
        exog = self.subset(which)
        if exog.future is not None:
            exog.future = [
                np.concatenate([known, future[i]])
                for known, i in zip(exog.future, which)
            ]
        last = (-(-n_steps // steps_out) - 1) * steps_out
        exog.check_reach([n + last for n in lengths], steps_out, keys)
        return exog

    def check_reach(self, origins, steps_out, keys):
        """A ValueError naming the first series whose future covariates stop
        before ``origins + steps_out``, or whose past ones stop before its
        origin."""
        if self.past is not None:
            for key, a, t in zip(keys, self.past, origins):
                if len(a) < t:
                    raise ValueError(
                        f"Series {key!r}: past covariates are known only up to "
                        f"the forecast origin, so the forecast reaches at most "
                        f"{steps_out} period(s) ahead (strategy='direct', "
                        "horizon); drop past_covariates to forecast further."
                    )
        if self.future is not None:
            for key, a, t in zip(keys, self.future, origins):
                if len(a) < t + steps_out:
                    raise ValueError(
                        f"Series {key!r}: the forecast needs its future "
                        f"covariates for {t + steps_out - len(a)} more "
                        f"period(s) (the network reads {steps_out} periods "
                        "ahead at once): X must hold a row for every period "
                        "from the first after the training data up to the "
                        "last forecast, in whole horizons."
                    )

    def assemble(self, x, series, origins, window, steps_out):
        """The network's input: the scaled target windows ``x`` ``(n,
        window)`` and their covariates, ``(n, steps, features)``; ``x``
        itself when there are none."""
        if all(v is None for v in (self.future, self.past, self.static, self.codes)):
            return x
        ahead = steps_out if self.future is not None else 0
        n = len(x)
        parts = [np.concatenate([x, np.zeros((n, ahead))], axis=1)[..., None]]
        if ahead:
            flag = np.zeros((n, window + ahead, 1))
            flag[:, window:] = 1.0
            before, after = gather(self.future, series, origins, window, ahead)
            parts += [flag, np.concatenate([before, after], axis=1)]
        if self.past is not None:
            before, _ = gather(self.past, series, origins, window, 0)
            after = np.zeros((n, ahead, before.shape[2]))
            parts.append(np.concatenate([before, after], axis=1))
        steps = window + ahead
        for per_series in (self.static, self.codes):
            if per_series is not None:
                rows = per_series[series].reshape(n, 1, -1)
                parts.append(np.broadcast_to(rows, (n, steps, rows.shape[2])))
        return np.concatenate(parts, axis=2)


def training_exog(encoder, X, rows, codes):
    """The :class:`Exogenous` of the training series: per series, the
    encoded rows of ``X`` at its ``rows``, and the ``codes`` (or None)."""
    by_role = {}
    for role in ROLES:
        if encoder.names(role):
            encoded = encoder.encode(X, role)
            by_role[role] = [encoded[r] for r in rows]
    static = by_role.get("static")
    return Exogenous(
        future=by_role.get("future"),
        past=by_role.get("past"),
        static=None if static is None else np.stack([s[0] for s in static]),
        codes=codes,
    )


def future_blocks(encoder, X, ahead, steps_out, panel):
    """Per series position: the encoded known-future covariates that its
    forecast reads, from the rows of ``X``.

    ``ahead`` maps a series' position to ``(pairs, n_steps)``: its
    ``(row of X, step ahead)`` pairs and how far it is forecast. The
    network reads ``steps_out`` periods at a time, so covariates are needed
    for every period up to ``n_steps`` rounded up to whole ``steps_out``.
    """
    names = encoder.names("future")
    if not isinstance(X, pd.DataFrame) or set(names) - set(X.columns):
        raise ValueError(
            f"X must hold the known-future covariates {names} of the periods forecast."
        )
    for name in names:
        _check_missing(X[name], name)
    encoded = encoder.encode(X, "future")
    out = {}
    for i, (pairs, n_steps) in ahead.items():
        need = -(-n_steps // steps_out) * steps_out
        block = np.full((need, encoded.shape[1]), np.nan)
        for row, step in pairs:
            if step < need:
                block[step] = encoded[row]
        gaps = np.flatnonzero(np.isnan(block).any(axis=1))
        if len(gaps):
            period = panel.future(i, need)[gaps[0]]
            raise ValueError(
                f"Series {panel.ids[i]!r}: X has no covariates for {period}. The "
                "forecast reads the known-future covariates of every period up "
                f"to its last, in whole horizons of {steps_out}."
            )
        out[i] = block
    return out


def panel_covariates(X, index, params, n_series, calibration_stops=None):
    """The fitted :class:`CovariateEncoder` (or None) and the training
    :class:`Exogenous` (or None) of a ``PanelForecaster`` with ``params``.

    ``X`` is the covariate frame on ``index`` (None: no columns);
    ``calibration_stops`` (or None: no calibration) are, per series, the
    rows the calibration network trains on.
    """
    static, past = params["static_covariates"], params["past_covariates"]
    per_series = params["id_embedding"] or params["level_smoothing"]
    codes = np.arange(n_series, dtype=np.float64) if per_series else None
    if X is None:
        if static or past:
            raise ValueError(
                "static_covariates and past_covariates name columns of X, but X "
                "has none."
            )
        return None, None if codes is None else Exogenous(codes=codes)
    if past and params["strategy"] == "recursive":
        raise ValueError(
            "past_covariates need strategy='direct': a recursive forecast would "
            "need them for the periods it forecasts."
        )
    rows = series_rows(index)
    encoder = CovariateEncoder(static, past).fit(X, rows, calibration_stops)
    return encoder, training_exog(encoder, X, rows, codes)
