# SPDX-License-Identifier: BSD-3-Clause
"""Calendar facts shared by the estimators and the command line."""

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
