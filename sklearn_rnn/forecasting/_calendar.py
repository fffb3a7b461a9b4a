# SPDX-License-Identifier: BSD-3-Clause
"""Calendar facts shared by the estimators and the command line."""

import warnings

import numpy as np
import pandas as pd

from sklearn_rnn.utils._pandas import infer_freq

# Season length of a frequency's base unit: a year of months, quarters,
# weeks; a week of days and business days; a day of hours.
_SEASONS = {"M": 12, "ME": 12, "MS": 12, "BM": 12, "BME": 12, "BMS": 12}
_SEASONS.update({"Q": 4, "QE": 4, "QS": 4, "BQ": 4, "BQE": 4, "BQS": 4})
_SEASONS.update({"W": 52, "D": 7, "B": 5, "h": 24, "H": 24})


def season_of(freq):
    """The season implied by a frequency, or None (years, minutes, ...).

    Parameters
    ----------
    freq : str or pandas offset
        ``"M"``, ``"MS"``, ``"QE-DEC"``, ``"W-SUN"``, ``"D"``, ...

    Returns
    -------
    season : int or None
        12 for months, 4 for quarters, 52 for weeks, 7 for days, 5 for
        business days, 24 for hours; None otherwise. A multiple of the
        unit (``"2M"``) has no season here.

    Examples
    --------
    >>> from sklearn_rnn.forecasting._calendar import season_of
    >>> season_of("MS"), season_of("QE-DEC"), season_of("YE-DEC")
    (12, 4, None)
    """
    name = getattr(freq, "freqstr", None) or str(freq)
    base = name.split("-")[0]
    if base[:1].isdigit():
        return None
    return _SEASONS.get(base)


def index_season(index):
    """The season of a time index's frequency, or None."""
    if isinstance(index, pd.PeriodIndex):
        return season_of(index.freqstr)
    if isinstance(index, pd.DatetimeIndex):
        freq = infer_freq(index)
        return None if freq is None else season_of(freq)
    return None


# The time index of a single series: its step, its kind, where new rows fall.
def integer_step(index):
    """The constant step of an increasing integer index, or None."""
    if len(index) < 2:
        return 1
    steps = np.diff(np.asarray(index, dtype=np.int64))
    return int(steps[0]) if steps[0] > 0 and (steps == steps[0]).all() else None


def index_kind(idx):
    """How a date index is named in messages: its class, frequency or zone."""
    name = type(idx).__name__
    if isinstance(idx, pd.PeriodIndex):
        return f"{name} of frequency {idx.freqstr}"
    if idx.tz is not None:
        return f"timezone-aware {name}"
    return name


def same_kind_of_dates(index, train):
    """X's date index in the training index's zone, refused if of another kind
    or not after the training data."""
    if index_kind(index) != index_kind(train):
        raise ValueError(
            f"X is indexed by a {index_kind(index)}, the training data by a "
            f"{index_kind(train)}: use the same kind of dates."
        )
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        index = index.tz_convert(train.tz)  # one zone to compare in
    if index[0] <= train[-1]:
        raise ValueError(
            f"X starts at {index[0]}, not after the training data, which "
            f"ends at {train[-1]}: predict forecasts the periods after it."
        )
    return index


def date_offset(index, train):
    """Periods between the training dates and X's first date (None: no
    frequency, so forecasts are placed by position)."""
    last = train[-1]
    if isinstance(index, pd.PeriodIndex):
        # Ordinals count the frequency's base unit (months for "2M").
        return (index[0].ordinal - last.ordinal) // train.freq.n - 1
    freq = infer_freq(train)
    if freq is None:
        return None
    return len(pd.date_range(last, index[0], freq=freq)) - 2


def integer_offset(index, train):
    """Periods between integer training positions and X's first position
    (None: a fresh index, which stands for the periods right after)."""
    last = train[-1]
    if index[0] <= last:
        return None
    step = integer_step(train) or 1
    return (int(index[0]) - int(last)) // step - 1


def grid_of(train):
    """The training index's spacing, for messages."""
    if isinstance(train, pd.DatetimeIndex):
        return f"frequency {infer_freq(train).freqstr}"
    if isinstance(train, pd.PeriodIndex):
        return f"frequency {train.freqstr}"
    return f"step {integer_step(train) or 1}"


def rows_given(index, expected):
    """X's rows against the ones due, for messages."""
    if len(index) == 1:
        return f"X's row stands for {index[0]}; the one due is {expected[0]}"
    return (
        f"X's index runs from {index[0]} to {index[-1]} ({len(index)} "
        f"rows); the ones due are {expected[0]} to {expected[-1]}"
    )


# Calendar periods, each with the least spacing (in days) that reads as
# one row per period of it: what the dates mostly follow, from their median
# spacing.
_CALENDARS = (
    ("Y", 360),
    ("Q", 88),
    ("M", 28),
    ("W", 7),
    ("D", 1),
    ("h", 1 / 24),
    ("min", 1 / 1440),
    ("s", 0),
)


def calendar_periods(dates):
    """The calendar unit sorted ``dates`` mostly follow, and their periods.

    The unit comes from the median spacing of the dates (at least two):
    ``"Y"``, ``"Q"``, ``"M"``, ``"W"``, ``"D"`` (``"B"`` for daily dates
    without weekends), ``"h"``, ``"min"`` or ``"s"``. Dates one row per
    period fill consecutive periods, whatever day of the period they fall
    on (the 15th of each month, say), where a day count cannot tell: months
    and quarters have different numbers of days.

    Returns
    -------
    unit : str
    periods : pandas.PeriodIndex
        ``dates`` in periods of ``unit`` (a timezone is dropped).
    """
    days = pd.Series(dates[1:] - dates[:-1]).median() / pd.Timedelta(days=1)
    unit = next(f for f, least in _CALENDARS if days >= 0.97 * least)
    if unit == "D" and (dates.day_of_week < 5).all():
        unit = "B"  # daily without weekends: business days
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # to_period drops a timezone; B periods
        periods = dates.to_period(unit)
    return unit, periods


def first_irregularity(dates, periods, unit):
    """Where ``dates`` (in ``periods`` of ``unit``) are not one row per
    period, in words; None where they are."""
    steps = np.diff(periods.asi8)
    if (steps == 1).all():
        return None
    if (steps == 0).any():
        at = int(np.flatnonzero(steps == 0)[0])
        return (
            f"read as one row per {unit!r} period, {dates[at]} and "
            f"{dates[at + 1]} fall in the same period {periods[at]}"
        )
    at = int(np.flatnonzero(steps != 1)[0])
    return (
        f"read as one row per {unit!r} period, {dates[at]} is followed by "
        f"{dates[at + 1]}, {steps[at]} periods later"
    )
