# SPDX-License-Identifier: BSD-3-Clause
"""Forecasting a time series with a recurrent network over sliding windows."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from sklearn_rnn._persistence import _spec
from sklearn_rnn._regressor import RNNRegressor
from sklearn_rnn._seq2seq import Seq2SeqTransformer
from sklearn_rnn.forecasting._calendar import (
    date_offset,
    grid_of,
    integer_offset,
    integer_step,
    rows_given,
    same_kind_of_dates,
)
from sklearn_rnn.forecasting._intervals import _conformal_bounds
from sklearn_rnn.forecasting._transforms import Differencer
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._pandas import infer_freq
from sklearn_rnn.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _check_feature_names,
    _fit_context,
    _num_samples,
)
from sklearn_rnn.windowing import make_windows

# Fewest training windows calibration="auto" gives the calibration copy.
_MIN_CALIBRATION_WINDOWS = 10

# The recommended recipe's network and window (window="auto" on a series
# long enough): chosen on the airline training months by the architecture
# grid of benchmarks/select_airline.py, and measured by the main job
# (python -m sklearn_rnn) and the README.
_DEFAULT_NETWORK = dict(
    cell="lstm", hidden_size=32, lr=3e-3, batch_size=16, max_epochs=300
)
_DEFAULT_WINDOW = 24


def _default_regressor(strategy):
    """The network trained when ``regressor=None``, unfitted."""
    if strategy == "seq2seq":
        return Seq2SeqTransformer(**_DEFAULT_NETWORK)
    # All 300 epochs, as select_airline.py validated (no plateau stop). The
    # windows arrive scaled (``scale``); the recipe was chosen without the
    # network's own input scaling.
    return RNNRegressor(**_DEFAULT_NETWORK, n_iter_no_change=300, scale=False)


def _refuse_panel(X, y):
    """Refuse a panel (a ``(series, period)`` MultiIndex) read as one series."""
    for name, obj in (("y", y), ("X", X)):
        index = getattr(obj, "index", None)
        if isinstance(index, pd.MultiIndex):
            n_series = index.get_level_values(0).nunique()
            raise ValueError(
                f"{name} has a {index.nlevels}-level MultiIndex (a panel of "
                f"{n_series} series?): RNNForecaster forecasts one series and "
                "would read it as one long series. Forecast a panel with "
                "sklearn_rnn.forecasting.PanelForecaster, or select one series "
                "(y.xs(series_id))."
            )


def _refuse_dates_as_target(y):
    """Dates or durations as the target would be forecast as nanoseconds."""
    dtype = getattr(y, "dtype", None)
    if dtype is None and isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        dtype = y.dtypes.iloc[0]
    if dtype is not None and (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        raise ValueError(
            f"y holds {dtype} values: the target must be numbers (dates belong "
            "in the index of X and y, which dates the series)."
        )
    if dtype is None and np.asarray(y).dtype.kind in "mM":
        raise ValueError(
            "y holds dates or durations: the target must be numbers (dates "
            "belong in the index of X and y)."
        )


def _refuse_unscalable(covariates):
    """Covariates too large to standardise would be silently zeroed."""
    with np.errstate(over="ignore", invalid="ignore"):
        spread = covariates.std(axis=0) if len(covariates) else np.zeros(0)
        mean = covariates.mean(axis=0) if len(covariates) else np.zeros(0)
    bad = ~(np.isfinite(spread) & np.isfinite(mean))
    if bad.any():
        column = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"X's column {column} has values too large to standardise in "
            "float64 (their mean or standard deviation overflows); scale it "
            "first."
        )


def _target_weights(sample_weight, y):
    """Validated per-row weights as a float64 copy, or None."""
    if sample_weight is None:
        return None
    # Refuses NaN, inf, negative and all-zero weights and a wrong length.
    return _check_sample_weight(
        sample_weight, y, dtype=np.float64, ensure_non_negative=True, copy=True
    )


# long: the single-series forecaster awaits its split onto the panel code path
# (forecasting/), which the panel-forecasting issue asks for and is not done yet
class RNNForecaster(PersistenceMixin, RegressorMixin, BaseEstimator):
    """Forecast a time series from its own history with a recurrent network.

    Rows of ``X`` and ``y`` are time steps, oldest first. ``fit`` transforms
    the target (log; seasonal differences or seasonal indices; first
    differences), cuts the transformed
    training series into overlapping windows of ``window`` steps, and trains
    ``regressor`` to predict what follows each window: the next ``horizon``
    values at once (``strategy="direct"``), the next one, applied step by
    step (``strategy="recursive"``), or the next ``horizon`` values generated
    by the decoder of an encoder-decoder, each step reading the previous one
    (``strategy="seq2seq"``). Everything is learnt from the rows given
    to ``fit`` only, so inside ``TimeSeriesSplit`` or ``GridSearchCV`` no
    value of a test fold reaches a training window, a scaler or the
    seasonal indices.

    ``predict(X)`` forecasts the periods that the rows of ``X`` stand for: the
    ones right after the training data, or later ones when ``X`` carries a
    ``DatetimeIndex``, ``PeriodIndex`` or integer index that says so (e.g.
    after the ``gap`` of ``TimeSeriesSplit``). :meth:`forecast` returns the
    next periods as a DataFrame indexed by their dates, with a prediction
    interval.

    Parameters
    ----------
    regressor : RNNRegressor or Seq2SeqTransformer, default=None
        The network to train on the windows; cloned in ``fit``: an
        ``RNNRegressor`` for the direct and recursive strategies, a
        ``Seq2SeqTransformer`` for ``strategy="seq2seq"``. None means
        ``RNNRegressor("lstm", 32, lr=3e-3, batch_size=16, max_epochs=300,
        n_iter_no_change=300, scale=False)``, which trains all 300 epochs
        on the windows this forecaster has scaled (a
        ``Seq2SeqTransformer`` with the same network settings for seq2seq),
        the network of the recommended recipe (see Notes).
        The parameters of a regressor passed here can be searched as
        ``regressor__hidden_size``, ... (not those of the default, which is
        only built in ``fit``).

    window : int or "auto", default="auto"
        Number of past (transformed) values each prediction reads.
        ``"auto"``: 24, or on a short series the largest window that
        leaves at least as many training windows as it is long
        (``(n_values - steps + 1) // 2`` for ``n_values`` transformed
        values and ``steps`` targets per window), with a warning;
        ``window_`` says which was used.

    horizon : int, default=12
        Number of steps predicted at once by the direct and seq2seq
        strategies, and the
        number of steps covered by the prediction interval.

    strategy : {"direct", "recursive", "seq2seq"}, default="recursive"
        ``"direct"``: one network output per future step (no error
        feedback within ``horizon``); ``"recursive"``: a one-step model fed
        its own predictions; ``"seq2seq"``: an encoder reads the window and
        a decoder generates the ``horizon`` steps, each from the previous
        one (teacher forcing in training).

    log : bool or "auto", default="auto"
        Model the logarithm of the series (multiplicative trend and season
        become additive). ``"auto"`` does so when every value is positive.

    seasonal_period : int, default=None
        Length of the season to remove (12 for monthly data with a yearly
        season), as ``seasonal`` says. None: the season is left in.

    seasonal : {"difference", "indices", "factors"}, default="difference"
        How ``seasonal_period`` removes the season. ``"difference"``:
        differencing at the seasonal lag, so the network models the change
        from the same period of the previous season, and each forecast
        builds on one observed season. ``"indices"``: subtracting a fixed
        seasonal pattern (classical decomposition: the mean deviation of
        each period of the season from a centred moving average), learnt
        from the training rows, on the log scale when ``log``; it averages
        the noise of all seasons but assumes the pattern does not change.
        ``"factors"``: dividing by fixed seasonal factors (multiplicative
        classical decomposition: the mean ratio of each period of the season
        to the centred moving average of the series on its original scale),
        for a season whose swing grows with the level while the trend is
        modelled in levels (``log=False``); with ``log`` it amounts to
        ``"indices"`` estimated on the original scale. ``"indices"`` and
        ``"factors"`` need at least two seasons, and ``"factors"`` a
        strictly positive series.

    difference : {0, 1} or "auto", default="auto"
        Order of ordinary differencing, which removes a trend. ``"auto"``:
        0 with a ``seasonal_period`` removed by ``seasonal="difference"``
        (the seasonal difference already removes a linear trend, and the
        network models the change from one season to the next), 1
        otherwise: without a season, or with seasonal indices or factors,
        which leave the trend (else nothing would remove it and a trending
        series would be forecast flat).

    n_estimators : int, default=5
        Number of networks trained on the same windows from different random
        initialisations; the forecast at each step is their average. A
        network trained on a short series (a hundred windows, say) varies a
        lot from one seed to the next, and averaging a few removes most of
        that variance. Their seeds are drawn from ``regressor``'s
        ``random_state``.

    scale : bool, default=True
        Standardise the network's inputs, the transformed target and each
        covariate, with the mean and standard deviation of the training
        rows. Without it, a series modelled in levels (values in the
        hundreds, say) saturates the recurrent units. The targets are
        standardised by the regressor itself.

    interval : float in (0, 1), default=0.9
        Coverage of the prediction interval returned by :meth:`forecast`:
        the forecast plus or minus a conformal quantile of the absolute
        residuals of each step ahead (rank ``ceil((n + 1) * interval)`` of
        ``n``), measured as ``calibration`` says.

    calibration : {"auto", "holdout", "in_sample"}, default="auto"
        Where the interval's residuals come from. ``"holdout"``: a copy of
        the model (same parameters, so the same seeds when ``random_state``
        is set) is trained without the last ``calibration_origins + horizon
        - 1`` values and forecasts ``horizon`` steps from each of the last
        ``calibration_origins`` origins, which its training never saw:
        out-of-sample residuals, as in a backtest (split conformal). It
        costs a second fit, on a shorter series. ``"in_sample"``: the fitted
        networks' residuals on their own training data, which are too small
        (an over-fitted network makes almost none), so the interval is too
        narrow. ``"auto"``: ``"holdout"`` when the copy keeps at least 10
        training windows, ``"in_sample"`` otherwise; ``calibration_`` says
        which was used.

    calibration_origins : int, default=20
        Number of forecast origins held out by ``calibration="holdout"``.
        Below ``interval / (1 - interval)`` origins (9 for 0.9) the largest
        residual bounds the interval and the coverage can fall short of
        ``interval``. Residuals of neighbouring origins are correlated, so
        more origins help less than independent ones would, and the copy
        learns from fewer values than the model.

    Attributes
    ----------
    regressor_ : RNNRegressor or Seq2SeqTransformer
        The fitted network (the first of ``estimators_``).
    estimators_ : list of RNNRegressor or Seq2SeqTransformer
        The ``n_estimators`` fitted networks.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (covariates).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the covariates, when ``X`` is a DataFrame with string column
        names and at least one column.
    log_ : bool
        Whether the logarithm was modelled.
    input_mean_ : ndarray of shape (1 + n_covariates,)
        Mean of each network input (the transformed target, then the
        covariates) over the training rows; zeros when ``scale=False``.
    input_scale_ : ndarray of shape (1 + n_covariates,)
        Their standard deviation (1 for constant inputs); ones when
        ``scale=False``.
    error_quantiles_ : ndarray of shape (2, horizon)
        Lower and upper bounds of the residuals (truth minus forecast), in
        (log) level units, for each step ahead: added to a forecast, they
        give its interval. They are symmetric: ``-q`` and ``q``.
    calibration_ : {"holdout", "in_sample"}
        Where the errors of ``error_quantiles_`` came from.
    index_ : pandas.Index
        The time index of the training rows.

    window_ : int
        The window used (``window``, or the one ``window="auto"`` chose).

    Notes
    -----
    The defaults are the recommended recipe, which the main job
    (``python -m sklearn_rnn``) and the README measure: with
    ``seasonal_period`` set (``RNNForecaster(horizon=12,
    seasonal_period=12)`` for monthly data), the logarithm of a positive
    series differenced at the seasonal lag, no ordinary differencing, a
    window of 24 values, an LSTM of 32 units trained 300 epochs predicting
    one step at a time and fed its own predictions, five such networks
    averaged, and a held-out conformal interval. It trains ten networks (the
    calibration copy has its own five): pass a smaller ``regressor`` or
    ``n_estimators`` for quick experiments.

    Columns of ``X`` are covariates that enter each window as past values,
    next to the transformed target; forecasting beyond ``horizon`` or with a
    recursive model also reads the covariates' values over the forecast
    periods from the rows passed to ``predict``.

    :class:`~sklearn_rnn.forecasting.PanelForecaster` forecasts a single
    series too (the panel of one, through the code that forecasts many). On
    the rolling origins of ``benchmarks/bench_rolling_origins.py`` its
    defaults (networks averaged with Theta) scored a mean MAPE of 4.36 % on
    airline and 12.72 % on Nile, against 4.46 % and 16.32 % for this class
    (Holt-Winters: 3.59 % and 11.90 %).

    Examples
    --------
    >>> from sklearn_rnn import RNNForecaster, RNNRegressor
    >>> from sklearn_rnn.datasets import load_airline_passengers
    >>> y = load_airline_passengers()["passengers"]
    >>> X = y.to_frame().iloc[:, :0]     # no covariates: just the dates
    >>> # The default recipe is RNNForecaster(horizon=12, seasonal_period=12);
    >>> # a smaller network, trained once, for a quick look:
    >>> model = RNNForecaster(
    ...     RNNRegressor("lstm", 16, max_epochs=20, random_state=0),
    ...     horizon=12, seasonal_period=12, n_estimators=1,
    ... ).fit(X, y)
    >>> model.forecast().columns.tolist()
    ['forecast', 'lower', 'upper']
    >>> str(model.forecast().index[0].date())
    '1961-01-01'
    """

    _parameter_constraints: dict = {
        "regressor": [RNNRegressor, Seq2SeqTransformer, None],
        "window": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"direct", "recursive", "seq2seq"})],
        "log": ["boolean", StrOptions({"auto"})],
        "seasonal_period": [None, Interval(Integral, 2, None, closed="left")],
        "seasonal": [StrOptions({"difference", "indices", "factors"})],
        "difference": [Interval(Integral, 0, 1, closed="both"), StrOptions({"auto"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
        "interval": [Interval(Real, 0, 1, closed="neither")],
        "calibration": [StrOptions({"auto", "holdout", "in_sample"})],
        "calibration_origins": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        regressor=None,
        *,
        window="auto",
        horizon=12,
        strategy="recursive",
        log="auto",
        seasonal_period=None,
        seasonal="difference",
        difference="auto",
        n_estimators=5,
        scale=True,
        interval=0.9,
        calibration="auto",
        calibration_origins=20,
    ):
        self.regressor = regressor
        self.window = window
        self.horizon = horizon
        self.strategy = strategy
        self.log = log
        self.seasonal_period = seasonal_period
        self.seasonal = seasonal
        self.difference = difference
        self.n_estimators = n_estimators
        self.scale = scale
        self.interval = interval
        self.calibration = calibration
        self.calibration_origins = calibration_origins

    # ------------------------------------------------------------------
    # Input handling
    # ------------------------------------------------------------------
    @staticmethod
    def _index_of(X, y=None):
        for obj in (X, y):
            if isinstance(obj, (pd.DataFrame, pd.Series)):
                return obj.index
        return None

    def _covariates(self, X, n_rows, reset):
        if X is not None and (not isinstance(X, pd.DataFrame) or X.shape[1]):
            # Columns given in another order or under other names than in
            # fit are an error, as for any scikit-learn estimator.
            _check_feature_names(self, X, reset=reset)
        elif reset and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if X is None:
            covariates = np.empty((n_rows, 0))
        elif isinstance(X, pd.DataFrame) and X.shape[1] == 0:
            covariates = np.empty((len(X), 0))
        else:
            # A copy: the fitted model keeps the training covariates, which
            # later changes to the caller's array must not reach.
            # An array of 0 columns is refused, as scikit-learn estimators do
            # (no covariates: None, or a DataFrame without columns).
            covariates = check_array(X, dtype=np.float64, input_name="X", copy=True)
            _refuse_unscalable(covariates)
        if reset:
            self.n_features_in_ = covariates.shape[1]
        elif covariates.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {covariates.shape[1]} features, but RNNForecaster is "
                f"expecting {self.n_features_in_} features as input."
            )
        return covariates

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train the network on windows of the series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_covariates), DataFrame or None
            One row per time step: covariates (possibly none). A DataFrame's
            ``DatetimeIndex`` or ``PeriodIndex`` dates the series; without
            covariates, pass a DataFrame with no columns (what
            ``GridSearchCV`` and ``cross_val_score`` need, e.g.
            ``y.to_frame().iloc[:, :0]``) or None.
        y : array-like of shape (n_timesteps,)
            The series to forecast, oldest first.
        sample_weight : array-like of shape (n_timesteps,), default=None
            Weight of each time step as a target period (finite,
            non-negative, not all zero). Each training window is weighted by
            the period it predicts (``strategy="recursive"``), or by the mean
            weight of the ``horizon`` periods it predicts (direct and
            seq2seq, whose loss is the mean over those periods); the weights
            are passed to the networks' ``fit``. A window whose target
            periods all weigh zero has no influence on the networks. The
            weights of the first ``window`` (plus differencing) steps, which
            are never a target, play no part, nor do the weights in the
            input scaling, the seasonal indices or the interval's residuals
            (weights say which periods to fit, not which to forecast from).
            The calibration copy of ``calibration="holdout"`` is trained
            with the weights of its own rows only. None: equal weights.

        Returns
        -------
        self : object
            Fitted forecaster.
        """
        if y is None:
            raise ValueError(
                "This RNNForecaster estimator requires y to be passed, but the "
                "target y is None."
            )
        # All or nothing: a fit that fails (bad input, a diverging network,
        # Ctrl-C) leaves no half-fitted attributes behind.
        state = self.__dict__.copy()
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    @staticmethod
    def _check_index(index):
        """Refuse dates or positions that do not run oldest first."""
        if index is None:
            return
        if not (
            isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex))
            or pd.api.types.is_integer_dtype(index)
        ):
            warnings.warn(
                f"The index of the training rows (dtype {index.dtype}) is neither "
                "dates nor integer positions: the rows are read as consecutive "
                "time steps and forecasts are indexed by position. Dates read "
                "from a file as text can be parsed with pandas.to_datetime.",
                UserWarning,
                stacklevel=4,
            )
            return
        if not (index.is_monotonic_increasing and index.is_unique):
            raise ValueError(
                "The rows of X and y must be time steps, oldest first, each once: "
                "their index is not strictly increasing (sort it with "
                "sort_index() and drop duplicated dates)."
            )
        if (
            pd.api.types.is_integer_dtype(index)
            and len(index) > 1
            and integer_step(index) is None
        ):
            warnings.warn(
                "The integer index of the training rows does not count the time "
                "steps at a constant step (a gap, or rows taken out of order by a "
                "cross-validation that is not TimeSeriesSplit?): the rows are "
                "read as consecutive steps.",
                UserWarning,
                stacklevel=4,
            )
        if isinstance(index, pd.DatetimeIndex) and infer_freq(index) is None:
            warnings.warn(
                "The dates of the training rows have no regular frequency (a "
                "missing or extra date?): forecasts are indexed by position, "
                "and predict() cannot place X's dates after a gap.",
                UserWarning,
                stacklevel=4,
            )

    def _fit(self, X, y, sample_weight=None):
        _refuse_panel(X, y)
        _refuse_dates_as_target(y)
        index = self._index_of(X, y)
        if (
            isinstance(X, pd.DataFrame)
            and isinstance(y, (pd.Series, pd.DataFrame))
            and not X.index.equals(y.index)
        ):
            raise ValueError(
                "X and y have different indexes: their rows must be the same "
                "time steps, in the same order."
            )
        self._check_index(index)
        # A copy: the forecasts continue this series, which later changes to
        # the caller's array must not reach.
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y", copy=True)
        if y.ndim == 2 and y.shape[1] != 1:
            raise ValueError(
                f"y must be a single series of shape (n_timesteps,); got {y.shape}."
            )
        y = column_or_1d(y, warn=True)
        weights = _target_weights(sample_weight, y)
        covariates = self._covariates(X, len(y), reset=True)
        if len(covariates) != len(y):
            raise ValueError(
                f"X has {len(covariates)} rows but y has {len(y)}: one row per "
                "time step in both."
            )
        positive = bool(np.all(y > 0))
        if self.log is True and not positive:
            raise ValueError("log=True needs a strictly positive series.")
        if self.seasonal_period and self.seasonal == "factors" and not positive:
            raise ValueError(
                "seasonal='factors' divides the series by seasonal factors (ratios "
                "to its moving average) and needs a strictly positive series; "
                "use seasonal='indices' or 'difference'."
            )
        self.log_ = positive if self.log == "auto" else bool(self.log)
        transform = self._new_transform()
        regressor = self.regressor
        if regressor is None:
            regressor = _default_regressor(self.strategy)
        expected = Seq2SeqTransformer if self.strategy == "seq2seq" else RNNRegressor
        if not isinstance(regressor, expected):
            raise ValueError(
                f"strategy={self.strategy!r} needs a {expected.__name__} as "
                f"regressor; got {type(regressor).__name__}."
            )
        steps_out = 1 if self.strategy == "recursive" else self.horizon
        window = self._window_for(len(y) - transform.n_lost, steps_out)
        needed = transform.n_lost + window + steps_out
        if len(y) < needed:
            target = (
                "1 step ahead (strategy='recursive')"
                if self.strategy == "recursive"
                else f"horizon={steps_out}"
            )
            raise ValueError(
                f"The series has n_samples={len(y)} time steps; window={window}, "
                f"{target} and the differencing ({transform.n_lost} steps) need "
                f"at least {needed}."
            )
        if transform.by_index:
            needed = max(needed, 2 * self.seasonal_period)
            if len(y) < needed:
                raise ValueError(
                    f"seasonal={self.seasonal!r} learns the season from at least two "
                    f"seasons, 2 * seasonal_period = {2 * self.seasonal_period} "
                    f"time steps; the series has n_samples={len(y)}."
                )

        cut = self._calibration_cut(len(y), needed)
        # What the networks were trained for: forecasting reads it from the
        # parameters, which must not have changed since.
        self._layout = {**self._current_layout(), "window_": window}
        self._train(y, covariates, regressor, weights)
        self.index_ = index if index is not None else pd.RangeIndex(len(y))
        self.error_quantiles_ = self._calibrate(y, covariates, regressor, cut, weights)
        return self

    def _window_for(self, n_values, steps_out):
        """The window: ``window``, or the one ``"auto"`` picks for a series of
        ``n_values`` transformed values."""
        if self.window != "auto":
            return int(self.window)
        # At least as many training windows as the window is long.
        window = max(1, min(_DEFAULT_WINDOW, (n_values - steps_out + 1) // 2))
        if window < _DEFAULT_WINDOW:
            warnings.warn(
                f"window='auto' uses window={window} instead of "
                f"{_DEFAULT_WINDOW}: the series has {n_values} values after "
                f"its differencing, and a window of {_DEFAULT_WINDOW} would "
                "leave fewer training windows than it is long. Set window to "
                "choose another.",
                UserWarning,
                stacklevel=5,
            )
        return window

    @property
    def window_(self):
        """The window the networks read (``window``, or ``"auto"``'s pick)."""
        layout = self._layout  # AttributeError when not fitted
        return int(layout.get("window_", layout["window"]))

    def _difference(self):
        if self.difference == "auto":
            # Only the seasonal difference removes a trend along the season.
            seasonal_difference = self.seasonal_period and self.seasonal == "difference"
            return 0 if seasonal_difference else 1
        return int(self.difference)

    def _current_layout(self):
        return {
            "window": self.window if self.window == "auto" else int(self.window),
            "horizon": int(self.horizon),
            "strategy": str(self.strategy),
        }

    def _check_layout(self):
        """Refuse to forecast with a window, horizon or strategy set after fit."""
        fitted = getattr(self, "_layout", None)
        if fitted is None:  # saved before the layout was recorded
            return
        changed = {
            k: v for k, v in self._current_layout().items() if v != fitted.get(k)
        }
        if changed:
            was = {k: fitted[k] for k in changed}
            raise ValueError(
                f"The networks were trained with {was}, but the parameters now "
                f"say {changed}: call fit again to use them."
            )

    def _calibration_cut(self, n_samples, needed):
        """Length of the calibration copy's series, or None for in-sample."""
        cut = n_samples - (self.calibration_origins + self.horizon - 1)
        if self.calibration == "in_sample":
            return None
        if self.calibration == "auto":
            # A copy with a handful of windows would say little about the
            # model's errors: in-sample errors then.
            return cut if cut >= needed + _MIN_CALIBRATION_WINDOWS - 1 else None
        if cut < needed:
            raise ValueError(
                f"calibration='holdout' trains a copy of the model without the "
                f"last calibration_origins + horizon - 1 = {n_samples - cut} "
                f"values, which leaves {max(cut, 0)} of the {needed} it needs "
                f"(n_samples={n_samples}); lower calibration_origins or use "
                "calibration='in_sample'."
            )
        return cut

    def _new_transform(self):
        return Differencer(
            self.log_, self.seasonal_period, self._difference(), self.seasonal
        )

    def _train(self, y, covariates, regressor, weights=None):
        """Fit the transform, the scaler and the networks on the series ``y``.

        ``weights`` (one per row of ``y``, or None) weigh the windows by
        their target periods.
        """
        steps_out = 1 if self.strategy == "recursive" else self.horizon
        transform = self._new_transform()
        z = transform.to_level(y)
        e = transform.fit(z).forward(z)
        inputs = np.column_stack([e, covariates[transform.n_lost :]])
        # Statistics of the training rows only (the last window's targets
        # included, as in any scaler fitted on the training fold).
        self.input_mean_ = np.zeros(inputs.shape[1])
        self.input_scale_ = np.ones(inputs.shape[1])
        if self.scale:
            std = inputs.std(axis=0)
            self.input_mean_ = inputs.mean(axis=0)
            # Constant columns keep a scale of 1, also when they vary only by
            # the rounding of the transforms (a relative spread below 1e-10),
            # which dividing by the "deviation" would blow up to order one.
            constant = (std <= np.finfo(np.float64).eps) | (
                std <= 1e-10 * np.abs(self.input_mean_)
            )
            self.input_scale_ = np.where(constant, 1.0, std)
        inputs = (inputs - self.input_mean_) / self.input_scale_
        # The windows are views of `inputs` (the package's one windowing code,
        # make_windows): the regressor gathers one batch of them at a time, so
        # a long series is never copied window by window. The targets are the
        # unscaled values after each window.
        X_win, _ = make_windows(inputs, self.window_, horizon=steps_out)
        _, Y_win = make_windows(e, self.window_, horizon=steps_out)
        Y_win = np.ascontiguousarray(Y_win)
        if X_win.shape[2] == 1:
            X_win = X_win[:, :, 0]
        Y_fit = Y_win[:, 0] if self.strategy == "recursive" else Y_win

        members = [clone(regressor)]
        if self.n_estimators > 1:
            # Drawn from a copy: a RandomState given to the regressor is not
            # advanced, as with any parameter that clone() copies.
            rng = check_random_state(members[0].random_state)
            seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_estimators)
            members = [clone(regressor).set_params(random_state=s) for s in seeds]
        fit_params = {}
        if weights is not None:
            # Window i predicts rows n_lost + window + i + (0 .. steps_out - 1).
            _, targets_w = make_windows(
                weights[transform.n_lost :], self.window_, horizon=steps_out
            )
            fit_params["sample_weight"] = targets_w.mean(axis=1)
        self.estimators_ = [m.fit(X_win, Y_fit, **fit_params) for m in members]
        self.regressor_ = self.estimators_[0]
        self._transform = transform
        self._z = z
        self._e = e
        self._covariates_seen = covariates

    def _calibrate(self, y, covariates, regressor, cut, weights=None):
        """Bounds of the interval: conformal quantiles of residuals per step.

        Held out (``cut`` not None): a copy trained on ``y[:cut]``, without
        the last ``calibration_origins + horizon - 1`` values, forecasts
        ``horizon`` steps from each of the ``calibration_origins`` origins
        that follow its training data, reading the true history up to each
        origin. In sample: the fitted networks forecast from the last (up to
        200) origins of their own training data.
        """
        t = self._transform
        n_e = len(self._e)
        if cut is not None:
            model = clone(self)
            model.log_ = self.log_
            model._layout = self._layout
            # The copy's own rows' weights only: those of the periods it is
            # scored on never reach its training.
            cut_weights = None if weights is None else weights[:cut]
            model._train(y[:cut], covariates[:cut], regressor, cut_weights)
            origins = np.arange(cut - t.n_lost, n_e - self.horizon + 1)
        else:
            model = self
            n_origins = min(200, n_e - self.window_ - self.horizon + 1)
            origins = np.arange(
                n_e - self.horizon - n_origins + 1, n_e - self.horizon + 1
            )
        self.calibration_ = "in_sample" if cut is None else "holdout"
        if cut is None and self.calibration == "auto":
            warnings.warn(
                f"The series is too short for a held-out calibration copy (it "
                f"would keep fewer than {_MIN_CALIBRATION_WINDOWS} training "
                "windows): the interval comes from in-sample residuals and is "
                "too narrow (an over-fitted network makes almost none). Lower "
                "calibration_origins, or use a longer series.",
                UserWarning,
                stacklevel=4,
            )
        if len(origins) == 0:
            warnings.warn(
                f"The series is too short to measure the errors of forecasts "
                f"{self.horizon} steps ahead (window={self.window_}, horizon="
                f"{self.horizon}): the prediction interval is NaN.",
                UserWarning,
                stacklevel=4,
            )
            return np.full((2, self.horizon), np.nan)
        # The whole series in the copy's own transform (seasonal indices
        # learnt from its training values only).
        e = model._transform.forward(self._z)
        errors = model._errors(self._z, e, self._covariates_seen, origins)
        return _conformal_bounds(errors, self.interval)

    def _errors(self, z, e, covariates, origins):
        """Residuals, in (log) level units, of ``horizon``-step forecasts.

        Origin ``o`` means "having seen ``e[:o]``"; one row per origin, one
        column per step ahead, all origins rolled out at once.
        """
        t = self._transform
        cov = covariates[t.n_lost :]
        e_windows = np.stack([e[o - self.window_ : o] for o in origins])
        cov_windows = np.stack([cov[o - self.window_ : o] for o in origins])
        cov_future = np.stack([cov[o : o + self.horizon] for o in origins])
        e_hat = self._roll(e_windows, cov_windows, self.horizon, cov_future)
        keep = t.lag + 1  # levels integrate() needs before a path
        z_past = np.stack([z[t.n_lost + o - keep : t.n_lost + o] for o in origins])
        truth = np.stack(
            [z[t.n_lost + o : t.n_lost + o + self.horizon] for o in origins]
        )
        # Residuals, truth minus forecast: added to a forecast, their
        # quantiles bound the truth.
        return truth - t.integrate(z_past, e_hat, t.n_lost + origins)

    # ------------------------------------------------------------------
    # Forecasting
    # ------------------------------------------------------------------
    def _roll(self, e_windows, cov_windows, n_steps, cov_future):
        """Predict ``n_steps`` transformed values after each history.

        ``e_windows`` (n_paths, window) and ``cov_windows`` (n_paths, window,
        n_covariates) are the last observed inputs; ``cov_future`` (n_paths,
        >= n_steps, n_covariates) the covariates over the forecast steps.
        Predictions are fed back as inputs past ``horizon`` (direct) or
        after every step (recursive).
        """
        step = 1 if self.strategy == "recursive" else self.horizon
        n_paths, n_cov = len(e_windows), cov_windows.shape[2]
        e_hist, cov_hist = e_windows, cov_windows
        out = np.empty((n_paths, 0))
        while out.shape[1] < n_steps:
            done = out.shape[1]
            inputs = np.concatenate(
                [e_hist[:, -self.window_ :, None], cov_hist[:, -self.window_ :]], axis=2
            )
            inputs = (inputs - self.input_mean_) / self.input_scale_
            if n_cov == 0:
                inputs = inputs[:, :, 0]
            pred = np.mean([r.predict(inputs) for r in self.estimators_], axis=0)
            pred = pred.reshape(n_paths, -1)[:, :step]
            out = np.concatenate([out, pred], axis=1)
            e_hist = np.concatenate([e_hist, pred], axis=1)
            if out.shape[1] < n_steps:  # the inputs need the covariates too
                known = cov_future[:, done : done + pred.shape[1]]
                if n_cov and known.shape[1] < pred.shape[1]:
                    raise ValueError(
                        "Forecasting this far with covariates needs their values "
                        "over the forecast periods: pass them as the rows of X."
                    )
                if n_cov == 0:
                    known = np.empty((n_paths, pred.shape[1], 0))
                cov_hist = np.concatenate([cov_hist, known], axis=1)
        return out[:, :n_steps]

    def _offset(self, X):
        """Number of periods between the end of the training data and X.

        When X's index places its rows (dates, or integer positions past the
        training rows'), they must be consecutive periods at the training
        data's frequency: a forecast for any other rows would be silently
        misplaced.
        """
        index = self._index_of(X)
        if index is None or len(index) == 0:
            return 0
        train = self.index_
        dates = (pd.DatetimeIndex, pd.PeriodIndex)
        if isinstance(index, dates) and isinstance(train, dates):
            index = same_kind_of_dates(index, train)
            offset = date_offset(index, train)
        elif pd.api.types.is_integer_dtype(index) and pd.api.types.is_integer_dtype(
            train
        ):
            offset = integer_offset(index, train)
        else:
            offset = None
        if offset is None:
            return 0  # forecasts are indexed by position
        # X's first row off the training grid (a Saturday after business
        # days) lands before the next period: offset -1.
        offset = max(offset, 0)
        expected = self._future_index(offset + len(index))[offset:]
        if not (index == expected).all():
            raise ValueError(
                f"X's rows must be consecutive periods after the training data "
                f"({grid_of(train)}; the first is {self._future_index(1)[0]}). "
                f"{rows_given(index, expected)}."
            )
        return offset

    def _path(self, n_steps, cov_future):
        """Forecast levels (log levels if ``log_``) of the next ``n_steps``."""
        t = self._transform
        cov = self._covariates_seen[t.n_lost :]
        cov_future = np.asarray(cov_future, dtype=float)[None].reshape(
            1, len(cov_future), cov.shape[1]
        )
        e_hat = self._roll(
            self._e[None, -self.window_ :],
            cov[None, -self.window_ :],
            n_steps,
            cov_future,
        )
        return t.integrate(self._z[None], e_hat)[0]

    def predict(self, X):
        """Forecast the periods that the rows of ``X`` stand for.

        Parameters
        ----------
        X : array-like of shape (n_periods, n_covariates) or DataFrame
            One row per forecast period, with the covariates' values. Rows
            follow the training data directly unless ``X``'s index places
            them later: dates (``DatetimeIndex`` or ``PeriodIndex``), which
            must come after the training data's last date, or integer
            positions past the training rows' (an integer index that does
            not, such as a fresh ``RangeIndex``, stands for the periods right
            after the training data). Rows so placed must be consecutive
            periods at the training data's frequency (or integer step).

        Returns
        -------
        y_pred : ndarray of shape (n_periods,)
            The forecasts, in the units of ``y``.
        """
        check_is_fitted(self)
        self._check_layout()
        if X is None:
            raise ValueError(
                "X is None: predict needs one row per forecast period (a "
                "DataFrame without columns when there are no covariates); "
                "forecast(n_periods) forecasts without X."
            )
        n = _num_samples(X)
        covariates = self._covariates(X, n, reset=False)
        offset = self._offset(X)
        if offset and self.n_features_in_:
            raise ValueError(
                f"X starts {offset} periods after the training data; with "
                "covariates their values over those periods are needed too."
            )
        z_hat = self._path(offset + n, covariates)
        return self._transform.from_level(z_hat[offset:])

    def forecast(self, n_periods=None, X=None):
        """Forecast the periods after the training data, with an interval.

        Parameters
        ----------
        n_periods : int, default=None
            Number of periods; None means one per row of ``X``, or
            ``horizon`` without ``X``.
        X : array-like of shape (n_periods, n_covariates), default=None
            The covariates over the forecast periods, when there are any.

        Returns
        -------
        forecast : pandas.DataFrame of shape (n_periods, 3)
            Columns ``forecast``, ``lower`` and ``upper`` (NaN beyond
            ``horizon``), indexed by the future dates (or positions).
        """
        check_is_fitted(self)
        self._check_layout()
        if n_periods is None:
            n_periods = self.horizon if X is None else _num_samples(X)
        if isinstance(n_periods, (bool, np.bool_)) or not isinstance(
            n_periods, Integral
        ):
            raise TypeError(
                f"n_periods must be an integer number of periods; got {n_periods!r}."
            )
        n = int(n_periods)
        if n < 1:
            raise ValueError(f"n_periods must be >= 1; got {n_periods}.")
        covariates = np.empty((0, self.n_features_in_))
        if X is not None:
            covariates = self._covariates(X, len(X), reset=False)
            # Its index, if it places the rows, must be the forecast periods.
            offset = self._offset(X)
            if offset:
                raise ValueError(
                    f"X starts {offset} periods after the training data, but "
                    "forecast reads it as the periods right after it; predict(X) "
                    "forecasts rows placed later."
                )
        z_hat = self._path(n, covariates)
        bounds = np.full((2, n), np.nan)
        k = min(n, self.horizon)
        bounds[:, :k] = z_hat[:k] + self.error_quantiles_[:, :k]
        t = self._transform
        frame = pd.DataFrame(
            {
                "forecast": t.from_level(z_hat),
                "lower": t.from_level(bounds[0]),
                "upper": t.from_level(bounds[1]),
            },
            index=self._future_index(n),
        )
        return frame

    def _future_index(self, n):
        index = self.index_
        if isinstance(index, pd.PeriodIndex):
            return pd.period_range(index[-1] + 1, periods=n, name=index.name)
        if isinstance(index, pd.DatetimeIndex):
            freq = infer_freq(index)
            if freq is not None:
                future = pd.date_range(index[-1], periods=n + 1, freq=freq)[1:]
                future.name = index.name
                return future
        if pd.api.types.is_integer_dtype(index):
            step = integer_step(index) or 1
            start = int(index[-1]) + step
            return pd.RangeIndex(start, start + step * n, step, name=index.name)
        # Positions, counted on from the training rows'.
        return pd.RangeIndex(len(index), len(index) + n)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        "n_features_in_": _spec.Int(0),
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
        "log_": _spec.Bool(),
        "_layout": _spec.Value(),
        "input_mean_": _spec.Array((None,), dtype="float64", finite=True),
        "input_scale_": _spec.Array((None,), dtype="float64", finite=True),
        "estimators_": _spec.ListOf(_spec.Estimator()),
        "regressor_": _spec.Estimator(),
        "_transform": _spec.Value(),
        "_z": _spec.Array((None,), dtype="float64"),
        "_e": _spec.Array((None,), dtype="float64"),
        "_covariates_seen": _spec.Array((None, "n_features_in_"), dtype="float64"),
        "index_": _spec.Value(),
        "calibration_": _spec.Str({"in_sample", "holdout"}),
        "error_quantiles_": _spec.Array((None, None), dtype="float64"),
    }
