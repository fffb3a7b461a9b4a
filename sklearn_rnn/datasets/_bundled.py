# SPDX-License-Identifier: BSD-3-Clause
"""Loaders for the small real data sets shipped inside the package."""

from importlib import resources

import pandas as pd


def load_airline_passengers():
    """Load the monthly airline passenger totals, 1949-1960.

    Box & Jenkins' series G: 144 monthly totals of international airline
    passengers in thousands, with a trend and a multiplicative yearly season.
    Source and licence: ``sklearn_rnn/datasets/data/README.md``.

    Returns
    -------
    frame : pandas.DataFrame of shape (144, 1)
        One column, ``"passengers"`` (float64), indexed by a monthly
        ``DatetimeIndex`` named ``"month"`` (month starts, ``freq="MS"``).

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_airline_passengers
    >>> df = load_airline_passengers()
    >>> df.shape, df.index.freqstr, float(df["passengers"].iloc[0])
    ((144, 1), 'MS', 112.0)
    """
    path = resources.files("sklearn_rnn.datasets") / "data" / "airline_passengers.csv"
    with path.open() as f:
        frame = pd.read_csv(f, parse_dates=["month"], index_col="month")
    return frame.astype("float64").asfreq("MS")


def load_nile():
    """Load the annual flow of the river Nile at Aswan, 1871-1970.

    100 yearly volumes in 10^8 m^3, with a level shift around 1898 (the first
    Aswan dam): the classic series of change-point and state-space analyses
    (Cobb 1978; Durbin & Koopman 2001). Source and licence:
    ``sklearn_rnn/datasets/data/README.md``.

    Returns
    -------
    frame : pandas.DataFrame of shape (100, 1)
        One column, ``"flow"`` (float64), indexed by a yearly
        ``DatetimeIndex`` named ``"year"`` (year starts, ``freq="YS"``).

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_nile
    >>> df = load_nile()
    >>> df.shape, str(df.index[0].date()), float(df["flow"].iloc[0])
    ((100, 1), '1871-01-01', 1120.0)
    """
    path = resources.files("sklearn_rnn.datasets") / "data" / "nile.csv"
    with path.open() as f:
        frame = pd.read_csv(f)
    frame.index = pd.DatetimeIndex(
        pd.to_datetime(frame.pop("year").astype(str), format="%Y"), name="year"
    )
    return frame.astype("float64").asfreq("YS")


def load_grunfeld():
    """Load Grunfeld's investment panel: 11 US firms, 1935-1954.

    A small real panel: each firm's yearly gross investment, market value
    and capital stock (millions of 1947 dollars), 20 years per firm, in the
    long layout that :func:`sklearn_rnn.forecasting.to_panel` reads. Source
    and licence (public domain): ``sklearn_rnn/datasets/data/README.md``.

    Returns
    -------
    frame : pandas.DataFrame of shape (220, 5)
        Columns ``"firm"`` (str), ``"year"`` (int64), ``"invest"``,
        ``"value"`` and ``"capital"`` (float64); rows by firm, then year.

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_grunfeld
    >>> from sklearn_rnn.forecasting import to_panel
    >>> frame = load_grunfeld()
    >>> frame.shape, frame["firm"].nunique()
    ((220, 5), 11)
    >>> X, y = to_panel(frame, id_column="firm", date_column="year",
    ...                 target="invest", freq="Y")
    >>> list(X.columns), len(y)
    (['value', 'capital'], 220)
    """
    path = resources.files("sklearn_rnn.datasets") / "data" / "grunfeld.csv"
    with path.open() as f:
        frame = pd.read_csv(f, dtype={"firm": str, "year": "int64"})
    columns = ["invest", "value", "capital"]
    frame[columns] = frame[columns].astype("float64")
    return frame
