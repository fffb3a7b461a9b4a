# SPDX-License-Identifier: BSD-3-Clause
"""Cut a tabular time series into overlapping windows, without copying it.

:func:`make_windows` builds the ``(X, y)`` pairs a forecaster is trained on:
3-D input windows and the target values that follow each of them.
:class:`SlidingWindowTransformer` is the scikit-learn transformer for the
input side alone: it flattens each window into one row of lag features.

Both are built on :func:`numpy.lib.stride_tricks.sliding_window_view`, so the
windows are read-only views of the series' memory rather than copies: a
window of 100 steps over a million rows costs no more memory than the series.
The panel forecaster's windows come from the same view: :func:`windows_at`
copies out only the windows at chosen forecast origins.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import (
    Interval,
    _fit_context,
    _get_output_config,
)

__all__ = ["SlidingWindowTransformer", "make_windows"]


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------
def _series_as_frame(X):
    """A pandas Series is one feature over time: a one-column DataFrame."""
    return X.to_frame() if isinstance(X, pd.Series) else X


def _check_positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int >= 1, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


def _is_list_like(spec):
    return isinstance(spec, (list, tuple, np.ndarray, pd.Index))


def _as_slice(positions):
    """Return a slice selecting ``positions`` if one exists, else the list.

    Basic (slice) indexing returns a view; a list of positions would copy. A
    slice exists when the positions are increasing with a constant step.
    """
    if len(positions) == 1:
        return slice(positions[0], positions[0] + 1)
    steps = np.diff(positions)
    if steps[0] >= 1 and np.all(steps == steps[0]):
        return slice(positions[0], positions[-1] + 1, int(steps[0]))
    return list(positions)


def _table(series):
    """Split ``series`` into its length, labels, index and a value getter.

    Returns ``(n_timesteps, labels, index, get_values)``: ``index`` is the
    pandas index or None, and ``get_values(positions)`` returns the numeric
    values of those columns as a 2-D array, a view of ``series`` if possible.
    """
    if isinstance(series, pd.Series):
        series = series.to_frame(0 if series.name is None else series.name)
    if isinstance(series, pd.DataFrame):
        labels = list(series.columns)
        if not series.columns.is_unique:
            raise ValueError(
                "series has duplicate column labels; columns are addressed by "
                "label, so they must be unique."
            )

        def get_values(positions):
            frame = series.iloc[:, list(positions)]
            bad = [
                label
                for label, dtype in frame.dtypes.items()
                if not pd.api.types.is_numeric_dtype(dtype)
            ]
            if bad:
                raise ValueError(
                    f"Columns {bad} of series are not numeric; windows can only "
                    "be made of numeric columns. Encode them or leave them out "
                    "of target, exog and known_future."
                )
            values = frame.to_numpy()
            if values.dtype == object:  # nullable dtypes: pd.NA -> NaN
                values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
            return values

        return len(series), labels, series.index, get_values

    values = np.asarray(series)
    if values.dtype == object:
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "series must hold numbers; could not convert its object dtype to float."
            ) from None
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(
            "series must be 1-D (n_timesteps,) or 2-D (n_timesteps, n_features); "
            f"got an array of shape {values.shape}."
        )
    labels = list(range(values.shape[1]))
    return len(values), labels, None, lambda pos: values[:, _as_slice(pos)]


def _is_one_label(spec, labels, is_frame):
    """Whether ``spec`` names one column: a label, or a tuple that is itself
    a column label (MultiIndex columns), as in pandas."""
    if not _is_list_like(spec):
        return True
    return isinstance(spec, tuple) and is_frame and spec in labels


def _resolve(spec, labels, name, is_frame):
    """Return the column positions named by ``spec`` (a label or a list)."""
    items = [spec] if _is_one_label(spec, labels, is_frame) else list(spec)
    positions = []
    for item in items:
        if is_frame:
            if item not in labels:
                raise ValueError(
                    f"Unknown column {item!r} in {name}; series has the columns "
                    f"{labels}."
                )
            pos = labels.index(item)
        else:
            n = len(labels)
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, Integral):
                raise ValueError(
                    f"{name} must hold integer column positions for an array "
                    f"series (column names need a DataFrame); got {item!r}."
                )
            if not -n <= item < n:
                raise ValueError(
                    f"Column position {item} in {name} is out of range for a "
                    f"series with {n} column(s)."
                )
            pos = int(item) % n
        if pos in positions:
            raise ValueError(f"{name} names column {item!r} more than once.")
        positions.append(pos)
    return positions


def _windows(values, length, offset, n_windows, stride):
    """Read-only view of shape ``(n_windows, length, n_columns)``.

    Window ``i`` holds the rows ``[offset + i * stride, offset + i * stride +
    length)`` of the 2-D array ``values``.
    """
    view = sliding_window_view(values[offset:], length, axis=0)
    view = view[: (n_windows - 1) * stride + 1 : stride]
    return np.moveaxis(view, -1, 1)  # (n, n_columns, length) -> (n, length, ..)


def windows_at(values, origins, window, horizon=0):
    """The ``window`` values before each origin and the ``horizon`` from it.

    Origin ``t`` means "having seen ``values[:t]``". Positions before the
    series' start repeat its first value, and positions past its end its
    last. Returns a copy of shape ``(len(origins), window + horizon,
    *values.shape[1:])``, cut from one view of the padded series (the
    windows of :func:`make_windows`), so memory is bounded by the origins
    asked for.
    """
    values = np.asarray(values)
    if len(origins) and np.min(origins) < 0:
        raise ValueError(f"origins must be >= 0; got {np.min(origins)}.")
    column = values.reshape(len(values), -1)
    length = window + horizon
    right = max(0, int(np.max(origins, initial=0)) + horizon - len(values))
    padded = np.concatenate(
        [
            np.repeat(column[:1], window, axis=0),
            column,
            np.repeat(column[-1:], right, axis=0),
        ]
    )
    view = _windows(padded, length, 0, len(padded) - length + 1, 1)
    return view[origins].reshape(len(origins), length, *values.shape[1:])


def _check_finite(values, labels, index, name):
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        where = int(row) if index is None else index[row]
        raise ValueError(
            f"series contains NaN or infinite values in its {name} columns "
            f"(first at row {where!r}, column {labels[col]!r}); impute or drop "
            "them before making windows."
        )


# ----------------------------------------------------------------------
# make_windows
# ----------------------------------------------------------------------
def _column_roles(labels, target, exog, known_future, is_frame):
    """The column positions of the targets, past covariates and known-future
    covariates of :func:`make_windows`: each column plays one role."""
    all_cols = range(len(labels))
    future = (
        []
        if known_future is None
        else _resolve(known_future, labels, "known_future", is_frame)
    )
    targets = None if target is None else _resolve(target, labels, "target", is_frame)
    past = None if exog is None else _resolve(exog, labels, "exog", is_frame)
    if targets is None:
        taken = set(future) | set(past or [])
        targets = [c for c in all_cols if c not in taken]
        if not targets:
            raise ValueError(
                "No target column left: every column is in exog or known_future."
            )
    elif not targets:
        raise ValueError("target must name at least one column.")
    if past is None:
        past = [c for c in all_cols if c not in set(targets) | set(future)]
    for a, b, name_a, name_b in [
        (targets, past, "target", "exog"),
        (targets, future, "target", "known_future"),
        (past, future, "exog", "known_future"),
    ]:
        shared = [labels[c] for c in a if c in b]
        if shared:
            raise ValueError(
                f"Columns {shared} are in both {name_a} and {name_b}; a column "
                "can only play one role."
            )
    return targets, past, future


def make_windows(
    series,
    window,
    *,
    horizon=1,
    stride=1,
    target=None,
    exog=None,
    known_future=None,
    return_future=False,
    return_index=False,
):
    """Cut a series into input windows and the targets that follow them.

    Window ``i`` covers the rows ``[i * stride, i * stride + window)`` of
    ``series``; its targets are the next ``horizon`` rows, ``[i * stride +
    window, i * stride + window + horizon)``. ``X`` only ever holds rows
    before the target period, so a model trained on ``(X, y)`` cannot see the
    values it must forecast. The last window is the last one whose targets
    all lie inside the series.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
or pandas DataFrame or Series
        The series, one row per time step, oldest first. Columns are
        addressed by label for pandas input and by integer position for
        arrays. The index of a DataFrame (e.g. a ``DatetimeIndex``) gives the
        target timestamps returned with ``return_index=True``.

    window : int
        Number of time steps in each input window (>= 1).

    horizon : int, default=1
        Number of future time steps to predict after each window (>= 1).

    stride : int, default=1
        Number of time steps between the starts of consecutive windows.

    target : label, int or list, default=None
        Column(s) to forecast. A single label gives ``y`` of shape
        ``(n_windows, horizon)``; a list gives ``(n_windows, horizon,
        n_targets)``, even with one element. None means every column not
        named in ``exog`` or ``known_future``; ``y`` is then 2-D when that is
        a single column (always the case for 1-D ``series``).

    exog : label, int or list, default=None
        Past-only (exogenous) covariates: their values over the window are
        inputs, but they are not forecast and, unlike ``known_future``, not
        known over the horizon. None means every column that is neither a
        target nor in ``known_future``; pass ``[]`` for none.

    known_future : label, int or list, default=None
        Covariates known in advance, such as calendar features. Their values
        over the window are inputs like those of ``exog``; with
        ``return_future=True`` their values over the horizon are returned
        too.

    return_future : bool, default=False
        Whether to also return ``X_future``, the ``known_future`` columns
        over each window's target rows. This is the only way values from the
        target period are returned outside ``y``.

    return_index : bool, default=False
        Whether to also return the index labels of the target rows: the
        DataFrame's index values (e.g. timestamps), or row positions for an
        array.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_inputs)
        Input windows, ``n_windows = (n_timesteps - window - horizon) //
        stride + 1``. The inputs are the target, ``exog`` and
        ``known_future`` columns, in their order in ``series``.

    y : ndarray of shape (n_windows, horizon) or (n_windows, horizon, n_targets)
        Targets; ``y[i, h]`` is the value ``h + 1`` steps after the end of
        window ``i``. Several targets are in the order of ``target``; a
        regressor takes them as one row per window,
        ``y.reshape(len(y), -1)``, and gives its predictions back in that
        shape.

    X_future : ndarray of shape (n_windows, horizon, n_known_future)
        Only with ``return_future=True``: the ``known_future`` columns, in
        the order of ``known_future``, over the rows of ``y``.

    index : ndarray of shape (n_windows, horizon)
        Only with ``return_index=True``: the index label of each value of
        ``y``.

    See Also
    --------
    SlidingWindowTransformer : The input windows alone, as a transformer.

    Notes
    -----
    The arrays are **read-only views** of the series whenever its layout
    allows, so nothing is copied whatever the window: ``np.shares_memory(X,
    series)`` is true for a numeric ndarray, and for a single-dtype DataFrame
    the views share its memory too. Columns that no slice can select (not
    evenly spaced, or targets listed out of order) and dtype conversions
    (e.g. a DataFrame mixing int and float columns) copy those columns of the
    series once, never the windows. Views keep the
    whole series alive; use ``np.array(X)`` for a writable, independent copy.
    The input is never modified.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.windowing import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3, horizon=2)
    >>> X.shape, y.shape
    ((2, 3, 1), (2, 2))
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.]])
    >>> y
    array([[3., 4.],
           [4., 5.]])

    A DataFrame with a calendar feature known in advance:

    >>> import pandas as pd
    >>> df = pd.DataFrame(
    ...     {"sales": [5.0, 7, 6, 8, 9], "weekend": [0.0, 0, 1, 1, 0]},
    ...     index=pd.date_range("2024-01-01", periods=5, freq="D"),
    ... )
    >>> X, y, X_future, index = make_windows(
    ...     df, 3, target="sales", known_future="weekend",
    ...     return_future=True, return_index=True,
    ... )
    >>> X[0]
    array([[5., 0.],
           [7., 0.],
           [6., 1.]])
    >>> y.ravel(), X_future.ravel()
    (array([8., 9.]), array([1., 0.]))
    >>> pd.DatetimeIndex(index[:, 0]).strftime("%Y-%m-%d").tolist()
    ['2024-01-04', '2024-01-05']
    """
    window = _check_positive_int(window, "window")
    horizon = _check_positive_int(horizon, "horizon")
    stride = _check_positive_int(stride, "stride")
    n_timesteps, labels, index, get_values = _table(series)
    is_frame = index is not None
    if not labels:
        raise ValueError("series has no columns.")
    targets, past, future = _column_roles(
        labels, target, exog, known_future, is_frame
    )
    if return_future and not future:
        raise ValueError("return_future=True needs known_future columns.")

    if n_timesteps < window + horizon:
        raise ValueError(
            f"series has {n_timesteps} time steps, too few for one window: "
            f"window={window} plus horizon={horizon} needs at least "
            f"{window + horizon}."
        )
    n_windows = (n_timesteps - window - horizon) // stride + 1

    # Fetch the used columns once; targets and known_future are sub-selections
    # of them (slices when possible, so still views of the series).
    used = sorted(set(targets) | set(past) | set(future))
    values = get_values(used)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"series must hold real numbers; got dtype {values.dtype}.")
    _check_finite(values, [labels[c] for c in used], index, "selected")
    where = {c: i for i, c in enumerate(used)}

    X = _windows(values, window, 0, n_windows, stride)
    y_values = values[:, _as_slice([where[c] for c in targets])]
    y = _windows(y_values, horizon, window, n_windows, stride)
    if _is_one_label(target, labels, is_frame) and len(targets) == 1:
        y = y[:, :, 0]
    out = [X, y]
    if return_future:
        f_values = values[:, _as_slice([where[c] for c in future])]
        out.append(_windows(f_values, horizon, window, n_windows, stride))
    if return_index:
        labels_ = np.asarray(index) if is_frame else np.arange(n_timesteps)
        out.append(
            _windows(labels_[:, None], horizon, window, n_windows, stride)[:, :, 0]
        )
    return tuple(out)


# ----------------------------------------------------------------------
# SlidingWindowTransformer
# ----------------------------------------------------------------------
class SlidingWindowTransformer(PersistenceMixin, TransformerMixin, BaseEstimator):
    """Flatten the sliding windows of a series into rows of lag features.

    Each output row is one window of ``window`` consecutive time steps (rows)
    of ``X``, flattened time-major: all features of the oldest step first,
    the current step last. Output row ``j`` is the window of rows ``[j *
    stride, j * stride + window)``, so the output has ``n_windows =
    (n_timesteps - window) // stride + 1`` rows: **fewer rows than the
    input** whenever ``window > 1``.

    Because scikit-learn transformers cannot change ``y``, this transformer
    is for ``X``-only use: feature extraction, or building the input of a
    model at inference time (pass the last ``window`` rows to get the one
    window that ends now). To build training pairs ``(X, y)`` use
    :func:`make_windows`, whose input windows are the first rows of this
    transformer's output, reshaped.

    Parameters
    ----------
    window : int, default=10
        Number of consecutive time steps in each window.

    stride : int, default=1
        Number of time steps between the starts of consecutive windows.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (columns) per time step seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    make_windows : Input windows and the targets that follow them.

    Notes
    -----
    **Rows and scikit-learn.** Some of scikit-learn's estimator checks
    assume that a transform works row by row: as many rows out as in, and
    the same output row for each input row whether the rows are passed
    together, one at a time or shuffled. No window longer than one step can
    satisfy that, since a window is made of several rows in their order.
    The common tests therefore run this transformer with ``window=3`` and
    mark those four row-wise checks (``check_transformer_general``,
    ``check_transformer_data_not_an_array``,
    ``check_methods_subset_invariance`` and
    ``check_methods_sample_order_invariance``) as expected failures; every
    other check passes.

    **Memory.** The output is a read-only view, so the windows are never
    copied: 100-step windows over 100,000 rows of 8 features would take
    640 MB as a copy and take none as a view. It is a view of ``X`` itself
    when ``X`` is a C-contiguous (row-major) float or int array, as NumPy
    arrays usually are; otherwise (e.g. a multi-column DataFrame, stored
    column by column, or a dtype conversion) it is a view of one row-major
    copy of ``X``, ``n_timesteps * n_features`` values: for the example
    above, 2 ms against 0.34 s for copying the windows themselves. Use
    ``np.array(Xt)`` when a writable array is needed.

    With ``set_output(transform="pandas")`` the output is a writable copy, a
    DataFrame whose index labels each window by the index label of its last
    time step when ``X`` is a DataFrame (a ``RangeIndex`` otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.windowing import SlidingWindowTransformer
    >>> X = np.array([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])
    >>> swt = SlidingWindowTransformer(window=3).fit(X)
    >>> swt.transform(X)
    array([[ 0., 10.,  1., 11.,  2., 12.],
           [ 1., 11.,  2., 12.,  3., 13.]])
    >>> swt.get_feature_names_out()
    array(['x0_lag2', 'x1_lag2', 'x0_lag1', 'x1_lag1', 'x0_lag0', 'x1_lag0'],
          dtype=object)

    With pandas output, columns are named after the DataFrame's columns:

    >>> import pandas as pd
    >>> df = pd.DataFrame(
    ...     {"passengers": [112.0, 118, 132, 129]},
    ...     index=pd.date_range("1949-01", periods=4, freq="MS"),
    ... )
    >>> SlidingWindowTransformer(window=2).set_output(
    ...     transform="pandas"
    ... ).fit_transform(df)
                passengers_lag1  passengers_lag0
    1949-02-01            112.0            118.0
    1949-03-01            118.0            132.0
    1949-04-01            132.0            129.0
    """

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window=10, *, stride=1):
        self.window = window
        self.stride = stride

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number and names of the features of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_features) or pandas.Series
            The series, one row per time step, oldest first. It must have at
            least ``window`` rows. A Series is one feature, named after the
            Series.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Returns the instance itself.
        """
        X = validate_data(self, _series_as_frame(X), dtype="numeric")
        self._check_n_timesteps(X)
        return self

    def transform(self, X):
        """Return the flattened windows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_features) or pandas.Series
            The series, one row per time step, oldest first, with at least
            ``window`` rows.

        Returns
        -------
        X_windows : ndarray of shape (n_windows, window * n_features)
            One row per window, ``n_windows = (n_timesteps - window) //
            stride + 1``: a read-only view, of ``X`` itself when ``X`` is a
            C-contiguous array of a numeric dtype.
        """
        check_is_fitted(self)
        X = _series_as_frame(X)
        index = X.index if isinstance(X, pd.DataFrame) else None
        X = validate_data(self, X, reset=False, dtype="numeric")
        self._check_n_timesteps(X)
        # In a row-major array the rows of a window follow each other in
        # memory, so each flattened window is a strided view and the reshape
        # below copies nothing. Copying a column-major X once (n_timesteps *
        # n_features values) is far cheaper than letting the reshape copy
        # every window (window times as many values).
        X = np.ascontiguousarray(X)
        # int(): numpy's strides refuse a bool window (True is a valid 1).
        windows = sliding_window_view(X, int(self.window), axis=0)[:: self.stride]
        # (n_windows, n_features, window) -> time-major rows, still a view.
        Xt = np.moveaxis(windows, -1, 1).reshape(len(windows), -1)
        if _get_output_config("transform", self)["dense"] == "pandas":
            # Built here rather than by scikit-learn's wrapper, which would
            # label the rows with X's index (too long) and wrap the read-only
            # view: a DataFrame is expected to be an independent, writable
            # table. Each window is labelled by its last time step.
            if index is not None:
                index = index[self.window - 1 :: self.stride]
            Xt = pd.DataFrame(
                Xt, index=index, columns=self.get_feature_names_out(), copy=True
            )
        return Xt

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. None means ``feature_names_in_`` if defined,
            else ``["x0", "x1", ...]``. If given, it must match
            ``feature_names_in_`` when that is defined.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"<name>_lag<k>"`` for ``k`` from ``window - 1`` down to 0,
            time-major like the output columns: ``lag0`` is the last step of
            the window.
        """
        check_is_fitted(self)
        names_in = getattr(self, "feature_names_in_", None)
        if input_features is None:
            if names_in is None:
                names_in = [f"x{i}" for i in range(self.n_features_in_)]
        else:
            input_features = np.asarray(input_features, dtype=object)
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    "input_features should have length equal to the number of "
                    f"features seen in fit ({self.n_features_in_}), got "
                    f"{len(input_features)}."
                )
            if names_in is not None and not np.array_equal(input_features, names_in):
                raise ValueError("input_features is not equal to feature_names_in_.")
            names_in = input_features
        return np.asarray(
            [
                f"{name}_lag{lag}"
                for lag in range(self.window - 1, -1, -1)
                for name in names_in
            ],
            dtype=object,
        )

    def _check_n_timesteps(self, X):
        if X.shape[0] < self.window:
            raise ValueError(
                f"{type(self).__name__} with window={self.window} needs at "
                f"least {self.window} time steps (rows of X); got "
                f"n_samples={X.shape[0]}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Windows only rearrange values, so every numeric dtype is kept.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
        "n_features_in_": _spec.Int(0),
    }
