# SPDX-License-Identifier: BSD-3-Clause
"""The shared core of every neural estimator.

:class:`BaseRNN` owns the parameters of the recurrent backbone and of
training, the input validation (one internal layout, see ``_data.py``), and
the construction of the skorch net that trains the module. Subclasses only
say how their target is encoded and decoded.
"""

import copy
import math
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping

from sklearn_rnn._data import (
    BatchIterator,
    SequenceDataset,
    ValidationSplit,
    pad_sequences,
    to_tensor,
)
from sklearn_rnn._modules import RecurrentNetwork
from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions, _fit_context
from sklearn_rnn.utils._torch import (
    SharedTorchThreads,
    draw_seed,
    global_rng_lock,
    local_torch_seed,
    reseed_torch,
    resolve_device,
)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Rows per forward pass when predicting or validating. Every prediction pass
# uses exactly this many rows (see BatchIterator's pad_last), which bounds the
# memory held by activations and makes predictions independent of batching
# (bitwise for sequences of one length, up to float rounding for packed ones:
# see BatchIterator).
# 512 measured fastest on CPU for small and mid-sized models (benchmarks/).
_INFERENCE_BATCH_SIZE = 512

_FLOAT_DTYPES = (np.float64, np.float32)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_float32_range(X, name="X"):
    """Refuse finite float64 values that would become inf in float32."""
    # max and min reduce a window view in place; np.abs(X) would allocate a
    # copy of every window.
    if X.dtype != np.float64 or not X.size:
        return
    largest = max(X.max(), -X.min())
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"{name} has values of magnitude up to {largest:.3g}, beyond "
            f"the float32 range the network computes in (about {_FLOAT32_MAX:.3g}"
            f"); scale {name} first (e.g. with StandardScaler)."
        )


class TrainingDiverged(Exception):
    """Raised inside the training loop when the loss stops being finite."""

    def __init__(self, epoch, loss, training):
        super().__init__(epoch, loss, training)
        self.epoch, self.loss, self.training = epoch, loss, training


class DivergenceGuard(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    An exploding recurrent network otherwise trains on to the last epoch and
    returns weights that predict NaN.
    """

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(len(net.history), value, training)


class EpochProgressBar(Callback):
    """One tqdm bar over the epochs, with the latest losses (``verbose=1``).

    skorch's own ``ProgressBar`` counts batches and is erased after each
    epoch; this one counts epochs and stays, showing ``train_loss`` and, with
    early stopping, ``valid_loss``. It writes to stderr, like tqdm.
    """

    def __init__(self, desc=None):
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.close()
        done = len(net.history)
        self.bar_ = tqdm(
            total=done + net.max_epochs,
            initial=done,
            desc=self.desc,
            unit="epoch",
            dynamic_ncols=True,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {"epoch": row["epoch"]}
        for key in ("train_loss", "valid_loss"):
            if key in row:
                postfix[key] = f"{row[key]:.4g}"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.close()

    def close(self):
        """Close the bar; also called when training ends with an error."""
        bar = self.__dict__.pop("bar_", None)
        if bar is not None:
            bar.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)  # a live bar holds a stream: never pickled
        return state


class ThreadRebalance(Callback):
    """Re-split the torch threads among concurrent fits at each epoch."""

    def __init__(self):
        self.share_ = None  # the SharedTorchThreads of the running fit

    def on_epoch_begin(self, net, **kwargs):
        if self.share_ is not None:
            self.share_.rebalance()

    def __getstate__(self):
        state = self.__dict__.copy()
        state["share_"] = None
        return state


def _sequence_column(X):
    """A 1-D container of sequences as the list of its sequences, else X.

    A pandas Series (a DataFrame column such as ``df["seq"]``) or a 1-D
    object array whose elements are all arrays, lists or tuples holds one
    sequence per element, of equal lengths or not; NumPy cannot convert it
    to a numeric array. As a list, it goes through the same validation as a
    list of sequences. Anything else is returned as it is.
    """
    if isinstance(X, np.ndarray):
        if X.dtype != object or X.ndim != 1:
            return X
    elif not (hasattr(X, "iloc") and getattr(X, "ndim", None) == 1):
        return X
    elif X.dtype != object:
        return X
    items = list(X)
    if items and all(isinstance(s, (np.ndarray, list, tuple)) for s in items):
        return items
    return X


def _ragged_candidates(X):
    """Return X as a list of sequences if it holds sequences of unequal shape.

    A list whose elements all share one shape is an ordinary array and goes
    through the regular validation; None is returned for it.
    """
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        items = list(X)
    elif isinstance(X, (list, tuple)):
        items = list(X)
    else:
        return None
    if not items or any(isinstance(s, (str, bytes)) for s in items):
        return None
    try:
        shapes = {np.shape(s) for s in items}
    except ValueError:  # an element is itself ragged: validate it one by one
        return items
    if len(shapes) <= 1 or () in shapes:
        return None
    return items


def _check_finite_output(out):
    """Never hand back NaN or inf as if it were a prediction (one row a sample)."""
    bad = np.flatnonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))
    if len(bad):
        raise ValueError(
            f"The network's output is not finite for {len(bad)} sequence(s) "
            f"(X[i] for i in {bad[:5].tolist()}{', ...' if len(bad) > 5 else ''})"
            ": their values overflow the network; scale X like the training data."
        )


def _is_set(value):
    return value is not None


def _plain(value):
    """A bool, int or None parameter as a plain Python value."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return int(value)


def _same(a, b):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and bool(torch.equal(a.cpu(), b.cpu()))
        )
    return a == b


def _changed_params(net, prefix, kwargs):
    """The ``prefix__name`` parameters of ``net`` that ``kwargs`` change."""
    current = net.get_params(deep=False)
    changed = {}
    for name, value in kwargs.items():
        key = f"{prefix}__{name}"
        if key not in current or not _same(current[key], value):
            changed[key] = value
    return changed


class _TrainingSnapshot:
    """The state of a trained net that a warm fit changes, to restore it.

    The weights, the optimizer's state (Adam's moments, say), the criterion's
    arguments and the number of epochs in the history: a warm fit that fails
    (divergence, Ctrl-C) puts them back, so the net is the one that was
    there before. The weights and moments are copied tensor by tensor, not
    by pickling the whole net.
    """

    def __init__(self, net):
        self.net = net
        self.module = copy.deepcopy(net.module_.state_dict())
        self.optimizer = copy.deepcopy(net.optimizer_.state_dict())
        self.criterion = {
            key: value
            for key, value in net.get_params(deep=False).items()
            if key.startswith("criterion__")
        }
        self.n_epochs = len(net.history)

    def restore(self):
        net = self.net
        criterion = {k[len("criterion__") :]: v for k, v in self.criterion.items()}
        changed = _changed_params(net, "criterion", criterion)
        if changed:
            net.set_params(**changed)
        net.module_.load_state_dict(self.module)
        net.optimizer_.load_state_dict(self.optimizer)
        del net.history[self.n_epochs :]


class BaseRNN(PersistenceMixin, BaseEstimator, ABC):
    """Base class for the recurrent estimators. Not to be used directly."""

    _parameter_constraints: dict = {
        "cell": [StrOptions({"lstm", "gru", "rnn"})],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "nonlinearity": [StrOptions({"tanh", "relu"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "forget_bias": [Interval(Real, None, None, closed="neither")],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left")],
        "vocab_size": [None, Interval(Integral, 1, None, closed="left")],
        "return_sequences": ["boolean"],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_split": [StrOptions({"last", "shuffle"})],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "compile": ["boolean"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        cell="lstm",
        hidden_size=32,
        *,
        num_layers=1,
        bidirectional=False,
        nonlinearity="tanh",
        dropout=0.0,
        forget_bias=1.0,
        embedding_dim=None,
        vocab_size=None,
        return_sequences=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=100,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        precision="float32",
        compile=False,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.nonlinearity = nonlinearity
        self.dropout = dropout
        self.forget_bias = forget_bias
        self.embedding_dim = embedding_dim
        self.vocab_size = vocab_size
        self.return_sequences = return_sequences
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.precision = precision
        self.compile = compile
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------
    # Hooks for the subclasses
    # ------------------------------------------------------------------
    @abstractmethod
    def _encode_target(self, y, n_samples, lengths, n_timesteps):
        """Validate ``y`` and return ``(y_array, n_outputs)`` for training.

        Sets the fitted attributes needed to decode predictions.
        """

    @abstractmethod
    def _criterion(self):
        """Return ``(criterion_class, criterion_kwargs)``."""

    def _validation_labels(self, y):
        """Class codes for a stratified validation split (classifiers)."""
        return None

    # The module, the batching of the training data and the dataset: the
    # encoder-decoder and the neural language models replace them.
    def _module_class(self):
        """The ``torch.nn.Module`` class that ``_module_params`` configures."""
        return RecurrentNetwork

    def _iterator_class(self):
        """The batch iterator skorch uses in training and validation."""
        return BatchIterator

    def _make_dataset(self, X, lengths, y):
        """Wrap the validated training arrays for skorch."""
        return SequenceDataset(
            to_tensor(X),
            None if lengths is None else torch.from_numpy(lengths),
            to_tensor(y),
            y_per_step=self.return_sequences,
        )

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the recurrent network to sequences ``X`` and targets ``y``.

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
        # A fit that fails (bad input, diverging loss, ...) leaves the
        # estimator exactly as it was: fitted attributes are replaced, never
        # mutated, so restoring the attribute dictionary is enough.
        state = self.__dict__.copy()
        try:
            # The seed of this fit, drawn first: it fixes the validation
            # split, which target scaling must leave out (_training_rows).
            self._fit_seed = draw_seed(self.random_state)
            X, lengths = self._validate_sequences(X, reset=True)
            check_consistent_length(X, y)
            y, n_outputs = self._encode_target(y, X.shape[0], lengths, X.shape[1])
            self._fit_net(X, lengths, y, n_outputs, self._fit_seed)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise
        return self

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

    def _learn_target_scaling(self, flat):
        """Set ``_y_mean`` and ``_y_scale`` from the training targets ``flat``.

        ``flat`` holds one row per target value (NaN padding ignored). A warm
        fit keeps the standardisation its network was trained in: new data
        at another level would otherwise move every prediction before any
        training. A fit that starts afresh (another architecture) learns it
        anew.
        """
        if self._continues_training(flat.shape[1]):
            return
        self._y_mean = np.nanmean(flat, axis=0)
        scale = np.nanstd(flat, axis=0)
        self._y_scale = np.where(scale > np.finfo(np.float64).eps, scale, 1.0)

    def _fit_net(self, X, lengths, y, n_outputs, seed=None):
        warm = self._continues_training(n_outputs)
        # A warm fit trains the fitted net in place. What training changes is
        # saved first and put back if anything fails before fit returns
        # (divergence, Ctrl-C, a warning turned into an error): fit restores
        # the estimator's own attributes, not the inside of the net.
        snapshot = _TrainingSnapshot(self.net_) if warm else None
        try:
            self._train_net(X, lengths, y, n_outputs, warm, seed)
        except BaseException:
            if snapshot is not None:
                snapshot.restore()
            raise

    def _train_net(self, X, lengths, y, n_outputs, warm, seed):
        device = resolve_device(self.device)
        if seed is None:
            seed = draw_seed(self.random_state)
        dataset = self._make_dataset(X, lengths, y)
        module_params = self._module_params(n_outputs)
        epochs_before = self.n_iter_ if warm else 0
        # Training that draws from torch's generator holds its lock
        # throughout: a fit in another thread would otherwise move the
        # stream its dropout masks come from (see local_torch_seed).
        exclusive = self._training_draws_random()
        with (
            local_torch_seed(seed, device, exclusive=exclusive),
            SharedTorchThreads() as threads,
        ):
            if warm:
                # Continue from the current weights and optimizer state with
                # the current training settings.
                net = self.net_
                # The criterion's arguments (class weights) first: skorch
                # re-creates the criterion and the optimizer (losing its
                # moments, and taking the weight decay it was built with) for
                # any criterion argument, so only when they changed.
                _, criterion_kwargs = self._criterion()
                changed = _changed_params(net, "criterion", criterion_kwargs)
                if changed:
                    net.set_params(**changed)
                # Then the training settings: skorch sets a new lr and weight
                # decay on the optimizer's parameter groups. Callbacks
                # (gradient clipping, early stopping, progress, a subclass's
                # own) and the validation split follow the parameters too.
                callbacks, train_split = self._training_settings(seed, y)
                net.set_params(
                    lr=self.lr,
                    max_epochs=self.max_epochs,
                    batch_size=self.batch_size,
                    optimizer__weight_decay=self.weight_decay,
                    callbacks=callbacks,
                    train_split=train_split,
                    verbose=int(self.verbose >= 2),
                )
                net.initialize_callbacks()
            else:
                net = self._make_net(module_params, device, seed, y)
                with global_rng_lock:
                    # Again: another thread may have drawn since the block began.
                    reseed_torch(seed, device)
                    net.initialize()
            callbacks = dict(net.callbacks_)
            if "threads" in callbacks:
                callbacks["threads"].share_ = threads
            try:
                # NeuralNet.fit is initialize() + partial_fit(); the net is
                # initialised above so that its callbacks see this fit.
                net.partial_fit(dataset, None)
                if sum("train_loss" in row for row in net.history) == epochs_before:
                    # Ctrl-C before the first epoch ended: no trained model
                    # to keep, so stop as Ctrl-C does.
                    raise KeyboardInterrupt
            except TrainingDiverged as exc:
                # Never leave a model behind that would predict NaN: fit
                # restores the estimator, a warm start its previous net.
                raise ValueError(
                    f"Training diverged in epoch {exc.epoch}: the "
                    f"{'training' if exc.training else 'validation'} loss became "
                    f"{exc.loss}. Try a smaller learning rate (lr={self.lr:g}), "
                    "gradient clipping (clip_grad_norm=1.0) or scaling X."
                ) from None
            finally:
                if "threads" in callbacks:
                    callbacks["threads"].share_ = None
                if "progress" in callbacks:
                    callbacks["progress"].close()
        self.net_ = net
        self._fitted_module_params_ = (module_params, self.optimizer)
        self._record_history()
        self._warn_if_interrupted(self.n_iter_ - epochs_before)

    def _warn_if_interrupted(self, n_epochs):
        """skorch ends training on KeyboardInterrupt as on early stopping."""
        if n_epochs >= self.max_epochs:
            return
        early = dict(self.net_.callbacks_).get("early_stopping")
        if early is not None and early.misses_ >= early.patience:
            return
        kept = "the best epoch's" if early is not None else "the latest"
        warnings.warn(
            f"Training was interrupted after {n_epochs} of {self.max_epochs} "
            f"epochs; the model keeps {kept} weights and can be used.",
            UserWarning,
            stacklevel=4,
        )

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
            autocast_dtype=self._autocast_dtype(),
        )
        if self.embedding_dim is not None:
            params.update(
                vocab_size=int(self.vocab_size_), embedding_dim=int(self.embedding_dim)
            )
        return params

    def _extra_callbacks(self):
        """Callbacks of a subclass's own, as skorch ``(name, callback)`` pairs."""
        return []

    def _training_draws_random(self):
        """Whether training, after the initial weights, draws from torch's RNG.

        Dropout does (its masks). Such a fit holds the generator's lock for
        its whole training so that fits in threads keep their seed's draws.
        """
        return self.dropout > 0

    def _autocast_dtype(self):
        """The lower precision of mixed-precision training, or None."""
        return None if self.precision == "float32" else torch.bfloat16

    def _training_settings(self, seed, y):
        """The callbacks and validation split of the current parameters."""
        callbacks = [
            ("divergence", DivergenceGuard()),
            ("threads", ThreadRebalance()),
        ]
        callbacks += self._extra_callbacks()
        if self.verbose == 1:
            callbacks.append(("progress", EpochProgressBar(type(self).__name__)))
        if self.clip_grad_norm is not None:
            callbacks.append(
                ("clip_grad_norm", GradientNormClipping(self.clip_grad_norm))
            )
        train_split = None
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="abs",
                        load_best=True,
                    ),
                )
            )
            train_split = ValidationSplit(
                self.validation_fraction,
                self.validation_split,
                seed=seed,
                labels=self._validation_labels(y),
            )
        return callbacks, train_split

    def _make_net(self, module_params, device, seed, y):
        callbacks, train_split = self._training_settings(seed, y)
        criterion, criterion_kwargs = self._criterion()
        pin = str(device).startswith("cuda")
        return NeuralNet(
            module=self._module_class(),
            criterion=criterion,
            optimizer=_OPTIMIZERS[self.optimizer],
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=self._iterator_class(),
            iterator_valid=self._iterator_class(),
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            compile=self.compile,
            # verbose=1 is the progress bar; 2 and more skorch's table of
            # losses, one line per epoch.
            verbose=int(self.verbose >= 2),
            iterator_train__shuffle=True,
            iterator_train__seed=seed,
            iterator_train__pin_memory=pin,
            iterator_valid__batch_size=_INFERENCE_BATCH_SIZE,
            iterator_valid__pin_memory=pin,
            optimizer__weight_decay=self.weight_decay,
            **{f"module__{k}": v for k, v in module_params.items()},
            **{f"criterion__{k}": v for k, v in criterion_kwargs.items()},
        )

    def _record_history(self):
        # An interrupted epoch has a row in the history but no loss yet.
        epochs = [row for row in self.net_.history if "train_loss" in row]
        self.loss_curve_ = [float(row["train_loss"]) for row in epochs]
        self.n_iter_ = len(self.loss_curve_)
        if self.early_stopping:
            # One score per epoch: NaN for the epochs of an earlier warm fit
            # that had no validation split.
            self.validation_scores_ = [
                float(row.get("valid_loss", np.nan)) for row in epochs
            ]
            self.best_loss_ = float(np.nanmin(self.validation_scores_))
        else:
            self.validation_scores_ = None
            self.best_loss_ = min(self.loss_curve_)

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
        window), or int64
        ``(n, L)`` token ids when ``embedding_dim`` is set; ``lengths`` is an
        int64 array of shape ``(n,)`` for variable-length input, else None.
        """
        X = _sequence_column(X)
        items = _ragged_candidates(X)
        if items is not None:
            return self._validate_ragged(items, reset)
        tokens = self.embedding_dim is not None
        ndim = 2 if sp.issparse(X) else getattr(X, "ndim", None)
        if ndim is None:
            try:
                ndim = np.asarray(X).ndim
            except (ValueError, TypeError):
                ndim = None  # let check_array name the problem
        if ndim == 3 and not tokens:
            X = check_array(
                X, allow_nd=True, dtype=_FLOAT_DTYPES, input_name="X", estimator=self
            )
            if X.shape[1] == 0 or X.shape[2] == 0:
                raise ValueError(
                    f"Found array with shape {X.shape}: sequences need at least "
                    "one time step and one feature."
                )
            self._check_layout(3, X.shape[2], X.shape[1], reset)
            _check_float32_range(X)
            # Kept in its dtype and layout (a window view stays a view): the
            # dataset converts each batch to float32 when it is drawn.
            return X, None
        if ndim == 3 and tokens:
            raise ValueError(
                "With embedding_dim set, X must hold integer token ids of shape "
                "(n_samples, n_timesteps) or a list of 1-D arrays; got a 3-D array."
            )
        dtype = "numeric" if tokens else _FLOAT_DTYPES
        if reset or self._fit_layout_ == 2:
            try:
                X = validate_data(self, X, reset=reset, dtype=dtype)
            except ValueError as exc:
                if reset or "features, but" not in str(exc):
                    raise
                raise ValueError(
                    f"{exc} This model was fitted on a 2-D X, one univariate "
                    "sequence per row, so every row needs "
                    f"{self.n_features_in_} time steps; fit on a 3-D X or a "
                    "list of sequences to predict on other lengths."
                ) from None
        else:
            X = check_array(X, dtype=dtype, input_name="X", estimator=self)
        self._check_layout(2, 1, X.shape[1], reset)
        if tokens:
            return self._check_tokens(X, reset), None
        _check_float32_range(X)
        return X[:, :, None], None

    def _validate_ragged(self, items, reset):
        tokens = self.embedding_dim is not None
        sequences = []
        for i, seq in enumerate(items):
            seq = check_array(
                seq,
                ensure_2d=False,
                dtype="numeric" if tokens else _FLOAT_DTYPES,
                input_name=f"X[{i}]",
                estimator=self,
                ensure_min_samples=0,
            )
            if len(seq) == 0:
                raise ValueError(
                    f"X[{i}] is an empty sequence; every sequence needs at least "
                    "one time step."
                )
            if tokens and seq.ndim != 1:
                raise ValueError(
                    f"X[{i}] has shape {seq.shape}; with embedding_dim set each "
                    "sequence must be a 1-D array of token ids."
                )
            if not tokens:
                if seq.ndim == 1:
                    seq = seq[:, None]
                if seq.ndim != 2:
                    raise ValueError(
                        f"X[{i}] has shape {seq.shape}; each sequence must be "
                        "1-D (n_timesteps,) or 2-D (n_timesteps, n_features)."
                    )
                if sequences and seq.shape[1] != sequences[0].shape[1]:
                    raise ValueError(
                        f"X[{i}] has {seq.shape[1]} features per time step but "
                        f"X[0] has {sequences[0].shape[1]}; all sequences must "
                        "have the same number of features."
                    )
            if not tokens:
                _check_float32_range(seq, f"X[{i}]")
            sequences.append(seq)
        n_features = 1 if tokens else sequences[0].shape[1]
        self._check_layout("ragged", n_features, None, reset)
        if tokens:
            X, lengths = pad_sequences(sequences, np.float64)
            return self._check_tokens(X, reset, lengths), lengths
        return pad_sequences(sequences, np.float32)

    def _predict_layout_params(self):
        """Parameters that decide how ``predict`` reads X or shapes its output.

        Maps each name to what of its value matters: ``return_sequences``
        whether there is an output per step, ``embedding_dim`` whether X
        holds token ids (the size itself lives in the trained module).
        """
        return {"return_sequences": bool, "embedding_dim": _is_set}

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
        if lengths is None:
            values = X
        else:
            values = np.concatenate([row[:n] for row, n in zip(X, lengths)])
        if not np.all(np.mod(values, 1) == 0):
            raise ValueError(
                "With embedding_dim set, X must hold integer token ids; got "
                "non-integer values."
            )
        low, high = values.min(), values.max()
        if low < 0:
            raise ValueError(f"Token ids must be non-negative; got {low:g}.")
        if reset:
            vocab = int(high) + 1 if self.vocab_size is None else int(self.vocab_size)
            if high >= vocab:
                raise ValueError(
                    f"X contains token id {high:g} but vocab_size={vocab}; ids "
                    "must lie in [0, vocab_size)."
                )
            self.vocab_size_ = vocab
        elif high >= self.vocab_size_:
            raise ValueError(
                f"X contains token id {high:g}, outside the vocabulary of "
                f"{self.vocab_size_} ids seen in fit; set vocab_size to the "
                "size of the full vocabulary when fitting."
            )
        return X.astype(np.int64)

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
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
        dataset = SequenceDataset(
            to_tensor(X), None if lengths is None else torch.from_numpy(lengths)
        )
        batches = BatchIterator(
            dataset,
            _INFERENCE_BATCH_SIZE,
            pad_last=True,
            pin_memory=str(self.net_.device).startswith("cuda"),
        )
        return len(X), lengths, batches

    def _forward(self, X):
        """Run the trained module; return float64 outputs and the lengths."""
        check_is_fitted(self)
        n_samples, lengths, batches = self._inference_batches(X)
        # skorch's evaluation_step puts the module in eval mode, disables
        # gradients and moves the batch to the net's device.
        with SharedTorchThreads():
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
        _check_finite_output(out)
        return out.astype(np.float64), lengths

    def _per_step_targets(self, y, lengths, n_timesteps):
        """Split per-step targets into one array per sequence.

        ``y`` must have one target per time step of each sequence: shape
        ``(n_samples, n_timesteps, ...)`` for equal-length input, or a list
        of arrays of the sequences' lengths for ragged input.
        """
        if lengths is None:
            y = np.asarray(_sequence_column(y))
            if y.ndim < 2 or y.shape[1] != n_timesteps:
                raise ValueError(
                    "With return_sequences=True, y needs one target per time "
                    f"step: expected shape (n_samples, {n_timesteps}, ...), got "
                    f"{y.shape}."
                )
            return list(y)
        steps = [np.asarray(t) for t in y]
        for i, (t, n) in enumerate(zip(steps, lengths)):
            if t.ndim == 0 or len(t) != n:
                raise ValueError(
                    f"With return_sequences=True, y[{i}] needs one target per "
                    f"time step of X[{i}] ({n}); got shape {t.shape}."
                )
        return steps

    def _score_per_step(self, X, y, metric, sample_weight):
        """Score every (sequence, time step) pair as one sample."""
        if sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported with return_sequences=True."
            )
        y_pred = self.predict(X)
        y_true = np.concatenate([np.asarray(t) for t in y])
        return metric(y_true, np.concatenate(list(y_pred)))

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
