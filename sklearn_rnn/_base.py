# SPDX-License-Identifier: BSD-3-Clause
"""The scikit-learn template of the neural estimators.

:class:`BaseSequenceEstimator` is the template: ``fit`` validates the input
(``_validation.py``), encodes the target (a subclass's hook), describes
what to train as a :class:`~sklearn_rnn._training.TrainingTask` and hands
it to the training engine (``_training.py``); prediction runs the trained
module over the validated input in fixed-size batches.
:class:`BaseRNN` adds the recurrent backbone of the regressor and the
classifier (one output per sequence or per step).
"""

import copy
import dataclasses
import functools
import warnings
from abc import ABC, abstractmethod

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from sklearn_rnn._data import (
    BatchIterator,
    SequenceDataset,
    ValidationSplit,
    pad_sequences,
    to_tensor,
)
from sklearn_rnn._modules import RecurrentNetwork
from sklearn_rnn._persistence import _spec
from sklearn_rnn._training import (
    _INFERENCE_BATCH_SIZE,
    TrainingSettings,
    TrainingTask,
    train,
    training_history,
)
from sklearn_rnn._validation import (
    FLOAT_DTYPES,
    array_ndim,
    check_3d_sequences,
    check_finite_output,
    check_float32_range,
    check_ragged_sequences,
    check_token_ids,
    per_step_targets,
    ragged_candidates,
    sequence_column,
    warn_if_lags_newest_first,
)
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import _fit_context
from sklearn_rnn.utils._statistics import sequence_statistics, weighted_statistics
from sklearn_rnn.utils._torch import (
    draw_seed,
    lstm_supports_bfloat16,
    resolve_device,
)

# Training sequences the check for a degenerate model reads, at most.
_DEGENERACY_SAMPLE = 1024


def _is_set(value):
    return value is not None


def warn_degenerate(estimator, problem):
    """Warn that ``estimator`` fitted a degenerate model (``problem`` says how)."""
    tries = [
        f"more epochs than max_epochs={estimator.max_epochs}",
        f"a larger learning rate than lr={estimator.lr:g}",
        "a smaller batch_size",
    ]
    causes = "too few optimiser steps"
    # Scaling is advice only for an estimator that does not scale already.
    if not getattr(estimator, "scale", False):
        tries.append("scaled inputs (scale=True or SequenceScaler)")
        causes += " or unscaled inputs"
    warnings.warn(
        f"The fitted {type(estimator).__name__} {problem}: it has learnt "
        f"nothing useful, usually from {causes}. Try "
        f"{', '.join(tries[:-1])} or {tries[-1]}.",
        ConvergenceWarning,
        stacklevel=6,
    )


def _plain(value):
    """A bool, int or None parameter as a plain Python value."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return int(value)


def _effective_weights(sample_weight, X):
    """Validated ``sample_weight`` as float64, or None when all are equal.

    Equal weights train exactly as no weights do: the losses are weighted
    means, in which a common factor cancels.
    """
    if sample_weight is None:
        return None
    # Refuses NaN, inf, negative and all-zero weights and a wrong length.
    weights = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
    if np.all(weights == weights[0]):
        return None
    return weights.astype(np.float64, copy=False)


def _weighted_moments(flat, weights):
    """Weighted mean and standard deviation of the columns of ``flat``.

    Rows are weighted by ``weights``; NaN entries (padding) are ignored.
    """
    total, mean, var = weighted_statistics(flat, weights)
    if np.any(total <= 0):
        _refuse_zero_weights()
    return mean, np.sqrt(var)


def _refuse_zero_weights():
    raise ValueError(
        "sample_weight is zero for every sample the model trains on "
        "(the validation split of early stopping excluded); give some "
        "of them a positive weight."
    )


def _working_copy(estimator):
    """A new instance sharing ``estimator``'s attributes (none copied)."""
    work = object.__new__(type(estimator))
    work.__dict__ = estimator.__dict__.copy()
    return work


def _whole_model(method):
    """Run ``method`` on one consistent state of the estimator.

    ``fit`` publishes all its fitted attributes in a single assignment of
    the instance dictionary; a method that reads several of them (the net,
    then the target scaling) reads them from one copy of that dictionary,
    taken at once, so a refit in another thread cannot hand it the new net
    and the old scaling.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(_working_copy(self), *args, **kwargs)

    return wrapper


class BaseSequenceEstimator(PersistenceMixin, BaseEstimator, ABC):
    """Template of the neural sequence estimators. Not to be used directly.

    Subclasses declare their parameters and implement ``_encode_target``
    (validate ``y``, learn what decoding needs), ``_module_params`` (the
    network's arguments) and ``_training_task`` (what the engine trains).
    """

    # ------------------------------------------------------------------
    # Hooks for the subclasses
    # ------------------------------------------------------------------
    # Whether training without early stopping ends when the training loss
    # stops improving (see TrainingSettings).
    _stops_on_training_plateau = False

    @abstractmethod
    def _encode_target(self, y, n_samples, lengths, n_timesteps):
        """Validate ``y`` and return ``(y_array, n_outputs)`` for training.

        Sets the fitted attributes needed to decode predictions.
        """

    @abstractmethod
    def _module_params(self, n_outputs):
        """The arguments of the network for ``n_outputs`` outputs."""

    @abstractmethod
    def _training_task(self, X, lengths, y, n_outputs):
        """The :class:`~sklearn_rnn._training.TrainingTask` of this fit."""

    def _predict_layout_params(self):
        """Parameters that decide how ``predict`` reads X or shapes its output.

        Maps each name to what of its value matters: ``embedding_dim``
        whether X holds token ids (the size itself lives in the trained
        module).
        """
        return {"embedding_dim": _is_set}

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Training sequences. A 2-D array (or DataFrame) holds univariate
            sequences, one per row; a 3-D array multivariate ones; a list of
            arrays of shape ``(n_timesteps_i,)`` or ``(n_timesteps_i,
            n_features)`` holds sequences of different lengths, which are
            padded and packed, never truncated; a pandas Series (a DataFrame
            column) or 1-D object array of such arrays is read as that list.
            With ``embedding_dim`` set, ``X`` holds integer token ids.

        y : array-like
            Targets, see the class documentation for the accepted shapes.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the sequences: each weighs its terms of the loss
            (training and validation), of the target standardisation and,
            with ``scale``, of the input standardisation.
            A zero weight removes a sequence's influence; an integer weight
            acts like repeating the sequence, as far as training on shuffled
            mini-batches allows. Equal weights are the same as None.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if y is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, "
                "but the target y is None."
            )
        # Every fitted attribute is built on a working copy and published
        # in one assignment at the end: a fit that fails (bad input,
        # diverging loss, Ctrl-C) leaves the estimator exactly as it was, and
        # a predict in another thread sees the old model or the new one,
        # never a mix (see _whole_model).
        work = _working_copy(self)
        # The seed of this fit, drawn first: it fixes the validation split,
        # which target scaling must leave out (_training_rows).
        work._fit_seed = draw_seed(self.random_state)
        work._check_precision()
        X, lengths = work._validate_sequences(X, reset=True)
        check_consistent_length(X, y)
        # Only for the time of fitting: read by the hooks, never published.
        work._fit_sample_weight = _effective_weights(sample_weight, X)
        y, n_outputs = work._encode_target(y, X.shape[0], lengths, X.shape[1])
        work._fit_net(X, lengths, y, n_outputs)
        del work._fit_sample_weight
        self.__dict__ = work.__dict__
        return self

    def _fit_net(self, X, lengths, y, n_outputs):
        """Train on the validated arrays with the engine; record the result."""
        warm = self._continues_training(n_outputs)
        task = self._training_task(X, lengths, y, n_outputs)
        settings = TrainingSettings.from_params(
            self.get_params(deep=False), name=type(self).__name__
        )
        if self._stops_on_training_plateau:
            settings = dataclasses.replace(settings, stop_on_training_plateau=True)
        # A warm fit trains a copy: the published net keeps predicting.
        warm_net = copy.deepcopy(self.net_) if warm else None
        self.net_ = train(task, settings, self._fit_seed, warm_net)
        self._fitted_module_params_ = (task.module_params, self.optimizer)
        for name, value in training_history(self.net_, self.early_stopping).items():
            setattr(self, name, value)

    def _continues_training(self, n_outputs):
        """Whether a fit now goes on from the trained net (a warm start)."""
        return (
            self.warm_start
            and hasattr(self, "net_")
            and self._fitted_module_params_
            == (self._module_params(n_outputs), self.optimizer)
        )

    def _training_rows(self, n_samples, labels=None):
        """The samples this fit trains on: all but its validation split.

        Statistics learnt from the targets (their standardisation) come from
        these rows only, so nothing of the validation samples that early
        stopping scores reaches the model.
        """
        if not self.early_stopping:
            return slice(None)
        split = ValidationSplit(
            self.validation_fraction,
            self.validation_split,
            seed=self._fit_seed,
            labels=labels,
        )
        return split.indices(n_samples)[0]

    def _training_weights(self, rows, n_steps=1):
        """The sample weights of the training ``rows``, each ``n_steps`` times.

        None when the fit has no (or equal) sample weights.
        """
        weights = getattr(self, "_fit_sample_weight", None)
        if weights is None:
            return None
        return np.repeat(weights[rows], n_steps)

    def _learn_target_scaling(self, flat, weights=None):
        """Set ``_y_mean`` and ``_y_scale`` from the training targets ``flat``.

        ``flat`` holds one row per target value (NaN padding ignored),
        ``weights`` (from ``_training_weights``) their sample weights. A warm
        fit keeps the standardisation its network was trained in: new data
        at another level would otherwise move every prediction before any
        training. A fit that starts afresh (another architecture) learns it
        anew.
        """
        if self._continues_training(flat.shape[1]):
            return
        # Overflow (values near the float64 limit) is reported below.
        with np.errstate(over="ignore", invalid="ignore"):
            if weights is None:
                self._y_mean = np.nanmean(flat, axis=0)
                scale = np.nanstd(flat, axis=0)
            else:
                self._y_mean, scale = _weighted_moments(flat, weights)
        self._y_scale = np.where(scale > np.finfo(np.float64).eps, scale, 1.0)
        if not (np.isfinite(self._y_mean).all() and np.isfinite(self._y_scale).all()):
            raise ValueError(
                "y has values too large to standardise in float64 (their mean "
                "or standard deviation overflows); scale y first."
            )

    def _sample_weight_tensor(self):
        """The sample weights of this fit for the dataset, or None."""
        weights = getattr(self, "_fit_sample_weight", None)
        if weights is None:
            return None
        return torch.from_numpy(weights.astype(np.float32))

    def _autocast_dtype(self):
        """The lower precision of mixed-precision training, or None."""
        if self.precision == "float32" or not self._bfloat16_available():
            return None
        return torch.bfloat16

    def _bfloat16_available(self):
        """Whether the backbone can train in bfloat16 on this machine."""
        device = torch.device(resolve_device(self.device)).type
        return self.cell != "lstm" or lstm_supports_bfloat16(device)

    def _check_precision(self):
        """Warn at the start of fit when bfloat16 falls back to float32."""
        if self.precision == "bfloat16" and not self._bfloat16_available():
            warnings.warn(
                "precision='bfloat16' cannot train an LSTM on this machine's "
                f"{torch.device(resolve_device(self.device)).type} (oneDNN has "
                "no bfloat16 LSTM kernel on CPUs without AVX-512 or AMX); "
                "training in float32 instead.",
                UserWarning,
                stacklevel=4,
            )

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_

    # ------------------------------------------------------------------
    # Input validation: every input becomes (X, lengths)
    # ------------------------------------------------------------------
    def _validate_sequences(self, X, reset):
        """Validate ``X`` and return it padded, batch-first, with lengths.

        Returns ``(X, lengths)``: ``X`` is float32 or float64 ``(n, L, F)``
        (a view of the input where it allows, never a copy of every
        window), or int64 ``(n, L)`` token ids when ``embedding_dim`` is
        set; ``lengths`` is an int64 array of shape ``(n,)`` for
        variable-length input, else None.
        """
        X = sequence_column(X)
        tokens = self.embedding_dim is not None
        items = ragged_candidates(X)
        if items is not None:
            sequences = check_ragged_sequences(items, tokens, self)
            n_features = 1 if tokens else sequences[0].shape[1]
            self._check_layout("ragged", n_features, None, reset)
            if tokens:
                X, lengths = pad_sequences(sequences, np.float64)
                return self._check_tokens(X, reset, lengths), lengths
            # float64 stays float64 until each batch is gathered, as for
            # arrays: the input scaling is computed in the input's precision.
            single = all(seq.dtype == np.float32 for seq in sequences)
            return pad_sequences(sequences, np.float32 if single else np.float64)
        if array_ndim(X) == 3:
            if tokens:
                raise ValueError(
                    "With embedding_dim set, X must hold integer token ids of "
                    "shape (n_samples, n_timesteps) or a list of 1-D arrays; "
                    "got a 3-D array."
                )
            X = check_3d_sequences(X, self)
            self._check_layout(3, X.shape[2], X.shape[1], reset)
            return X, None
        X = self._validate_2d(X, reset, "numeric" if tokens else FLOAT_DTYPES)
        self._check_layout(2, 1, X.shape[1], reset)
        if tokens:
            return self._check_tokens(X, reset), None
        check_float32_range(X)
        return X[:, :, None], None

    def _validate_2d(self, X, reset, dtype):
        """A 2-D X: one univariate sequence per row (or token ids)."""
        if not (reset or self._fit_layout_ == 2):
            return check_array(X, dtype=dtype, input_name="X", estimator=self)
        try:
            return validate_data(self, X, reset=reset, dtype=dtype)
        except ValueError as exc:
            if reset or "features, but" not in str(exc):
                raise
            raise ValueError(
                f"{exc} This model was fitted on a 2-D X, one univariate "
                "sequence per row, so every row needs "
                f"{self.n_features_in_} time steps; fit on a 3-D X or a "
                "list of sequences to predict on other lengths."
            ) from None

    def _check_predict_layout(self):
        """Refuse to predict with a layout parameter set after fit.

        The network was built and trained for the fitted values: reading X
        or shaping the output by the current ones would return wrong values
        or fail inside torch.
        """
        fitted = getattr(self, "_predict_params_", None)
        if fitted is None:  # saved before the values were recorded
            return
        keys = self._predict_layout_params()
        changed = {
            name: getattr(self, name)
            for name, value in fitted.items()
            if keys[name](getattr(self, name)) != keys[name](value)
        }
        if changed:
            was = {name: fitted[name] for name in changed}
            raise ValueError(
                f"This {type(self).__name__} was fitted with {was}, but the "
                f"parameters now say {changed}: call fit again to use them, or "
                "set them back to predict with the fitted model."
            )

    def _check_layout(self, layout, n_features, n_timesteps, reset):
        """Record (fit) or check (predict) the features per time step."""
        if reset:
            # Plain Python values (persistence stores them as JSON).
            self._predict_params_ = {
                name: _plain(getattr(self, name))
                for name in self._predict_layout_params()
            }
            if layout != 2:
                # validate_data did not run: keep the fitted attributes
                # consistent with this input.
                self.n_features_in_ = n_features
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            else:
                warn_if_lags_newest_first(
                    getattr(self, "feature_names_in_", None), type(self).__name__
                )
            if hasattr(self, "vocab_size_"):
                # Set again by _check_tokens when this fit reads token ids.
                del self.vocab_size_
            self._fit_layout_ = layout
            self._n_step_features = n_features
            self.n_timesteps_in_ = n_timesteps
            return
        if n_features != self._n_step_features:
            raise ValueError(
                f"X has {n_features} features per time step, but "
                f"{type(self).__name__} is expecting {self._n_step_features} "
                "features per time step as input."
            )

    def _check_tokens(self, X, reset, lengths=None):
        """Check integer token ids and learn the vocabulary size in fit."""
        X, vocab = check_token_ids(
            X,
            lengths,
            vocab_size=self.vocab_size,
            fitted_vocab_size=None if reset else self.vocab_size_,
        )
        if reset:
            self.vocab_size_ = vocab
        return X

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _input_scaling(self):
        """``(mean, scale)`` tensors of the inputs' statistics of fit, or None.

        The datasets apply them one batch at a time (``SequenceDataset``),
        so that scaling a view of overlapping windows never copies it.
        """
        if getattr(self, "_x_mean", None) is None:
            return None
        return torch.from_numpy(self._x_mean), torch.from_numpy(self._x_scale)

    def _inference_batches(self, X):
        """Validate ``X`` and return ``(n_samples, lengths, batches)``.

        Every batch has exactly ``_INFERENCE_BATCH_SIZE`` rows (the last one
        zero-padded), so a sample's output does not depend on which samples
        are predicted with it (up to float rounding for sequences of
        different lengths, see ``BatchIterator``); the caller drops the
        padding rows.
        """
        check_is_fitted(self)
        self._check_predict_layout()
        X, lengths = self._validate_sequences(X, reset=False)
        return len(X), lengths, self._array_batches(X, lengths)

    def _array_batches(self, X, lengths):
        """Fixed-size inference batches of validated arrays."""
        dataset = SequenceDataset(
            to_tensor(X),
            None if lengths is None else torch.from_numpy(lengths),
            input_scaling=self._input_scaling(),
        )
        batches = BatchIterator(
            dataset,
            _INFERENCE_BATCH_SIZE,
            pad_last=True,
            pin_memory=str(self.net_.device).startswith("cuda"),
        )
        return batches

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        "_fit_seed": _spec.Int(0),
        "n_features_in_": _spec.Int(0),
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
        "_predict_params_": _spec.Value(),
        "_fit_layout_": _spec.Value(),
        "_n_step_features": _spec.Int(0),
        "n_timesteps_in_": _spec.Int(0, none=True),
        "vocab_size_": _spec.Int(1),
        "net_": _spec.Net(),
        "_fitted_module_params_": _spec.Value(),
        "loss_curve_": _spec.ListOf(_spec.Float(finite=False)),
        "n_iter_": _spec.Int(0),
        "validation_scores_": _spec.ListOf(_spec.Float(finite=False), none=True),
        "best_loss_": _spec.Float(finite=False),
    }


class BaseRNN(BaseSequenceEstimator):
    """Base class of the recurrent regressor and classifier.

    One network reads each sequence; its output is one target per sequence
    or, with ``return_sequences=True``, per time step. Subclasses say how
    the target is encoded and decoded and which loss trains it. Each
    declares its own ``__init__`` (scikit-learn reads the parameters from
    its signature), declared with ``_parameters.RNN_OWN`` and its own.
    """

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseSequenceEstimator._persisted_state,
        "_x_mean": _spec.Array(
            ("_n_step_features",), dtype="float64", finite=True, none=True
        ),
        "_x_scale": _spec.Array(
            ("_n_step_features",), dtype="float64", finite=True, none=True
        ),
    }

    _stops_on_training_plateau = True

    @abstractmethod
    def _criterion(self):
        """Return ``(criterion_class, criterion_kwargs)``."""

    def _validation_labels(self, y):
        """Class codes for a stratified validation split (classifiers)."""
        return None

    def _predict_layout_params(self):
        # Whether there is an output per step, and whether X holds tokens.
        return {"return_sequences": bool, **super()._predict_layout_params()}

    def _module_params(self, n_outputs):
        # Plain Python types: torch's C++ signatures refuse numpy integers
        # and bools where they expect an int (num_layers=True is 1, as
        # scikit-learn's parameter validation lets it through).
        params = dict(
            input_size=int(self._n_step_features),
            output_size=int(n_outputs),
            return_sequences=bool(self.return_sequences),
            cell=self.cell,
            hidden_size=int(self.hidden_size),
            num_layers=int(self.num_layers),
            bidirectional=bool(self.bidirectional),
            dropout=float(self.dropout),
            nonlinearity=self.nonlinearity,
            forget_bias=float(self.forget_bias),
            # Every step has its output with return_sequences=True.
            pooling="last" if self.return_sequences else self.pooling,
            autocast_dtype=self._autocast_dtype(),
        )
        if self.embedding_dim is not None:
            params.update(
                vocab_size=int(self.vocab_size_), embedding_dim=int(self.embedding_dim)
            )
        return params

    def _training_task(self, X, lengths, y, n_outputs):
        criterion, criterion_params = self._criterion()
        dataset = SequenceDataset(
            to_tensor(X),
            None if lengths is None else torch.from_numpy(lengths),
            to_tensor(y),
            y_per_step=self.return_sequences,
            sample_weight=self._sample_weight_tensor(),
            input_scaling=self._input_scaling(),
        )
        return TrainingTask(
            module=RecurrentNetwork,
            module_params=self._module_params(n_outputs),
            criterion=criterion,
            criterion_params=criterion_params,
            dataset=dataset,
            validation_labels=self._validation_labels(y),
        )

    def _fit_net(self, X, lengths, y, n_outputs):
        self._learn_input_scaling(X, lengths, y, n_outputs)
        super()._fit_net(X, lengths, y, n_outputs)
        if not self.return_sequences:
            # An evenly spaced sample tells a model no better than a trivial
            # one as surely as all the data, for a bounded cost.
            rows = np.unique(np.linspace(0, len(X) - 1, _DEGENERACY_SAMPLE, dtype=int))
            sample = None if lengths is None else lengths[rows]
            batches = self._array_batches(X[rows], sample)
            self._warn_if_degenerate(
                self._run_module(len(rows), sample, batches), y[rows]
            )

    def _learn_input_scaling(self, X, lengths, y, n_outputs):
        """Set ``_x_mean`` and ``_x_scale``: per-feature input statistics.

        None without ``scale`` (or for token ids). Learnt on the real steps
        of the training rows (the validation split left out), each weighing
        what its sample weighs (a weight of 0 counts as absent, as in the
        loss); a warm fit keeps those its network was trained with.
        """
        if (
            self._continues_training(n_outputs)
            and (getattr(self, "_x_mean", None) is not None) == self.scale
        ):
            return
        self._x_mean = self._x_scale = None
        if not self.scale or self.embedding_dim is not None:
            return
        rows = self._training_rows(len(X), self._validation_labels(y))
        weights = self._training_weights(rows)
        if weights is not None and not np.any(weights > 0):
            _refuse_zero_weights()
        _, self._x_mean, _, self._x_scale = sequence_statistics(
            X, lengths, rows, weights
        )

    def _warn_if_degenerate(self, outputs, y):
        """Warn when the model is no better than a trivial one on its data.

        ``outputs`` are the network's outputs on the training sequences and
        ``y`` the encoded training targets.
        """

    def _forward(self, X):
        """Run the trained module; return float64 outputs and the lengths."""
        n_samples, lengths, batches = self._inference_batches(X)
        return self._run_module(n_samples, lengths, batches), lengths

    def _run_module(self, n_samples, lengths, batches):
        """The float64 outputs of the trained module on ``batches``."""
        # skorch's evaluation_step puts the module in eval mode, disables
        # gradients and moves the batch to the net's device.
        outs = [self.net_.evaluation_step(batch).cpu().numpy() for batch in batches]
        if lengths is not None and outs[0].ndim > 2:
            # Per-step outputs of ragged input: each block was cut to its own
            # longest sequence; pad them to the widest (callers cut each
            # sequence to its length).
            width = max(o.shape[1] for o in outs)
            outs = [
                np.pad(o, [(0, 0), (0, width - o.shape[1])] + [(0, 0)] * (o.ndim - 2))
                for o in outs
            ]
        out = np.concatenate(outs)[:n_samples]
        check_finite_output(out)
        return out.astype(np.float64)

    def _per_step_targets(self, y, lengths, n_timesteps):
        return per_step_targets(y, lengths, n_timesteps)

    def _score_per_step(self, X, y, metric, sample_weight):
        """Score every (sequence, time step) pair as one sample."""
        if sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported with return_sequences=True."
            )
        y_pred = list(self.predict(X))
        lengths = np.array([len(p) for p in y_pred])
        # As fit reads y: a DataFrame or an array of rows, or a list of
        # ragged ones.
        equal = (lengths == lengths[0]).all()
        y_true = per_step_targets(y, None if equal else lengths, lengths[0])
        return metric(np.concatenate(y_true), np.concatenate(y_pred))
