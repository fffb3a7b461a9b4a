# SPDX-License-Identifier: BSD-3-Clause
"""One recurrent network trained across the series of a panel."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sklearn_rnn._persistence import _spec
from sklearn_rnn._regressor import RNNRegressor
from sklearn_rnn.forecasting._calendar import season_of
from sklearn_rnn.forecasting._covariates import future_blocks, panel_covariates
from sklearn_rnn.forecasting._intervals import _conformal_bounds, min_residuals
from sklearn_rnn.forecasting._metrics import _is_seasonal, naive_mae
from sklearn_rnn.forecasting._network import AbsoluteLoss, SeriesEmbeddingRegressor
from sklearn_rnn.forecasting._panel import (
    _as_multiindexed,
    check_panel,
    future_periods,
    rows_to_forecast,
)
from sklearn_rnn.forecasting._theta import combine_with_theta
from sklearn_rnn.forecasting._transforms import seasonal_indices
from sklearn_rnn.forecasting._windows import (
    WindowScaler,
    gather,
    member_window,
    roll_members,
    window_origins,
)
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions, _fit_context


class _MAERegressor(RNNRegressor):
    """``RNNRegressor`` trained on the absolute error instead of the squared."""

    def _criterion(self):
        return AbsoluteLoss, {}


def _members(forecaster, regressor, n, rng):
    """``n`` unfitted networks of different seeds for ``forecaster``."""
    seeds = rng.randint(np.iinfo(np.int32).max, size=n)
    members = []
    for k, seed in enumerate(seeds):
        member = clone(regressor).set_params(random_state=int(seed))
        if forecaster.id_embedding or forecaster.level_smoothing:
            member = SeriesEmbeddingRegressor(**member.get_params()).configure(
                forecaster.n_series_,
                forecaster.id_embedding,
                forecaster.loss,
                forecaster.level_smoothing,
                member_window(forecaster.window, k),
            )
        elif forecaster.loss != "mse":
            member = _MAERegressor(**member.get_params())
        members.append(member)
    return members


def _theta_weight(weight, has_covariates):
    """``theta_weight`` resolved: ``"auto"`` is 0.5 without covariates (a
    series embedding or smoothing coefficients are not covariates)."""
    if weight == "auto":
        return 0.0 if has_covariates else 0.5
    return float(weight)


def _default_regressor():
    # The windows arrive scaled (window_scaling); the recipe was chosen on
    # M3's validation months without the network's own input scaling.
    return RNNRegressor("gru", 128, lr=3e-3, batch_size=256, max_epochs=6, scale=False)


# The default network trains at least this many optimiser steps: its 6 epochs
# gave each network 1,116 to 2,154 steps on M3 Monthly, where the recipe was
# chosen, but 6 steps on a panel of 143 windows.
_MIN_STEPS = 1000
# Pooled residuals per step ahead that calibration_="auto" asks for.
_MIN_RESIDUALS = 20


def _budgeted(member, n_windows):
    """The default ``member`` with epochs enough for ``_MIN_STEPS`` steps."""
    per_epoch = -(-n_windows // member.batch_size)
    epochs = max(member.max_epochs, -(-_MIN_STEPS // per_epoch))
    return member.set_params(max_epochs=epochs)


def _calibration_stops(lengths, horizon, n_origins, steps_out):
    """Per series, how many of its values the calibration network trains on
    (0: the series is too short to be scored).

    The series' last ``n_origins`` origins each forecast ``horizon`` of its
    values; a short series gets fewer, so that the values before them still
    hold a training window (``steps_out + 1`` values at least).
    """
    stops = np.zeros(len(lengths), dtype=int)
    for i, n in enumerate(lengths):
        k = min(n_origins, n - horizon - steps_out)
        if k >= 1:
            stops[i] = n - horizon - k + 1
    return stops


def _holdout_errors(members, values, stops, positive, settings, exog=None):
    """Scaled absolute errors ``(n_origins, horizon)`` of ``members``
    forecasting each series ``i`` from its origins ``stops[i]`` to its last
    (none where ``stops[i]`` is 0), reading its true values up to each.

    ``settings`` is ``(horizon, window_scaling, steps_out, theta_weight)``:
    the forecasts scored are combined with Theta's as the model's are.
    ``exog`` holds the series' covariates, cut at each origin (or None).
    """
    h, how, steps_out, theta_weight = settings
    keep = np.flatnonzero(stops)
    n_scored = [len(values[i]) - h - stops[i] + 1 for i in keep]
    rows = np.repeat(keep, n_scored)
    origins = np.concatenate(
        [np.arange(stops[i], stops[i] + n) for i, n in zip(keep, n_scored)]
    )
    if exog is not None:
        exog = exog.subset(rows).truncated(origins)
    heads = [values[i][:o] for i, o in zip(rows, origins)]
    pred, (level, spread, ok) = roll_members(
        members, heads, positive[rows], h, how, exog, steps_out
    )
    pred = combine_with_theta(pred, heads, theta_weight)
    truth = np.stack([values[i][o : o + h] for i, o in zip(rows, origins)])
    return np.abs(truth - pred) / np.where(ok, level, spread)[:, None]


def _calibrate(forecaster, rng, regressor, weights=None):
    """Pooled split-conformal half-widths per step of ``forecaster``'s
    interval, from one network trained on the values before each series'
    calibration origins; None (with a warning) where none can be had."""
    h, steps_out = forecaster.horizon, forecaster._steps_out()
    stops = _holdout_stops(forecaster, [len(z) for z in forecaster.history_])
    keep = np.flatnonzero(stops)
    if not len(keep):
        _warn_no_interval(
            f"no series is long enough to calibrate it: each needs more than "
            f"{h + steps_out} values (the horizon forecast from an origin, "
            "after a training window)"
        )
        return None
    values, positive = _adjusted_before(forecaster, stops)
    short = [values[i][: stops[i]] for i in keep]
    # The held-out periods' weights never reach the calibration network.
    short_w = None if weights is None else [weights[i][: stops[i]] for i in keep]
    exog = forecaster._exog
    cut = None if exog is None else exog.subset(keep).truncated(stops[keep])
    try:
        nets = forecaster._train(short, positive[keep], 1, rng, regressor, short_w, cut)
    except ValueError as exc:
        _warn_no_interval(f"its calibration network could not be trained ({exc})")
        return None
    errors = _holdout_errors(
        forecaster._with_windows(nets),
        values,
        stops,
        positive,
        (h, forecaster.window_scaling, steps_out, forecaster.theta_weight_),
        exog,
    )
    _warn_few_residuals(len(errors), forecaster.interval)
    return _conformal_bounds(errors, forecaster.interval)[1]


def _warn_no_interval(reason):
    warnings.warn(f"The interval is NaN: {reason}.", UserWarning, stacklevel=6)


def _warn_few_residuals(n, interval):
    """Warn when ``n`` residuals per step cannot rank the interval's bound."""
    needed = min_residuals(interval)
    if n < needed:
        warnings.warn(
            f"The interval rests on {n} residual(s) per step ahead; a {interval:g} "
            f"interval needs {needed} for its conformal rank, so the largest stands "
            "in and the coverage can fall short. Raise calibration_origins or give "
            "longer series.",
            UserWarning,
            stacklevel=6,
        )


def _holdout_stops(forecaster, lengths):
    """:func:`_calibration_stops` of the series of ``lengths`` for
    ``forecaster``'s calibration (None: it has none). ``"auto"`` origins
    pool ``_MIN_RESIDUALS`` residuals per step (one origin per series on a
    panel of 20 series or more)."""
    if forecaster.calibration != "holdout":
        return None
    n_origins = forecaster.calibration_origins
    if n_origins == "auto":
        n_origins = -(-_MIN_RESIDUALS // len(lengths))
    return _calibration_stops(
        lengths, forecaster.horizon, n_origins, forecaster._steps_out()
    )


def _steps_after(panel, i, n, wanted):
    """Steps ahead (0: the first period after training) of the ``wanted``."""
    first = future_periods(panel, i, n, 1)[0]
    last = wanted.max()
    if panel.kind == "integer":
        count = (int(last) - int(first)) // panel.freq + 1
    elif panel.kind == "period":
        count = (last.ordinal - first.ordinal) // first.freq.n + 1
    else:
        count = len(pd.date_range(first, last, freq=panel.freq))
    grid = future_periods(panel, i, n, max(int(count), 1))
    pos = grid.get_indexer(wanted)
    if (pos < 0).any():
        bad = wanted[int(np.flatnonzero(pos < 0)[0])]
        raise ValueError(
            f"Series {panel.ids[i]!r}: {bad} is not a period after its training "
            f"data at frequency {panel.freq} (the first due is {first})."
        )
    return pos


def _panel_weights(sample_weight, y):
    """Per-row weights of ``y`` as one array per series, in the panel's
    order (validated: finite, non-negative, not all zero), or None."""
    if sample_weight is None:
        return None
    target, _ = _as_multiindexed(y)
    weights = _check_sample_weight(
        sample_weight, target, dtype=np.float64, ensure_non_negative=True
    )
    # The same index, so the same series order and time sort as y's panel.
    return check_panel(pd.Series(weights, index=target.index)).values


def _naive_scales(values, season):
    """Per series: its in-sample (seasonal) naive MAE, the scale of MASE;
    the mean of the others where it is zero or undefined."""
    scales = np.array([naive_mae(v, season or 1) for v in values])
    fallback = np.nanmean(scales[scales > 0]) if (scales > 0).any() else 1.0
    return np.where(np.isfinite(scales) & (scales > 0), scales, fallback)


def _mase_weights(scales, series, state):
    """Per window: its level over its series' naive scale (``scales``).

    The scaled absolute error times this weight is the window's absolute
    error in the units of MASE; the weights are divided by their mean.
    """
    level, spread, ok = state
    w = np.abs(np.where(ok, level, spread)) / scales[series]
    return w / w.mean() if w.mean() > 0 else np.ones_like(w)


def _panel_season(seasonal_period, panel):
    """The season length: given, or inferred from the frequency (None: none)."""
    if seasonal_period == "auto":
        return None if panel.kind == "integer" else season_of(panel.freq)
    return seasonal_period if seasonal_period != 1 else None


def _seasonal_factors(z, positive, season, deseasonalize):
    """The multiplicative seasonal factors of series ``z``, or None where
    ``deseasonalize`` asks for none, or the series is not positive, not
    seasonal (``"auto"``) or too short for them."""
    if not season or not positive or deseasonalize == "never":
        return None
    if deseasonalize == "auto" and not _is_seasonal(z, season):
        return None
    if len(z) < 2 * season:  # two seasons give every phase a detrended value
        return None
    return seasonal_indices(z, season, multiplicative=True)


def _reseason(factors, adjusted, start):
    """``adjusted`` values from period ``start`` on, seasonal ``factors``
    (or None: none) put back."""
    if factors is None:
        return adjusted
    return adjusted * factors[np.arange(start, start + len(adjusted)) % len(factors)]


def _deseasonalised(z, factors):
    """``z`` divided by its seasonal ``factors`` (phase 0 at its first
    value; None: none)."""
    return z if factors is None else z / factors[np.arange(len(z)) % len(factors)]


def _positivity_and_factors(forecaster, series):
    """Per series: whether all its values are positive, and the seasonal
    factors ``forecaster`` learns from them (or None)."""
    positive = np.array([bool((z > 0).all()) for z in series])
    factors = [
        _seasonal_factors(z, p, forecaster.season_, forecaster.deseasonalize)
        for z, p in zip(series, positive)
    ]
    return positive, factors


def _adjusted_before(forecaster, stops):
    """Per series, its values without seasonal factors learnt from its first
    ``stops[i]`` values only (all of them where ``stops[i]`` is 0), and
    whether those are positive: what a network trained on them knows."""
    history = forecaster.history_
    heads = [z[:stop] if stop else z for z, stop in zip(history, stops)]
    positive, factors = _positivity_and_factors(forecaster, heads)
    return [_deseasonalised(z, f) for z, f in zip(history, factors)], positive


def _check_windows(window, n_estimators):
    if isinstance(window, Integral):
        return
    if not len(window) or not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in window
    ):
        raise ValueError(
            f"window must be an int >= 1 or a non-empty list of them; got {window!r}."
        )
    if len(window) > n_estimators:
        unused = list(window)[n_estimators:]
        warnings.warn(
            f"window lists {len(window)} lengths but n_estimators={n_estimators} "
            f"networks read them, one length each in turn: {unused} are not "
            "used. Give at least as many networks as lengths.",
            UserWarning,
            stacklevel=3,
        )


def _array_frames(forecaster, X, y):
    """``X`` and ``y`` as frames: an array ``X`` (rows are the periods of one
    series, its columns known-future covariates) is validated by
    scikit-learn's rules, which record ``n_features_in_``, and becomes a
    DataFrame on ``y``'s index (dates or periods of a pandas ``y``, else
    integer positions). Frames pass through."""
    if X is None or isinstance(X, pd.DataFrame):
        if hasattr(forecaster, "n_features_in_"):
            del forecaster.n_features_in_  # left by an earlier fit on arrays
        return X, y
    index = y.index if isinstance(y, (pd.Series, pd.DataFrame)) else None
    if isinstance(index, pd.MultiIndex):
        raise ValueError(
            "X is an array but y is a panel (a MultiIndex): give X as a "
            "DataFrame on y's index, or None. An array X stands for the "
            "periods of one series."
        )
    name = y.columns[0] if isinstance(y, pd.DataFrame) else getattr(y, "name", None)
    X, y = validate_data(forecaster, X, y, y_numeric=True, ensure_min_samples=2)
    index = pd.RangeIndex(len(y)) if index is None else index
    columns = _array_columns(X.shape[1])
    return pd.DataFrame(X, index=index, columns=columns), pd.Series(
        y, index=index, name=name
    )


def _array_columns(n):
    return [f"x{j}" for j in range(n)]


def _future_frame(forecaster, X):
    """An array ``X`` of a model fitted on arrays: the periods right after
    the training data, as a DataFrame."""
    if (
        X is None
        or isinstance(X, (pd.DataFrame, pd.Series))
        or not hasattr(forecaster, "n_features_in_")
    ):
        return X
    X = validate_data(forecaster, X, reset=False)
    index = forecaster._panel_meta.future(0, len(X))
    return pd.DataFrame(X, index=index, columns=_array_columns(X.shape[1]))


def _check_frame(X, y):
    """``X`` is None or a DataFrame on ``y``'s index; True if it has columns."""
    if X is None:
        return False
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"X must be a DataFrame on the panel's index or None; got "
            f"{type(X).__name__}."
        )
    if y is not None and hasattr(y, "index") and not X.index.equals(y.index):
        raise ValueError("X and y must have the same index (series, period).")
    return X.shape[1] > 0


def _placements(panel, history, keys, times):
    """Per series: (row, step ahead) pairs and the furthest step."""
    plan = {}
    lookup = panel.positions()
    codes = pd.factorize(keys)[0]
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        i = lookup[keys[rows[0]]]
        n = len(history[i])
        wanted = times[rows]
        pos = _steps_after(panel, i, n, wanted)
        plan[i] = (list(zip(rows, pos)), int(pos.max()) + 1)
    return plan


class PanelForecaster(PersistenceMixin, RegressorMixin, BaseEstimator):
    """Forecast many series with one recurrent network trained on them all.

    ``y`` is a pandas Series indexed by ``(series id, period)`` (a 2-level
    MultiIndex); a single series (dates, periods or integer positions as
    its index, or arrays ``X`` and ``y`` whose rows are its periods) is the
    panel of one series, through the same code. Windows
    of ``window`` past values are cut from every series; each window and
    the ``horizon`` values after it are divided by the window's level (its
    mean, or last value) and logged for a positive series, so that one
    network reads series of any scale. Before that, each series may be
    deseasonalised by its own multiplicative seasonal factors (classical
    decomposition of its training values), put back on its forecasts.

    Memory is bounded by the sample, not by the panel: each network is
    trained on at most ``max_windows`` windows, drawn at random from all
    (series, origin) pairs and gathered from the series once; the panel
    itself is kept once (one float64 copy of each series).

    Parameters
    ----------
    regressor : RNNRegressor, default=None
        The network, cloned in fit. None means ``RNNRegressor("gru", 128,
        lr=3e-3, batch_size=256, max_epochs=6, scale=False)`` (the windows
        arrive scaled, see ``window_scaling``), given more epochs where
        6 would make fewer than 1,000 optimiser steps (a small panel, or a
        single series), about what it trains on M3 Monthly; it still stops
        on the plateau of its training loss (see ``RNNRegressor``'s
        ``max_epochs``). With
        ``loss="mae"`` or ``"mase"`` its parameters train a copy that
        minimises the (weighted) absolute error. A regressor given here
        keeps its own ``scale`` (``RNNRegressor``'s default standardises
        the already scaled windows once more; the default network does
        not, as chosen on M3's validation months).
    window : int or list of int, default=(18, 24, 36)
        Values each forecast reads. Shorter series are left-padded with
        their first value. A list (an ensemble over input lengths, as
        N-BEATS does) deals its lengths out to the ``n_estimators``
        networks in turn (network ``k`` reads ``window[k % len(window)]``);
        the interval's network reads the first.
    horizon : int, default=18
        Steps forecast at once (``strategy="direct"``) and covered by the
        interval.
    strategy : {"direct", "recursive"}, default="direct"
        All ``horizon`` steps as outputs of the network, or one step fed
        back.
    seasonal_period : int or "auto", default="auto"
        Length of the season; ``"auto"`` infers it from the frequency (12
        for months, 4 for quarters, 7 for days, none for years and integer
        positions). It deseasonalises (see ``deseasonalize``) and scales
        MASE.
    deseasonalize : {"auto", "always", "never"}, default="auto"
        Divide each positive series by its seasonal factors: ``"auto"``
        only where M4's 90 % autocorrelation test finds a season (and the
        series holds three seasons), ``"always"`` wherever it holds two.
    window_scaling : {"mean", "last"}, default="mean"
        The level each window is divided by.
    loss : {"mae", "mse", "mase"}, default="mase"
        Training loss on the scaled targets. ``"mase"``: the absolute error
        with each window weighted by its level over its series' in-sample
        (seasonal) naive MAE, which makes it the window's error in the
        units of MASE.
    n_estimators : int, default=3
        Networks trained from different seeds (and window samples); their
        mean is the networks' forecast (then combined with Theta's, see
        ``theta_weight``). The interval's holdout fit trains one.
    max_windows : int, default=200000
        Most windows one network is trained on.
    interval : float in (0, 1), default=0.9
        Coverage of the interval of :meth:`forecast`.
    calibration : {"holdout", "none"}, default="holdout"
        ``"holdout"``: one network is trained without the values that the
        last ``calibration_origins`` origins of every series forecast
        (its last ``horizon + calibration_origins - 1``), then forecasts
        ``horizon`` values from each of those origins, reading the true
        values up to it; the scaled absolute errors of all series and
        origins, pooled per step ahead, give split-conformal half-widths
        (rank ``ceil((n + 1) * interval)``; a warning says when there are
        too few for that rank). ``"none"``: no interval (NaN bounds), no
        second fit.
    calibration_origins : int or "auto", default="auto"
        Forecast origins scored per series by the calibration network
        (fewer on a series too short for them). ``"auto"``: enough for 20
        residuals per step ahead, ``ceil(20 / n_series)``: one on a panel
        of 20 series or more, 20 on a single series.
    static_covariates : list of str, default=None
        Columns of ``X`` that hold one value per series (a store's region,
        a product's size): read at every step of every window of the
        series.
    past_covariates : list of str, default=None
        Columns of ``X`` known only up to each forecast origin: read over
        the window, never after its origin. They limit forecasts to
        ``horizon`` periods with the direct strategy (the recursive one
        would need them for the periods it forecasts, and refuses them).
        Every other column of ``X`` is a **known-future** covariate (a
        calendar, a planned promotion): the window reads it, and then its
        values in the ``horizon`` periods forecast (a flag marks those
        steps), so forecasting needs it for them (:meth:`predict`'s ``X``,
        :meth:`forecast`'s ``X``). Numeric columns are standardised with
        their training mean and standard deviation; other columns are
        one-hot encoded with the categories seen in fit (an unseen one
        encodes as zeros, with a warning).
    id_embedding : int, default=0
        Size of a learned vector per series, appended to every step's
        input (0: none). It lets the network tell series apart beyond what
        their windows show; a series not seen in fit cannot be forecast
        either way.
    level_smoothing : bool, default=False
        An ES-RNN-style hybrid (after Smyl, 2020): each series has a
        smoothing coefficient, learnt with the network, and every window is
        read against its exponentially smoothed level (over the window's
        values, on the scale above); the network forecasts the departure
        from that level. Seasonality stays the classical factors of
        ``deseasonalize``.
    theta_weight : float in [0, 1] or "auto", default="auto"
        Weight of the Theta method's forecast in a combination with the
        networks' (0: the networks alone, 1: Theta alone). ``"auto"``: 0.5
        on a panel without covariates, 0 when ``X`` has columns, whose
        effect a method blind to them would dilute. Theta
        (Assimakopoulos and Nikolopoulos, 2000, in Hyndman and Billah's
        form: exponential smoothing with half the slope of the least-squares
        line as drift) forecasts each series from all its values, on the
        same deseasonalised scale; the two forecasts are averaged there,
        and the interval is calibrated on the combined forecast. Forecast
        combinations are the oldest robust gain in forecasting; equal
        weights beat the networks alone on M3 Monthly's validation months
        (see Notes). Theta reads neither covariates nor sample weights.
    random_state : int, RandomState or None, default=None
        Seeds of the networks and of the window samples.

    Attributes
    ----------
    estimators_ : list of RNNRegressor
    n_features_in_ : int
        Columns of an array ``X`` seen in fit (set only by a fit on arrays).
    series_ids_ : list
        The ids of the series seen in fit, in order.
    history_ : list of ndarray
        Each series' training values (the scale of MASE).
    season_ : int or None
    seasonal_factors_ : list of ndarray or None
        Per series, its seasonal factors (phase 0 is its first value).
    error_quantiles_ : ndarray of shape (horizon,)
        Half-width of the interval per step, in window-scaled units.
    calibration_ : {"holdout", "none"}
        Where the interval came from ("none": no interval).
    theta_weight_ : float
        The weight of Theta's forecast in the combination (``theta_weight``,
        ``"auto"`` resolved).

    See Also
    --------
    PanelSplitter : Forecast-origin folds for ``cv=``.
    smape_scorer, mase_scorer, owa_scorer : Scorers for ``scoring=``.
    sklearn_rnn.RNNForecaster : One series, with covariates.

    Notes
    -----
    The default recipe (direct, seasonal factors where M4's test finds a
    season, mean scaling with log, the absolute error in units of MASE, a
    GRU of 128 units trained 6 epochs in batches of 256 at learning rate
    3e-3, 3 networks averaged, reading 18, 24 and 36 values, their
    forecast averaged with Theta's) was chosen on validation origins of M3
    Monthly carved from the training histories (``benchmarks/bench_m3.py
    --validate``), never on its test months.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.forecasting import PanelForecaster
    >>> months = pd.period_range("2000-01", periods=36, freq="M")
    >>> index = pd.MultiIndex.from_product([["north", "south"], months],
    ...                                    names=["store", "month"])
    >>> y = pd.Series(np.tile(np.linspace(10, 20, 36), 2), index=index)
    >>> model = PanelForecaster(RNNRegressor("gru", 8, max_epochs=3),
    ...                         window=12, horizon=6, random_state=0)
    >>> frame = model.fit(None, y).forecast()
    >>> frame.columns.tolist()
    ['store', 'month', 'forecast', 'lower', 'upper']
    >>> len(frame), str(frame["month"].iloc[0])
    (12, '2003-01')
    """

    _parameter_constraints: dict = {
        "regressor": [RNNRegressor, None],
        "window": [Interval(Integral, 1, None, closed="left"), list, tuple],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"direct", "recursive"})],
        "seasonal_period": [
            None,
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "deseasonalize": [StrOptions({"auto", "always", "never"})],
        "window_scaling": [StrOptions({"mean", "last"})],
        "loss": [StrOptions({"mae", "mse", "mase"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_windows": [Interval(Integral, 1, None, closed="left")],
        "interval": [Interval(Real, 0, 1, closed="neither")],
        "calibration": [StrOptions({"holdout", "none"})],
        "calibration_origins": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "static_covariates": [list, None],
        "past_covariates": [list, None],
        "id_embedding": [Interval(Integral, 0, None, closed="left")],
        "level_smoothing": ["boolean"],
        "theta_weight": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        regressor=None,
        *,
        window=(18, 24, 36),
        horizon=18,
        strategy="direct",
        seasonal_period="auto",
        deseasonalize="auto",
        window_scaling="mean",
        loss="mase",
        n_estimators=3,
        max_windows=200_000,
        interval=0.9,
        calibration="holdout",
        calibration_origins="auto",
        static_covariates=None,
        past_covariates=None,
        id_embedding=0,
        level_smoothing=False,
        theta_weight="auto",
        random_state=None,
    ):
        self.regressor = regressor
        self.window = window
        self.horizon = horizon
        self.strategy = strategy
        self.seasonal_period = seasonal_period
        self.deseasonalize = deseasonalize
        self.window_scaling = window_scaling
        self.loss = loss
        self.n_estimators = n_estimators
        self.max_windows = max_windows
        self.interval = interval
        self.calibration = calibration
        self.calibration_origins = calibration_origins
        self.static_covariates = static_covariates
        self.past_covariates = past_covariates
        self.id_embedding = id_embedding
        self.level_smoothing = level_smoothing
        self.theta_weight = theta_weight
        self.random_state = random_state

    # ------------------------------------------------------------------
    def _steps_out(self):
        return 1 if self.strategy == "recursive" else self.horizon

    def _adjusted(self, i, stop=None):
        """Series ``i``'s first ``stop`` values, seasonal factors removed."""
        return _deseasonalised(self.history_[i][:stop], self.seasonal_factors_[i])

    def _train(
        self, values, positive, n_members, rng, regressor, weights=None, exog=None
    ):
        """Fit ``n_members`` networks on windows of the adjusted ``values``.

        ``weights`` (one array per series, or None) weigh each window by the
        mean weight of the periods it predicts; ``exog`` holds the same
        series' covariates and codes (or None).
        """
        steps_out = self._steps_out()
        scaler = WindowScaler(self.window_scaling)
        scales = _naive_scales(values, self.season_) if self.loss == "mase" else None
        fitted = []
        for k, member in enumerate(_members(self, regressor, n_members, rng)):
            window = member_window(self.window, k)
            series, origins = window_origins(
                [len(v) for v in values], window, steps_out
            )
            if len(series) == 0:
                raise ValueError(
                    f"No series is long enough for one training window: each "
                    f"needs more than horizon={steps_out} values."
                )
            take = np.arange(len(series))
            if len(take) > self.max_windows:
                take = rng.choice(len(take), self.max_windows, replace=False)
            if self.regressor is None:
                member = _budgeted(member, len(take))
            inputs, targets = gather(
                values, series[take], origins[take], window, steps_out
            )
            x, y, state = scaler.forward(inputs, targets, positive[series[take]])
            if exog is not None:
                x = exog.assemble(x, series[take], origins[take], window, steps_out)
            y = y[:, 0] if steps_out == 1 else y
            fit_params = {}
            if weights is not None:
                _, w = gather(weights, series[take], origins[take], 0, steps_out)
                fit_params["sample_weight"] = w.mean(axis=1)
            if self.loss == "mase":
                w = _mase_weights(scales, series[take], state)
                fit_params["sample_weight"] = w * fit_params.get("sample_weight", 1)
            fitted.append(member.fit(x.astype(np.float32), y, **fit_params))
        return fitted

    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train the network on windows of every series of ``y``.

        Parameters
        ----------
        X : pandas.DataFrame, array-like of shape (n_periods, n_features) \
or None
            Covariates, on the index of ``y`` (or None, or no columns). An
            array (the scikit-learn convention) holds the periods of one
            series, ``y`` (an array, or a Series on dates or periods), with
            a known-future covariate per column; :meth:`predict` and
            :meth:`forecast` then read an array of the periods right after
            the training data, in whole horizons (the network reads
            ``horizon`` periods of covariates at once).
            Columns named in ``static_covariates`` hold one value per
            series, those in ``past_covariates`` are known up to each
            forecast origin only, and the others are known ahead: the
            periods forecast need them too (see :meth:`predict`).
        y : pandas.Series or array-like of shape (n_periods,)
            The targets on a ``(series id, period)`` MultiIndex, or a
            single series (a Series on dates, periods or integer positions,
            or an array).
        sample_weight : array-like of shape (n_rows,), default=None
            Weight of each row of ``y`` as a target period (finite,
            non-negative, not all zero): each training window is weighted
            by the mean weight of the periods it predicts, in the networks'
            loss. Weights play no part in the scaling, the seasonal factors
            or the interval's residuals; the calibration networks are
            trained with the weights of their own rows only. None: equal
            weights.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError(
                "PanelForecaster requires y to be passed, but the target y is None."
            )
        _check_windows(self.window, self.n_estimators)
        X, y = _array_frames(self, X, y)
        has_columns = _check_frame(X, y)
        panel = check_panel(y, min_length=self._steps_out() + 1)
        weights = _panel_weights(sample_weight, y)
        covariates, exog = panel_covariates(
            X if has_columns else None,
            _as_multiindexed(y)[0].index,
            self.get_params(deep=False),
            len(panel.ids),
            _holdout_stops(self, [len(v) for v in panel.values]),
        )
        self.n_series_ = len(panel.ids)
        self._covariates, self._exog = covariates, exog
        self.theta_weight_ = _theta_weight(self.theta_weight, has_columns)
        self._fit_panel(panel, weights)
        return self

    def _fit_panel(self, panel, weights=None):
        rng = check_random_state(self.random_state)
        regressor = (
            self.regressor if self.regressor is not None else _default_regressor()
        )
        self.season_ = _panel_season(self.seasonal_period, panel)
        self.history_ = panel.values
        positive, self.seasonal_factors_ = _positivity_and_factors(self, panel.values)
        values = [self._adjusted(i) for i in range(len(panel.values))]
        self.error_quantiles_ = np.full(self.horizon, np.nan)
        self.calibration_ = "none"
        if self.calibration == "holdout":
            quantiles = _calibrate(self, rng, regressor, weights)
            if quantiles is not None:
                self.error_quantiles_, self.calibration_ = quantiles, "holdout"
        self.estimators_ = self._train(
            values, positive, self.n_estimators, rng, regressor, weights, self._exog
        )
        self.regressor_ = self.estimators_[0]
        self.series_ids_ = list(panel.ids)
        self._positive = positive
        self._panel_meta = panel
        return self

    # ------------------------------------------------------------------
    def _forecast_all(self, n_steps, which=None, future=None):
        """Forecasts and interval half-widths in units, per series.

        ``future`` maps a series' position to the encoded known-future
        covariates of the periods after its training data.
        """
        which = range(len(self.series_ids_)) if which is None else which
        which = list(which)
        values = [self._adjusted(i) for i in which]
        steps_out = self._steps_out()
        exog = None
        if self._exog is not None:
            exog = self._exog.for_forecast(
                which,
                future,
                [len(v) for v in values],
                n_steps,
                steps_out,
                [self.series_ids_[i] for i in which],
            )
        adj, state = roll_members(
            self._with_windows(self.estimators_),
            values,
            self._positive[which],
            n_steps,
            self.window_scaling,
            exog,
            steps_out,
        )
        adj = combine_with_theta(adj, values, self.theta_weight_)
        level, spread, ok = state
        unit = np.where(ok, level, spread)
        out = []
        for row, i in enumerate(which):
            n = len(self.history_[i])
            factors = self.seasonal_factors_[i]
            f = _reseason(factors, adj[row], n)
            q = np.full(n_steps, np.nan)
            k = min(n_steps, self.horizon)
            q[:k] = self.error_quantiles_[:k]
            width = q * unit[row] * _reseason(factors, np.ones(n_steps), n)
            out.append((f, width))
        return out

    def forecast(self, horizon=None, X=None):
        """Forecast the next periods of every series, with an interval.

        Parameters
        ----------
        horizon : int, default=None
            Periods ahead; None means ``horizon``.
        X : pandas.DataFrame or array-like, default=None
            The known-future covariates of the periods forecast, indexed by
            ``(series id, period)`` (an array of the next periods for a
            model fitted on arrays): needed (only) when the model was fitted
            with them, for every series and every period up to the last
            forecast, in whole multiples of ``horizon`` (the network reads
            a horizon of future covariates at once).

        Returns
        -------
        forecast : pandas.DataFrame
            Long format: the series id and date columns (named like the
            index levels of ``y``), ``forecast``, ``lower`` and ``upper``
            (NaN beyond ``horizon``). A ratio-scaled series keeps its
            interval positive only approximately: the bounds are the
            forecast plus or minus the pooled half-width times its level.
        """
        check_is_fitted(self)
        X = _future_frame(self, X)
        n = self.horizon if horizon is None else horizon
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"horizon must be an integer >= 1; got {horizon!r}.")
        panel = self._panel_meta
        id_name, date_name = panel.names
        future = None
        if self._reads_future():
            if X is None:
                raise ValueError(
                    "This model reads known-future covariates: pass X with their "
                    "values for the periods forecast."
                )
            keys, times = rows_to_forecast(X, self._panel_meta, self.series_ids_)
            plan = _placements(panel, self.history_, keys, times)
            ahead = {i: (pairs, int(n)) for i, (pairs, _) in plan.items()}
            future = future_blocks(
                self._covariates, X, ahead, self._steps_out(), self._panel_meta
            )
            lacking = set(range(len(panel.ids))) - set(plan)
            if lacking:
                first = panel.ids[min(lacking)]
                raise ValueError(f"X has no covariate rows for series {first!r}.")
        frames = []
        for i, (f, w) in enumerate(self._forecast_all(int(n), None, future)):
            frames.append(
                pd.DataFrame(
                    {
                        id_name: [panel.ids[i]] * int(n),
                        date_name: panel.future(i, int(n)),
                        "forecast": f,
                        "lower": f - w,
                        "upper": f + w,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def predict(self, X):
        """Forecast the rows of ``X``: future periods of known series.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_rows, n_features)
            Indexed by ``(series id, period)`` (or by periods, for a model of
            one series); for a model fitted on arrays, an array whose rows
            are the periods right after the training data. Each series'
            rows must be consecutive periods after its training data (they
            may start later). A series id
            not seen in fit is an error: the model forecasts a series from
            its own history, which it has only for those. A model fitted
            with known-future covariates reads their values from ``X``'s
            columns, for every period from the first after a series'
            training data up to the last forecast, in whole horizons (the
            network reads a horizon of them at once); static and past
            covariates come from fit.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            In the order of X's rows.
        """
        check_is_fitted(self)
        X = _future_frame(self, X)
        keys, times = rows_to_forecast(X, self._panel_meta, self.series_ids_)
        plan = _placements(self._panel_meta, self.history_, keys, times)
        pred = np.empty(len(keys))
        steps_out = self._steps_out()
        groups = {}  # series forecast together: as far ahead as the furthest
        for i, (_, end) in plan.items():
            reach = -(-end // steps_out) * steps_out if self._reads_future() else 0
            groups.setdefault(reach, []).append(i)
        for which in groups.values():
            n_steps = max(plan[i][1] for i in which)
            future = None
            if self._reads_future():
                ahead = {i: (plan[i][0], n_steps) for i in which}
                future = future_blocks(
                    self._covariates, X, ahead, self._steps_out(), self._panel_meta
                )
            forecasts = self._forecast_all(n_steps, which, future)
            for (f, _), i in zip(forecasts, which):
                for row, step in plan[i][0]:
                    pred[row] = f[step]
        return pred

    def _with_windows(self, networks):
        """``(window, network)`` pairs: the lengths dealt as in training."""
        return [(member_window(self.window, k), n) for k, n in enumerate(networks)]

    def _reads_future(self):
        return self._exog is not None and self._exog.future is not None

    # What save() writes and load() checks (see sklearn_rnn._persistence._spec).
    _persisted_state = {
        "season_": _spec.Int(1, none=True),
        "history_": _spec.ListOf(
            _spec.Array((None,), dtype="float64", finite=True), "n_series_"
        ),
        "seasonal_factors_": _spec.ListOf(
            _spec.Array((None,), dtype="float64", finite=True, none=True),
            "n_series_",
        ),
        "error_quantiles_": _spec.Array(("horizon",), dtype="float64"),
        "calibration_": _spec.Str({"holdout", "none"}),
        "theta_weight_": _spec.Float(low=0.0, high=1.0),
        "estimators_": _spec.ListOf(_spec.Estimator()),
        "regressor_": _spec.Estimator(),
        "series_ids_": _spec.Value(),
        "_positive": _spec.Array(("n_series_",), kinds="b"),
        "_panel_meta": _spec.Value(),
        "n_series_": _spec.Int(1),
        "n_features_in_": _spec.Int(1),
        "_covariates": _spec.Value(none=True),
        "_exog": _spec.Value(none=True),
    }
