# SPDX-License-Identifier: BSD-3-Clause
"""Plots of training histories and forecasts (needs matplotlib).

matplotlib is an optional dependency (``pip install sklearn_rnn[plot]``); it
is imported when a function is called, not when this module is.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_forecast", "plot_learning_curve"]


def _axes(ax):
    """Return ``ax``, or the current axes of a new figure."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "Plotting needs matplotlib: pip install matplotlib (or the "
            "'plot' extra, pip install sklearn_rnn[plot])."
        ) from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _network(estimator):
    """The fitted network holding the loss history inside ``estimator``."""
    check_is_fitted(estimator)
    if hasattr(estimator, "steps"):  # a Pipeline: its final step
        return _network(estimator.steps[-1][1])
    if hasattr(estimator, "regressor_") and not hasattr(estimator, "loss_curve_"):
        return _network(estimator.regressor_)  # RNNForecaster
    if not hasattr(estimator, "loss_curve_"):
        raise TypeError(
            f"{type(estimator).__name__} has no loss_curve_: pass a fitted "
            "network (RNNRegressor, RNNClassifier, Seq2SeqTransformer, a "
            "neural NGramLanguageModel, RNNForecaster) or a Pipeline ending "
            "in one."
        )
    return estimator


def plot_learning_curve(estimator, ax=None):
    """Plot the training and validation loss of a fitted network per epoch.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        A network trained by epochs: RNNRegressor, RNNClassifier,
        Seq2SeqTransformer, a neural NGramLanguageModel, or an RNNForecaster
        (its first network). Its ``loss_curve_`` is drawn, and
        ``validation_scores_`` (the validation loss) when it was fitted with
        ``early_stopping=True``. A pipeline's final step is looked up.

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Raises
    ------
    TypeError
        If the estimator has no learning curve (a count-based
        ``NGramLanguageModel``, a model of another library).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.plotting import plot_learning_curve
    >>> X = np.random.RandomState(0).normal(size=(60, 5))
    >>> reg = RNNRegressor(hidden_size=4, max_epochs=15, early_stopping=True,
    ...                    random_state=0).fit(X, X.sum(axis=1))
    >>> ax = plot_learning_curve(reg)
    >>> [line.get_label() for line in ax.get_lines()]
    ['training loss', 'validation loss', 'best epoch']
    """
    net = _network(estimator)
    ax = _axes(ax)
    epochs = np.arange(1, len(net.loss_curve_) + 1)
    ax.plot(epochs, net.loss_curve_, label="training loss")
    if net.validation_scores_ is not None:
        ax.plot(epochs, net.validation_scores_, label="validation loss")
        scores = np.asarray(net.validation_scores_, dtype=float)
        # Epochs of an earlier warm fit without a validation split are NaN.
        if np.isfinite(scores).any():
            best = int(np.nanargmin(scores))
            ax.axvline(
                best + 1, color="gray", linestyle=":", linewidth=1, label="best epoch"
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"{type(net).__name__}: learning curve")
    ax.legend()
    return ax


def _as_series(values, name, index=None):
    if values is None:
        return None
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(
                f"{name} must be one series; got a DataFrame with "
                f"{values.shape[1]} columns."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        return values
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {values.shape}.")
    if index is not None and len(index) != len(values):
        raise ValueError(
            f"{name} has {len(values)} values but forecast has {len(index)}."
        )
    return pd.Series(values, index=index)


def plot_forecast(
    history, forecast, lower=None, upper=None, truth=None, ax=None, label="forecast"
):
    """Plot a series, its forecast, a prediction interval and the truth.

    Parameters
    ----------
    history : pandas.Series or array-like of shape (n_observed,)
        The observed series. An array is placed at positions
        ``0 .. n_observed - 1``.

    forecast : pandas.Series, DataFrame or array-like of shape (n_periods,)
        The forecast. The DataFrame returned by
        :meth:`RNNForecaster.forecast` can be passed as it is: its
        ``lower`` and ``upper`` columns become the interval. An array is
        placed right after ``history`` when ``history`` is an array or has
        an integer index; after dated history, pass a Series or DataFrame
        indexed by the forecast dates.

    lower, upper : array-like of shape (n_periods,), default=None
        Bounds of the prediction interval, shaded when both are given.

    truth : pandas.Series or array-like of shape (n_periods,), default=None
        The values that really followed, to compare with the forecast.

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure.

    label : str, default="forecast"
        Legend label of the forecast line.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_rnn import RNNForecaster, RNNRegressor
    >>> from sklearn_rnn.datasets import load_airline_passengers
    >>> from sklearn_rnn.plotting import plot_forecast
    >>> y = load_airline_passengers()["passengers"]
    >>> model = RNNForecaster(RNNRegressor("gru", 8, max_epochs=5, random_state=0),
    ...                       window=12, horizon=12, seasonal_period=12)
    >>> model = model.fit(y.iloc[:-12].to_frame().iloc[:, :0], y.iloc[:-12])
    >>> ax = plot_forecast(y.iloc[:-12], model.forecast(), truth=y.iloc[-12:])
    >>> [line.get_label() for line in ax.get_lines()]
    ['history', 'forecast', 'truth']
    """
    history = _as_series(history, "history")
    if isinstance(forecast, pd.DataFrame) and "forecast" in forecast.columns:
        if lower is None and "lower" in forecast.columns:
            lower = forecast["lower"]
        if upper is None and "upper" in forecast.columns:
            upper = forecast["upper"]
        forecast = forecast["forecast"]
    if not isinstance(forecast, (pd.Series, pd.DataFrame)):
        n = len(np.asarray(forecast))
        if pd.api.types.is_integer_dtype(history.index):
            start = int(history.index[-1]) + 1 if len(history) else 0
            index = pd.RangeIndex(start, start + n)
        else:
            raise ValueError(
                "history has a non-integer index: pass forecast as a Series "
                "indexed like it (RNNForecaster.forecast returns one)."
            )
    else:
        index = None
    forecast = _as_series(forecast, "forecast", index)
    index = forecast.index
    lower = _as_series(lower, "lower", index)
    upper = _as_series(upper, "upper", index)
    truth = _as_series(truth, "truth", _index_for(truth, index))

    # matplotlib reads dates, not pandas periods: plot a period's start.
    history, forecast, lower, upper, truth = (
        _timestamps(v) for v in (history, forecast, lower, upper, truth)
    )
    ax = _axes(ax)
    ax.plot(history.index, history.to_numpy(), color="black", label="history")
    (line,) = ax.plot(forecast.index, forecast.to_numpy(), label=label)
    bounds = lower is not None and upper is not None
    if bounds and (lower.notna() & upper.notna()).any():
        ax.fill_between(
            lower.index,
            lower.to_numpy(dtype=float),
            upper.to_numpy(dtype=float),
            color=line.get_color(),
            alpha=0.2,
            label="prediction interval",
        )
    if truth is not None:
        ax.plot(
            truth.index, truth.to_numpy(), color="black", linestyle="--", label="truth"
        )
    if history.name is not None:
        ax.set_ylabel(str(history.name))
    ax.legend(loc="upper left")
    return ax


def _timestamps(values):
    if values is not None and isinstance(values.index, pd.PeriodIndex):
        return values.set_axis(values.index.to_timestamp())
    return values


def _index_for(values, index):
    """The forecast's index for an unindexed ``values``, else None."""
    return None if isinstance(values, (pd.Series, pd.DataFrame)) else index
