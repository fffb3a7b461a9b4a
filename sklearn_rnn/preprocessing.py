# SPDX-License-Identifier: BSD-3-Clause
"""Scaling of sequences: every layout the recurrent estimators accept.

:class:`SequenceScaler` is scikit-learn's ``StandardScaler`` for sequences:
the statistics of a feature are taken over every time step of every training
sequence, so it goes in a :class:`~sklearn.pipeline.Pipeline` in front of the
recurrent estimators, whatever the layout of ``X``.
"""


import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import _fit_context, _get_output_config
from sklearn_rnn.utils._statistics import feature_statistics

__all__ = ["SequenceScaler"]

_FLOAT_DTYPES = (np.float64, np.float32)


def _sequence_column(X):
    """A pandas Series or 1-D object array of sequences as a list, else None."""
    if isinstance(X, np.ndarray):
        if X.dtype != object or X.ndim != 1:
            return None
    elif not (hasattr(X, "iloc") and getattr(X, "ndim", None) == 1):
        return None
    elif X.dtype != object:
        return None
    items = list(X)
    if items and all(isinstance(s, (np.ndarray, list, tuple)) for s in items):
        return items
    return None


def _sequence_list(X):
    """A list or tuple of sequences as a list, else None.

    Sequences are arrays (of any shapes) or nested lists of unequal shapes; a
    list of equally long lists of numbers is an ordinary 2-D array.
    """
    if not isinstance(X, (list, tuple)) or not X:
        return None
    items = list(X)
    if all(isinstance(s, np.ndarray) and s.ndim >= 1 for s in items):
        return items
    if any(isinstance(s, (str, bytes)) for s in items):
        return None
    try:
        shapes = {np.shape(s) for s in items}
    except ValueError:  # an element is itself ragged: checked one by one
        return items
    if len(shapes) <= 1 or () in shapes:
        return None
    return items


def _rebuild(template, sequences):
    """Put ``sequences`` back into the container type of ``template``."""
    if isinstance(template, np.ndarray):
        out = np.empty(len(sequences), dtype=object)
        out[:] = sequences
        return out
    if hasattr(template, "iloc"):  # a pandas Series
        return type(template)(
            sequences, index=template.index, name=template.name, dtype=object
        )
    return list(sequences)


class SequenceScaler(PersistenceMixin, TransformerMixin, BaseEstimator):
    """Standardise each feature over all time steps of all sequences.

    Like :class:`~sklearn.preprocessing.StandardScaler`, but a sample is a
    sequence: the mean and standard deviation of a feature are taken over
    every time step of every training sequence, and the same shift and scale
    is applied at every step. Padding never counts: sequences of different
    lengths are given as a list, and only their real steps enter the
    statistics. The output has the layout of the input.

    NaN values are ignored in ``fit`` and kept as NaN in ``transform``.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract the mean of each feature.

    with_std : bool, default=True
        Divide each feature by its standard deviation. A constant feature is
        divided by 1.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,)
        Mean of each feature over all training steps (one feature for
        univariate sequences). Computed even when ``with_mean=False``.

    var_ : ndarray of shape (n_step_features,)
        Variance of each feature over all training steps.

    scale_ : ndarray of shape (n_step_features,) or None
        The divisor of each feature; None when ``with_std=False``.

    n_samples_seen_ : ndarray of shape (n_step_features,)
        Number of non-NaN training steps of each feature.

    n_features_in_ : int
        As for the recurrent estimators: the number of time steps for a
        2-D ``X`` (one univariate sequence per row), else the number of
        features per time step.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns of a DataFrame ``X``. Defined only when ``X``
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for rows of a table.

    Notes
    -----
    Accepted layouts of ``X``, as in the recurrent estimators:

    - 2-D array or DataFrame ``(n_samples, n_timesteps)``: univariate
      sequences, one per row; one mean and scale for all values.
    - 3-D array ``(n_samples, n_timesteps, n_features)``: one mean and scale
      per feature, over samples and time steps.
    - list of arrays of shape ``(n_timesteps_i,)`` or ``(n_timesteps_i,
      n_features)``, a pandas Series or a 1-D object array of them:
      sequences of different lengths; ``transform`` returns a list, a
      Series (same index and name) or an object array of arrays of the same
      shapes.

    ``get_feature_names_out`` (and so ``set_output(transform="pandas")``)
    exists only for a 2-D ``X``, whose output is a table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.preprocessing import SequenceScaler
    >>> X = [np.array([[0.0, 10.0], [2.0, 10.0]]), np.array([[4.0, 40.0]])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_
    array([ 2., 20.])
    >>> [x.round(3).tolist() for x in scaler.transform(X)]
    [[[-1.225, -0.707], [0.0, -0.707]], [[1.225, 1.414]]]
    """

    _parameter_constraints: dict = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the mean and standard deviation of each feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Training sequences, see the Notes of the class.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        layout, values, _ = self._validate(X, reset=True)
        if layout == "2d":
            frames = values.reshape(-1, 1)
        elif layout == "3d":
            frames = values.reshape(-1, values.shape[2])
        else:
            frames = np.concatenate([s.reshape(len(s), -1) for s in values])
        self._fit_layout_ = layout
        self._n_step_features = frames.shape[1]
        self.n_samples_seen_, self.mean_, self.var_, scale = feature_statistics(frames)
        self.scale_ = scale if self.with_std else None
        return self

    def transform(self, X):
        """Standardise ``X`` with the statistics of ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Sequences, in any layout of the class Notes, with the number of
            features per time step seen in ``fit``.

        Returns
        -------
        X_scaled : ndarray, list, pandas Series or object array
            The scaled sequences, in the layout of ``X``.
        """
        return self._apply(X, inverse=False)

    def inverse_transform(self, X):
        """Undo ``transform``: scale back and add the mean.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Scaled sequences.

        Returns
        -------
        X_original : ndarray, list, pandas Series or object array
            The sequences in the original units, in the layout of ``X``.
        """
        return self._apply(X, inverse=True)

    def _fitted_on_table(self):
        return not hasattr(self, "_fit_layout_") or self._fit_layout_ == "2d"

    @available_if(_fitted_on_table)
    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: those of the input, for a 2-D ``X``.

        Only defined for a scaler fitted on a 2-D ``X``, whose output is a
        table; one fitted on 3-D or ragged sequences has none.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or
            ``x0, x1, ...`` when fit saw no names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input feature names.
        """
        check_is_fitted(self)
        return OneToOneFeatureMixin.get_feature_names_out(self, input_features)

    def _apply(self, X, inverse):
        check_is_fitted(self)
        layout, values, template = self._validate(X, reset=False)
        container = _get_output_config("transform", self)["dense"]
        if layout != "2d" and container != "default" and self._fitted_on_table():
            # Fitted on sequences, there are no column names and scikit-learn
            # hands sequences back as they are; fitted on a table, it would
            # try to make a table of them.
            raise ValueError(
                f"This SequenceScaler was fitted on a 2-D table and "
                f"set_output(transform={container!r}) makes tables, but X holds "
                f"{'3-D' if layout == '3d' else 'ragged'} sequences: use "
                "set_output(transform='default') for them."
            )
        if layout == "list":
            return _rebuild(template, [self._scale(s, inverse) for s in values])
        return self._scale(values, inverse)

    def _scale(self, values, inverse):
        """Scale a copy of an array whose last axis holds the features.

        Univariate input (2-D rows or 1-D sequences) has one feature, whose
        statistics broadcast over any last axis. The arithmetic runs in the
        input's precision: float32 stays float32.
        """
        out = values.astype(values.dtype, copy=True)
        mean = self.mean_.astype(values.dtype)
        scale = None if self.scale_ is None else self.scale_.astype(values.dtype)
        if inverse:
            if scale is not None:
                out *= scale
            if self.with_mean:
                out += mean
        else:
            if self.with_mean:
                out -= mean
            if scale is not None:
                out /= scale
        return out

    def _validate(self, X, reset):
        """Return ``(layout, values, template)`` and check the features.

        ``layout`` is "2d", "3d" or "list"; ``values`` the validated array,
        or the list of validated sequences; ``template`` the container a
        list of sequences came in.
        """
        items = _sequence_column(X)
        if items is None:
            items = _sequence_list(X)
        if items is not None:
            sequences = [self._check_sequence(s, i) for i, s in enumerate(items)]
            n_features = {1 if s.ndim == 1 else s.shape[1] for s in sequences}
            if len(n_features) > 1:
                raise ValueError(
                    "All sequences must have the same number of features per "
                    f"time step; X holds sequences with {sorted(n_features)}."
                )
            self._check_step_features(n_features.pop(), reset)
            return "list", sequences, X
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            try:
                ndim = np.asarray(X).ndim
            except (ValueError, TypeError):
                ndim = None  # check_array names the problem
        if ndim == 3:
            X = check_array(
                X,
                allow_nd=True,
                dtype=_FLOAT_DTYPES,
                ensure_all_finite="allow-nan",
                input_name="X",
                estimator=self,
            )
            if X.shape[1] == 0 or X.shape[2] == 0:
                raise ValueError(
                    f"Found array with shape {X.shape}: sequences need at "
                    "least one time step and one feature."
                )
            self._check_step_features(X.shape[2], reset)
            return "3d", X, None
        return "2d", self._validate_table(X, reset), None

    def _validate_table(self, X, reset):
        """A 2-D ``X``: univariate sequences, one per row."""
        if reset or self._fit_layout_ == "2d":
            X = validate_data(
                self,
                X,
                reset=reset,
                dtype=_FLOAT_DTYPES,
                ensure_all_finite="allow-nan",
            )
        else:
            X = check_array(
                X,
                dtype=_FLOAT_DTYPES,
                ensure_all_finite="allow-nan",
                input_name="X",
                estimator=self,
            )
            self._check_step_features(1, reset)
        return X

    def _check_sequence(self, seq, i):
        seq = check_array(
            seq,
            ensure_2d=False,
            dtype=_FLOAT_DTYPES,
            ensure_all_finite="allow-nan",
            ensure_min_samples=0,
            input_name=f"X[{i}]",
            estimator=self,
        )
        if seq.ndim not in (1, 2) or 0 in seq.shape:
            raise ValueError(
                f"X[{i}] has shape {seq.shape}; each sequence must be a "
                "non-empty 1-D (n_timesteps,) or 2-D (n_timesteps, n_features) "
                "array."
            )
        return seq

    def _check_step_features(self, n_features, reset):
        """Record (fit) or check the features per step of 3-D or list input."""
        if reset:
            # validate_data did not run: keep the fitted attributes
            # consistent with this input.
            self.n_features_in_ = n_features
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        if n_features != self._n_step_features:
            raise ValueError(
                f"X has {n_features} features per time step, but "
                f"{type(self).__name__} is expecting {self._n_step_features} "
                "features per time step as input."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # What a saved scaler holds (sklearn_rnn.persistence): one statistic per
    # feature of a time step.
    _persisted_state = {
        "_fit_layout_": _spec.Str({"2d", "3d", "list"}),
        "_n_step_features": _spec.Int(1),
        "n_features_in_": _spec.Int(1),
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
        "n_samples_seen_": _spec.Array(("_n_step_features",), kinds="iu"),
        "mean_": _spec.Array(("_n_step_features",), dtype="float64"),
        "var_": _spec.Array(("_n_step_features",), dtype="float64"),
        "scale_": _spec.Array(("_n_step_features",), dtype="float64", none=True),
    }
