# SPDX-License-Identifier: BSD-3-Clause
"""Forecast accuracy as the M competitions measure it: sMAPE, MASE, OWA.

Each measure is computed per series and averaged over series (the M3 and
M4 convention). The scorers (``smape_scorer``, ``mase_scorer``,
``owa_scorer``) follow scikit-learn's ``scoring=`` protocol,
``scorer(estimator, X, y)``, and return the negated error (greater is
better); MASE and OWA read each series' training history from the fitted
estimator (its ``history_``), which is what they are scaled by.
"""

import numpy as np
import pandas as pd

from sklearn_rnn.forecasting._transforms import seasonal_indices


def smape(y_true, y_pred):
    """Symmetric MAPE in percent: mean of ``200 |y - f| / (|y| + |f|)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_periods,)
        One series' truth and forecast.

    Returns
    -------
    smape : float

    Examples
    --------
    >>> from sklearn_rnn.forecasting import smape
    >>> round(smape([100, 100], [110, 90]), 3)
    10.025
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    denom = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        np.abs(y_true - y_pred), denom, out=np.zeros_like(denom), where=denom > 0
    )
    return float(200 * ratio.mean())


def mase(y_true, y_pred, y_train, season=1):
    """Mean absolute scaled error of one series.

    The absolute errors are divided by the in-sample MAE of the seasonal
    naive forecast (lag ``season``) on ``y_train``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_periods,)
    y_train : array-like
        The series' history (training data).
    season : int, default=1
        Seasonal lag of the naive forecast (1 for no season).

    Returns
    -------
    mase : float

    Examples
    --------
    >>> from sklearn_rnn.forecasting import mase
    >>> mase([7.0, 8.0], [8.0, 7.0], [1.0, 2, 3, 4, 5, 6], season=2)
    0.5
    """
    y_train = np.asarray(y_train, float)
    if len(y_train) <= season:
        season = 1
    scale = naive_mae(y_train, season)
    if not scale > 0:
        scale = np.finfo(float).eps
    return float(np.mean(np.abs(np.asarray(y_true, float) - y_pred)) / scale)


def naive_mae(y, lag):
    """In-sample MAE of the naive forecast at ``lag``: the scale of MASE
    (NaN when ``y`` has no more than ``lag`` values)."""
    if len(y) <= lag:
        return np.nan
    return float(np.mean(np.abs(y[lag:] - y[:-lag])))


def _is_seasonal(y, season):
    """M4's seasonality test: lag-``season`` autocorrelation at 90 %."""
    n = len(y)
    if season < 2 or n < 3 * season:
        return False
    z = y - y.mean()
    denom = (z**2).sum()
    if denom == 0:
        return False
    acf = np.array([(z[k:] * z[:-k]).sum() / denom for k in range(1, season + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * (acf[:-1] ** 2).sum()) / n)
    return bool(abs(acf[-1]) > limit)


def naive2(y_train, n_periods, season=1):
    """The Naive2 benchmark of M4: naive on seasonally adjusted data.

    The season (classical multiplicative decomposition) is removed when
    M4's 90 % autocorrelation test finds it, the last adjusted value is
    repeated, and the season put back.

    Parameters
    ----------
    y_train : array-like
        The series' history.
    n_periods : int
        Periods to forecast.
    season : int, default=1
        Length of the season (1: none).

    Returns
    -------
    forecast : ndarray of shape (n_periods,)

    Examples
    --------
    >>> from sklearn_rnn.forecasting import naive2
    >>> naive2([1.0, 2.0, 3.0], 2)
    array([3., 3.])
    """
    y = np.asarray(y_train, float)
    if season > 1 and (y > 0).all() and _is_seasonal(y, season):
        factors = seasonal_indices(y, season, multiplicative=True)
        n = len(y)
        level = y[-1] / factors[(n - 1) % season]
        return level * factors[np.arange(n, n + n_periods) % season]
    return np.full(n_periods, y[-1])


def _by_series(estimator, X, y):
    """Per series: truth, forecast and training history, from a panel fold."""
    pred = pd.Series(np.asarray(estimator.predict(X), float), index=y.index)
    history = dict(zip(estimator.series_ids_, estimator.history_))
    keys = y.index.get_level_values(0) if isinstance(y.index, pd.MultiIndex) else None
    if keys is None:
        yield y.to_numpy(float), pred.to_numpy(), estimator.history_[0]
        return
    for key, rows in y.groupby(keys, sort=False).groups.items():
        yield y.loc[rows].to_numpy(float), pred.loc[rows].to_numpy(), history[key]


def _season(estimator):
    return getattr(estimator, "season_", None) or 1


def panel_scores(estimator, X, y):
    """sMAPE, MASE and their Naive2 counterparts of a fitted forecaster.

    Parameters
    ----------
    estimator : PanelForecaster
        Fitted; its ``history_`` gives each series' training values.
    X : pandas.DataFrame
        The rows to forecast, indexed by ``(series id, period)``.
    y : pandas.Series
        Their true values, on the same index.

    Returns
    -------
    scores : dict
        ``smape``, ``mase``, ``naive2_smape``, ``naive2_mase`` and ``owa``,
        each averaged over the series of ``y``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.forecasting import PanelForecaster, panel_scores
    >>> index = pd.MultiIndex.from_product(
    ...     [["a", "b"], pd.period_range("2000-01", periods=30, freq="M")])
    >>> y = pd.Series(np.linspace(10, 20, 60), index=index)
    >>> late = y.index.get_level_values(1) >= pd.Period("2002-05", "M")
    >>> train, test = y[~late], y[late]
    >>> model = PanelForecaster(RNNRegressor("gru", 4, max_epochs=2),
    ...     window=6, horizon=2, random_state=0).fit(None, train)
    >>> sorted(panel_scores(model, test.to_frame().iloc[:, :0], test))
    ['mase', 'naive2_mase', 'naive2_smape', 'owa', 'smape']
    """
    m = _season(estimator)
    rows = []
    for truth, pred, hist in _by_series(estimator, X, y):
        base = naive2(hist, len(truth), m)
        rows.append(
            [
                smape(truth, pred),
                mase(truth, pred, hist, m),
                smape(truth, base),
                mase(truth, base, hist, m),
            ]
        )
    s, ms, s2, m2 = np.mean(rows, axis=0)
    return {
        "smape": s,
        "mase": ms,
        "naive2_smape": s2,
        "naive2_mase": m2,
        "owa": owa(s, ms, s2, m2),
    }


def owa(smape_model, mase_model, smape_naive2, mase_naive2):
    """Overall weighted average of M4, from dataset-level sMAPE and MASE.

    ``0.5 * (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)``, each measure
    first averaged over all series (not an average of per-series ratios).

    Parameters
    ----------
    smape_model, mase_model : float
        The model's sMAPE and MASE, averaged over series.
    smape_naive2, mase_naive2 : float
        Naive2's, on the same series.

    Returns
    -------
    owa : float
        Below 1: better than Naive2.

    Examples
    --------
    >>> from sklearn_rnn.forecasting import owa
    >>> round(owa(12.0, 0.9, 15.0, 1.0), 3)
    0.85
    """
    return 0.5 * (smape_model / smape_naive2 + mase_model / mase_naive2)


def smape_scorer(estimator, X, y):
    """Negated sMAPE averaged over series (for ``scoring=``).

    Parameters
    ----------
    estimator : PanelForecaster
        Fitted on the training fold.
    X : pandas.DataFrame
        The test fold's rows, indexed by ``(series id, period)``.
    y : pandas.Series
        Their true values.

    Returns
    -------
    score : float
        Minus the error: greater is better, as ``scoring=`` expects.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_rnn.forecasting import PanelSplitter, smape_scorer
    >>> # cross_val_score(model, X, y, cv=PanelSplitter(), scoring=smape_scorer)
    """
    return -float(np.mean([smape(t, p) for t, p, _ in _by_series(estimator, X, y)]))


def mase_scorer(estimator, X, y):
    """Negated MASE averaged over series (for ``scoring=``).

    Parameters
    ----------
    estimator : PanelForecaster
        Fitted on the training fold.
    X : pandas.DataFrame
        The test fold's rows, indexed by ``(series id, period)``.
    y : pandas.Series
        Their true values.

    Returns
    -------
    score : float
        Minus the error: greater is better, as ``scoring=`` expects.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_rnn.forecasting import PanelSplitter, mase_scorer
    >>> # cross_val_score(model, X, y, cv=PanelSplitter(), scoring=mase_scorer)
    """
    m = _season(estimator)
    return -float(
        np.mean([mase(t, p, h, m) for t, p, h in _by_series(estimator, X, y)])
    )


def owa_scorer(estimator, X, y):
    """Negated OWA relative to Naive2 (for ``scoring=``).

    Parameters
    ----------
    estimator : PanelForecaster
        Fitted on the training fold.
    X : pandas.DataFrame
        The test fold's rows, indexed by ``(series id, period)``.
    y : pandas.Series
        Their true values.

    Returns
    -------
    score : float
        Minus the error: greater is better, as ``scoring=`` expects.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_rnn.forecasting import PanelSplitter, owa_scorer
    >>> # cross_val_score(model, X, y, cv=PanelSplitter(), scoring=owa_scorer)
    """
    return -panel_scores(estimator, X, y)["owa"]
