# SPDX-License-Identifier: BSD-3-Clause
"""The panel layout: many series in one pandas object, and its checks.

A panel is a pandas Series ``y`` whose index is a 2-level MultiIndex
``(series id, period)`` (sktime's ``pd-multiindex`` convention); ``X`` is a
DataFrame on the same index. A single series indexed by dates, periods or
integer positions is the panel of one series, with id 0 (or its name).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_rnn.forecasting._calendar import calendar_periods, first_irregularity
from sklearn_rnn.utils._pandas import infer_freq


@dataclass
class Panel:
    """Validated panel: one float64 copy of each series, oldest first.

    Attributes
    ----------
    ids : list
        Series ids, in order of first appearance.
    values : list of ndarray
        The values of each series (copies).
    starts : pandas.Index
        The first period of each series.
    freq : str or int
        The shared frequency: a pandas frequency string for dates and
        periods, the integer step of an integer index.
    kind : {"period", "datetime", "integer"}
        What the time level holds.
    names : tuple of str
        Names of the id and time levels.
    single : bool
        Whether ``y`` was a single series (not a MultiIndex).
    """

    ids: list
    values: list
    starts: list
    freq: object
    kind: str
    names: tuple
    single: bool = False

    def positions(self):
        """Series id -> position in ``ids``."""
        return {key: i for i, key in enumerate(self.ids)}

    def future(self, i, n, offset=0):
        """The ``n`` periods of series ``i`` after ``offset`` beyond its end."""
        return future_periods(self, i, len(self.values[i]) + offset, n)


def future_periods(panel, i, position, n):
    """Labels of positions ``position .. position + n - 1`` of series ``i``."""
    start = panel.starts[i]
    if panel.kind == "period":
        return pd.period_range(start + position, periods=n, freq=panel.freq)
    if panel.kind == "datetime":
        return pd.date_range(start, periods=position + n, freq=panel.freq)[position:]
    return pd.Index(start + panel.freq * np.arange(position, position + n))


def _time_kind(index):
    if isinstance(index, pd.PeriodIndex):
        return "period"
    if isinstance(index, pd.DatetimeIndex):
        return "datetime"
    if pd.api.types.is_integer_dtype(index):
        return "integer"
    raise ValueError(
        f"The time level of the index holds {index.dtype} values: it must be "
        "dates (DatetimeIndex), periods (PeriodIndex) or integer positions. "
        "Dates read as text can be parsed with pandas.to_datetime."
    )


def _series_freq(key, times, kind):
    """The regular step of one series' times, or a ValueError naming it."""
    if len(times) < 2:
        return None
    if kind == "period":
        steps = np.diff(times.asi8)
        if (steps == times.freq.n).all():
            return times.freqstr
        at = int(np.flatnonzero(steps != times.freq.n)[0])
    elif kind == "datetime":
        dates = pd.DatetimeIndex(times)
        freq = infer_freq(dates)
        if freq is not None:
            return freq.freqstr
        # Calendar periods name the first gap: a day count cannot, months
        # and quarters having different numbers of days.
        unit, periods = calendar_periods(dates)
        where = first_irregularity(dates, periods, unit)
        if where is None and len(dates) == 2:
            return None  # one step: checked against the panel's frequency
        if where is None:
            raise ValueError(
                f"Series {key!r} has one date per {unit!r} period, but on no "
                f"frequency pandas knows ({dates[0]}, {dates[1]}, ...): index "
                f"the panel by periods (dates.to_period({unit!r}))."
            )
        raise ValueError(
            f"Series {key!r} is not regular: {where} (a missing or duplicated "
            "period?). Each series needs one row per period, with no gaps."
        )
    else:
        steps = np.diff(np.asarray(times, dtype=np.int64))
        if steps[0] > 0 and (steps == steps[0]).all():
            return int(steps[0])
        at = int(np.flatnonzero(steps != steps[0])[0]) if steps[0] > 0 else 0
    raise ValueError(
        f"Series {key!r} is not regular: {times[at]} is followed by "
        f"{times[at + 1]} (a missing or duplicated period?). Each series needs "
        "one row per period, with no gaps."
    )


def _as_multiindexed(y):
    """``y`` as a Series on a (id, time) MultiIndex, and whether it was one."""
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y must be one column of targets; got a DataFrame of {y.shape[1]} "
                "columns. Convert a long table with to_panel()."
            )
        y = y.iloc[:, 0]
    if not isinstance(y, pd.Series):
        values = np.asarray(y)
        if values.ndim != 1:
            raise ValueError(f"y must be 1-D; got shape {values.shape}.")
        y = pd.Series(values)
    index = y.index
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 2:
            raise ValueError(
                f"y's MultiIndex has {index.nlevels} levels; a panel has two: "
                "(series id, period)."
            )
        return y, False
    key = y.name if y.name is not None else 0
    multi = pd.MultiIndex.from_arrays(
        [np.full(len(y), key, dtype=object), index],
        names=["series", index.name if index.name is not None else "period"],
    )
    return pd.Series(y.to_numpy(), index=multi, name=y.name), True


def check_panel(y, *, min_length=1):
    """Validate ``y`` as a panel and return a :class:`Panel` of copies.

    Parameters
    ----------
    y : pandas Series (MultiIndex or a single series) or array-like
        The targets.
    min_length : int, default=1
        Fewest values a series may have.

    Returns
    -------
    panel : Panel

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rnn.forecasting import check_panel
    >>> y = pd.Series([1.0, 2.0, 3.0],
    ...               index=pd.period_range("2020-01", periods=3, freq="M"))
    >>> panel = check_panel(y)          # a single series: the panel of one
    >>> panel.ids, panel.freq, panel.single
    ([0], 'M', True)
    """
    y, single = _as_multiindexed(y)
    dtype = y.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise ValueError(
            f"y holds {dtype} values: the target must be numbers (dates belong "
            "in the index)."
        )
    index = y.index
    if len(y) == 0:
        raise ValueError("y is empty: a panel needs at least one series with values.")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ValueError(
            f"Series {dup[0]!r} has two rows for period {dup[1]}: one row per "
            "(series, period)."
        )
    kind = _time_kind(index.levels[1])
    ids, values, starts, freqs, pairs = [], [], [], {}, []
    codes = index.codes[0]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    raw = y.to_numpy(dtype=np.float64, na_value=np.nan)
    for rows in np.split(order, bounds):
        key = index.levels[0][codes[rows[0]]]
        key = key.item() if isinstance(key, np.generic) else key
        times = index.get_level_values(1)[rows]
        sort = np.argsort(times.asi8 if kind != "integer" else np.asarray(times))
        rows, times = rows[sort], times[sort]
        z = raw[rows].copy()
        if not np.isfinite(z).all():
            at = times[int(np.flatnonzero(~np.isfinite(z))[0])]
            raise ValueError(
                f"Series {key!r} has a missing or infinite target at {at}: fill "
                "or drop it first."
            )
        if len(z) < min_length:
            raise ValueError(
                f"Series {key!r} has {len(z)} values; at least {min_length} are "
                "needed (window and horizon, see the estimator's parameters)."
            )
        freq = _series_freq(key, times, kind)
        if freq is not None:
            freqs.setdefault(str(freq), (key, freq))
        elif kind == "datetime" and len(times) == 2:
            pairs.append((key, times[0], times[1]))
        ids.append(key)
        values.append(z)
        starts.append(times[0])
    if len(freqs) > 1:
        (k1, f1), (k2, f2) = list(freqs.values())[:2]
        raise ValueError(
            f"Series {k1!r} has frequency {f1}, series {k2!r} {f2}: one panel "
            "needs one frequency."
        )
    freq = next(iter(freqs.values()))[1] if freqs else _lone_freq(index, kind)
    _check_two_dates(pairs, freq)
    starts = pd.Index(starts) if kind != "period" else pd.PeriodIndex(starts)
    names = tuple(
        n if n is not None else d for n, d in zip(index.names, ("series", "period"))
    )
    return Panel(ids, values, starts, freq, kind, names, single)


def _check_two_dates(pairs, freq):
    """Series of two dates have one step: it must be the panel's ``freq``.

    ``pairs`` holds ``(series id, first date, second date)``.
    """
    if not pairs:
        return
    step = pd.tseries.frequencies.to_offset(freq)
    for key, start, end in pairs:
        if start + step != end:
            raise ValueError(
                f"Series {key!r} has two dates, {start} and {end}, not one "
                f"period of the panel's frequency {freq} apart."
            )


def _lone_freq(index, kind):
    if kind == "period":
        return index.levels[1].freqstr
    if kind == "integer":
        return 1
    raise ValueError(
        "No series has three dates or more: the frequency cannot be known. "
        "Index the periods with a PeriodIndex."
    )


def _integer_years(dates, freq, date_column):
    """Integer dates with a frequency: years (1935...), for a yearly one."""
    try:
        yearly = pd.Period("2000", freq=freq).freqstr.startswith("Y")
    except ValueError:
        yearly = False
    if yearly:
        try:
            return pd.to_datetime(dates.astype(str), format="%Y")
        except ValueError:
            raise ValueError(
                f"Column {date_column!r} holds integers that are not years of four "
                f"digits (or a missing one), e.g. {dates.iloc[0]!r}: with "
                f"freq={freq!r} integers are read as years."
            ) from None
    raise ValueError(
        f"Column {date_column!r} holds integers and freq={freq!r}: integers are "
        "read as years (with a yearly freq) or as positions (with freq=None); "
        "give other dates as dates or periods."
    )


def to_panel(frame, *, id_column, date_column, target, freq=None):
    """Convert a long DataFrame (one row per series and date) to ``(X, y)``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table: a column of series ids, one of dates, the target and
        covariates (any other columns). It is not modified.
    id_column, date_column, target : str
        Names of the id, date and target columns.
    freq : str, default=None
        Frequency of the dates (``"M"``, ``"D"``...): the dates become
        periods of it. None keeps them as they are. A column of integers
        is read as years with a yearly frequency (``"Y"``), as integer
        positions with None, and refused with any other frequency.

    Returns
    -------
    X : pandas.DataFrame
        The other columns (covariates; possibly none), indexed by
        ``(id, date)``, sorted.
    y : pandas.Series
        The target on the same index.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rnn.forecasting import to_panel
    >>> long = pd.DataFrame({"store": ["a", "a", "b", "b"],
    ...                      "month": ["2020-01", "2020-02"] * 2,
    ...                      "sales": [1.0, 2.0, 3.0, 4.0]})
    >>> X, y = to_panel(long, id_column="store", date_column="month",
    ...                 target="sales", freq="M")
    >>> y.index.names
    FrozenList(['store', 'month'])
    """
    for name, column in (
        ("id_column", id_column),
        ("date_column", date_column),
        ("target", target),
    ):
        if column not in frame.columns:
            raise ValueError(
                f"{name}={column!r} is not a column of the frame; columns: "
                f"{list(frame.columns)}."
            )
    dates = frame[date_column]
    if pd.api.types.is_integer_dtype(dates) and freq is not None:
        dates = _integer_years(dates, freq, date_column)
    if not isinstance(dates.dtype, pd.PeriodDtype) and not (
        pd.api.types.is_integer_dtype(dates) and freq is None
    ):
        dates = pd.to_datetime(dates)
        if freq is not None:
            dates = dates.dt.to_period(freq)
    index = pd.MultiIndex.from_arrays(
        [frame[id_column].to_numpy(), dates.to_numpy()], names=[id_column, date_column]
    )
    if freq is not None and not isinstance(index.levels[1], pd.PeriodIndex):
        index = index.set_levels(pd.PeriodIndex(index.levels[1], freq=freq), level=1)
    rest = frame.drop(columns=[id_column, date_column, target])
    X = pd.DataFrame(rest.to_numpy(copy=True), index=index, columns=rest.columns)
    X = X.astype(rest.dtypes.to_dict()) if rest.shape[1] else X
    y = pd.Series(frame[target].to_numpy(copy=True), index=index, name=target)
    order = np.lexsort((np.arange(len(y)), index.codes[1], index.codes[0]))
    return X.iloc[order], y.iloc[order]


def rows_to_forecast(X, panel, series_ids):
    """Series ids and periods of the rows of ``X``, all of known series.

    ``X`` is indexed by ``(series id, period)``, or by periods for a model
    of one series.
    """
    if not isinstance(X, (pd.DataFrame, pd.Series)):
        raise TypeError(
            "X must be a DataFrame indexed by (series id, period), the rows "
            f"to forecast; got {type(X).__name__}."
        )
    index = X.index
    if not isinstance(index, pd.MultiIndex):
        if not panel.single:
            raise ValueError(
                "X must be indexed by (series id, period): the model was "
                f"fitted on {len(panel.ids)} series."
            )
        index = pd.MultiIndex.from_arrays(
            [np.full(len(index), panel.ids[0], dtype=object), index]
        )
    if index.has_duplicates:
        key, period = index[index.duplicated()][0]
        raise ValueError(
            f"X has two rows for series {key!r} at {period}: one row per "
            "(series, period)."
        )
    keys = index.get_level_values(0)
    unknown = pd.Index(keys.unique()).difference(pd.Index(series_ids))
    if len(unknown):
        raise ValueError(
            f"X holds series not seen in fit: {list(unknown[:5])}. The model "
            "forecasts a series from its own history: fit it with them."
        )
    return keys, index.get_level_values(1)
