# SPDX-License-Identifier: BSD-3-Clause
"""The training engine: what to train, the skorch net, and its callbacks.

Every neural model of the package is trained by :func:`train`. It takes
plain objects, a :class:`TrainingTask` (the module class and its arguments,
the criterion, the dataset, the batch iterator, extra callbacks) and
:class:`TrainingSettings` (optimizer, learning rate, epochs, early stopping,
device, ...), and never calls back into an estimator. skorch runs the loop,
the callbacks and the device handling; this module adds the divergence
guard, the epoch progress bar, gradient clipping and early stopping, warm
starts that put the net back as it was when they fail, and the seeded block
each training runs in (:func:`~sklearn_rnn.utils._torch.seeded_torch`).
"""

import copy
import dataclasses
import math
import time
import warnings
from typing import Any

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)
from skorch.helper import predefined_split
from torch.optim.lr_scheduler import ReduceLROnPlateau

from sklearn_rnn._data import BatchIterator, ValidationSplit
from sklearn_rnn.utils._torch import resolve_device, seeded_torch

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


# An epoch whose mean training loss exceeds this many times the loss of the
# first batch (the untrained model's) has diverged even when every loss is
# still finite: Adam at lr=1e6 takes a standardised regression loss from ~1 to
# ~1e12 in one epoch, while healthy fits end far below where they start.
_EXPLOSION_FACTOR = 1e4
# The reference loss is at least this, so a first batch that is already fit
# almost exactly does not make every later ripple look like an explosion.
_MIN_REFERENCE_LOSS = 1e-2


class TrainingDiverged(Exception):
    """Raised inside the training loop when the loss stops being finite.

    Also raised when the loss explodes relative to its start (``start`` is
    then the first batch's loss) or the weights stop being finite.
    """

    def __init__(self, epoch, loss, training, start=None):
        super().__init__(epoch, loss, training, start)
        self.epoch, self.loss, self.training = epoch, loss, training
        self.start = start


class DivergenceGuard(Callback):
    """Stop training when the loss diverges.

    At the first batch whose loss is NaN or infinite, and at the end of an
    epoch whose mean training loss is more than ``_EXPLOSION_FACTOR`` times
    the loss of this training's first batch, or whose weights are no
    longer finite. An exploding recurrent network otherwise trains on to
    the last epoch and returns weights that predict NaN or nonsense.
    """

    def on_train_begin(self, net, **kwargs):
        self.start_ = None

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(len(net.history), value, training)
        if training and getattr(self, "start_", None) is None:
            self.start_ = value

    def on_epoch_end(self, net, **kwargs):
        value = net.history[-1].get("train_loss")
        start = getattr(self, "start_", None)
        if value is None or start is None:
            return
        if value > _EXPLOSION_FACTOR * max(start, _MIN_REFERENCE_LOSS):
            raise TrainingDiverged(len(net.history), value, True, start)
        weights = net.module_.parameters()
        if not all(bool(torch.isfinite(w).all()) for w in weights):
            raise TrainingDiverged(len(net.history), math.nan, True, start)


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


class WarmupEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` that waits ``min_steps`` optimiser steps,
    and keeps the lowest loss.

    Small recurrent networks often sit in a plateau for the first hundreds
    of steps, where the validation loss barely moves: patience counted from
    the first epoch stops them there, and restores an untrained model. The
    epochs that end before ``min_steps`` steps of this fit neither count as
    misses nor are kept as the best.

    An epoch counts as a miss unless it improves on the loss of the last
    epoch that was not one by at least ``threshold`` (``tol``), as in
    skorch; but the epoch kept as the best (``best_epoch_``, and its
    weights with ``load_best``) is the one of the lowest loss, as in
    scikit-learn's MLP: skorch keeps the last epoch that improved by the
    threshold, and throws away lower losses reached by smaller steps.
    """

    def __init__(self, *args, min_steps=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_steps = min_steps

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.first_epoch_ = len(net.history)
        self.lowest_ = np.inf

    def on_epoch_end(self, net, **kwargs):
        steps = sum(
            "train_loss" in batch
            for row in net.history[self.first_epoch_ :]
            for batch in row["batches"]
        )
        if steps < self.min_steps:
            return
        score = net.history[-1, self.monitor]
        if score < self.lowest_:
            self.lowest_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            if self.load_best:
                self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())
        if self._is_score_improved(score):
            self.misses_ = 0
            self.dynamic_threshold_ = self._calc_new_threshold(score)
        else:
            self.misses_ += 1
        if self.misses_ == self.patience:
            if net.verbose:
                # skorch prints an epoch's row after every other callback,
                # so the row of the last epoch would be missing.
                log = dict(net.callbacks_).get("print_log")
                if log is not None:
                    log.on_epoch_end(net)
                self._sink(
                    f"Stopping since {self.monitor} has not improved by "
                    f"{self.threshold:g} in the last {self.patience} epochs.",
                    verbose=net.verbose,
                )
            raise KeyboardInterrupt


# Fewer validation samples than this make early stopping warn.
_MIN_VALIDATION_SAMPLES = 20


def _warn_if_small_validation(n_valid, n_samples):
    if n_valid < _MIN_VALIDATION_SAMPLES:
        warnings.warn(
            f"Early stopping holds out {n_valid} of {n_samples} samples for "
            "validation, too few for their loss to say much: it may stop at "
            "a poor model. Raise validation_fraction, use more data, or set "
            "early_stopping=False.",
            UserWarning,
            stacklevel=2,
        )


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """How to train: the training parameters the estimators share.

    The defaults are those of the estimators (see ``_parameters.py``),
    except ``min_steps``: 0 for the estimators that do not have it;
    ``stop_on_training_plateau`` stops training without early stopping
    when the training loss has not improved by ``tol`` for
    ``n_iter_no_change`` epochs (after ``min_steps`` steps), as
    scikit-learn's MLP does; ``name`` labels the progress bar.
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32
    max_epochs: int = 100
    clip_grad_norm: Any = None
    early_stopping: bool = False
    validation_fraction: float = 0.1
    validation_split: str = "last"
    n_iter_no_change: int = 10
    min_steps: int = 0
    stop_on_training_plateau: bool = False
    tol: float = 1e-4
    lr_schedule: Any = None
    max_time: Any = None
    device: str = "cpu"
    compile: bool = False
    verbose: int = 0
    name: str = ""

    @classmethod
    def from_params(cls, params, name=""):
        """The settings among ``params`` (an estimator's ``get_params()``)."""
        fields = {f.name for f in dataclasses.fields(cls)} - {"name"}
        return cls(name=name, **{k: v for k, v in params.items() if k in fields})


@dataclasses.dataclass
class TrainingTask:
    """What to train: the module, the criterion and the data.

    Parameters
    ----------
    module : type
        A ``torch.nn.Module`` class, built with ``module_params``.
    module_params : dict
        Its constructor arguments.
    criterion : type
        A loss class, built with ``criterion_params``.
    criterion_params : dict
        Its constructor arguments.
    dataset : torch.utils.data.Dataset
        The training data; its ``subset`` method serves the validation split.
    iterator : type, default=BatchIterator
        The batch iterator skorch uses in training and validation.
    callbacks : list of (str, skorch.callbacks.Callback), default=()
        Callbacks of the model's own (a teacher-forcing schedule, say).
    validation_labels : ndarray or None, default=None
        Class codes for a stratified validation split.
    validation_dataset : torch.utils.data.Dataset or None, default=None
        Validation data given apart: the whole ``dataset`` is trained on and
        the validation loss (early stopping, the learning-rate schedule) is
        that of this one.
    """

    module: type
    module_params: dict
    criterion: type
    criterion_params: dict
    dataset: Any
    iterator: type = BatchIterator
    callbacks: list = dataclasses.field(default_factory=list)
    validation_labels: Any = None
    validation_dataset: Any = None


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


class TimeBudget(Callback):
    """Stop training before an epoch would end past ``max_time`` seconds.

    An epoch is not started when, at the pace of the previous one, it
    would end after the budget; the first always runs. The check is made
    as an epoch begins, once every callback (early stopping above all) has
    seen the one before. ``exhausted_`` tells that training ended for the
    budget.
    """

    def __init__(self, max_time):
        self.max_time = max_time

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()
        self.epoch_start_ = None
        self.exhausted_ = False

    def on_epoch_begin(self, net, **kwargs):
        now = time.perf_counter()
        last = self.epoch_start_
        self.epoch_start_ = now
        if last is not None and 2 * now - last - self.start_ > self.max_time:
            self.exhausted_ = True
            raise KeyboardInterrupt  # how skorch's callbacks end training

    def on_train_end(self, net, **kwargs):
        if self.exhausted_ and "train_loss" not in net.history[-1]:
            del net.history[-1]  # the row of the epoch that did not start


class TokenWeightedLoss(Callback):
    """Make the epoch losses means over target tokens, not over sequences.

    skorch averages the batch losses weighted by the number of rows of each
    batch; for a language model whose batches hold sequences of different
    lengths the epoch loss is then not the mean loss per token (whose
    exponential is the perplexity). Each batch's weight becomes its number
    of targets (those not ``ignore_index``).
    """

    def __init__(self, ignore_index=-100):
        self.ignore_index = ignore_index

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        n_targets = int((batch[1] != self.ignore_index).sum())
        prefix = "train" if training else "valid"
        net.history.record_batch(f"{prefix}_batch_size", n_targets)


def _validation(task, settings, seed):
    """The validation split: the task's own data, a held-out share, or None."""
    if task.validation_dataset is not None:
        return predefined_split(task.validation_dataset)
    if not settings.early_stopping:
        return None
    split = ValidationSplit(
        settings.validation_fraction,
        settings.validation_split,
        seed=seed,
        labels=task.validation_labels,
    )
    n_samples = len(task.dataset)
    _warn_if_small_validation(len(split.indices(n_samples)[1]), n_samples)
    return split


def _callbacks(task, settings, seed):
    """The callbacks and validation split of ``settings``."""
    callbacks = [("divergence", DivergenceGuard()), *task.callbacks]
    if settings.verbose == 1:
        callbacks.append(("progress", EpochProgressBar(settings.name)))
    if settings.clip_grad_norm is not None:
        clip = GradientNormClipping(settings.clip_grad_norm)
        callbacks.append(("clip_grad_norm", clip))
    split = _validation(task, settings, seed)
    monitor = "train_loss" if split is None else "valid_loss"
    if settings.lr_schedule == "plateau":
        schedule = LRScheduler(
            ReduceLROnPlateau,
            monitor=monitor,
            factor=0.5,
            patience=0,
            threshold=settings.tol,
            threshold_mode="abs",
        )
        callbacks.append(("lr_schedule", schedule))
    if settings.max_time is not None:
        callbacks.append(("time_budget", TimeBudget(settings.max_time)))
    if settings.early_stopping or settings.stop_on_training_plateau:
        # Without early stopping, as MLPClassifier: the training loss, and
        # the latest weights kept.
        watches_validation = settings.early_stopping
        stopping = WarmupEarlyStopping(
            monitor="valid_loss" if watches_validation else "train_loss",
            patience=settings.n_iter_no_change,
            threshold=settings.tol,
            threshold_mode="abs",
            load_best=watches_validation,
            min_steps=settings.min_steps,
        )
        name = "early_stopping" if watches_validation else "training_plateau"
        callbacks.append((name, stopping))
    return callbacks, split


def _new_net(task, settings, seed, device):
    callbacks, train_split = _callbacks(task, settings, seed)
    pin = str(device).startswith("cuda")
    return NeuralNet(
        module=task.module,
        criterion=task.criterion,
        optimizer=_OPTIMIZERS[settings.optimizer],
        lr=settings.lr,
        max_epochs=settings.max_epochs,
        batch_size=settings.batch_size,
        iterator_train=task.iterator,
        iterator_valid=task.iterator,
        train_split=train_split,
        callbacks=callbacks,
        device=device,
        compile=settings.compile,
        # verbose=1 is the progress bar; 2 and more skorch's table of
        # losses, one line per epoch.
        verbose=int(settings.verbose >= 2),
        iterator_train__shuffle=True,
        iterator_train__seed=seed,
        iterator_train__pin_memory=pin,
        iterator_valid__batch_size=_INFERENCE_BATCH_SIZE,
        iterator_valid__pin_memory=pin,
        optimizer__weight_decay=settings.weight_decay,
        **{f"module__{k}": v for k, v in task.module_params.items()},
        **{f"criterion__{k}": v for k, v in task.criterion_params.items()},
    )


def _update_net(net, task, settings, seed):
    """Set the current settings on a trained ``net`` for a warm start."""
    # The criterion's arguments (class weights) first: skorch re-creates
    # the criterion and the optimizer (losing its moments, and taking the
    # weight decay it was built with) for any criterion argument, so only
    # when they changed.
    changed = _changed_params(net, "criterion", task.criterion_params)
    if net.criterion is not task.criterion:
        # Weighted and plain losses take the same arguments.
        changed["criterion"] = task.criterion
    if changed:
        net.set_params(**changed)
    # Then the training settings: skorch sets a new lr and weight decay on
    # the optimizer's parameter groups. Callbacks (gradient clipping, early
    # stopping, progress, the task's own) and the validation split follow
    # the settings too.
    callbacks, train_split = _callbacks(task, settings, seed)
    net.set_params(
        lr=settings.lr,
        max_epochs=settings.max_epochs,
        batch_size=settings.batch_size,
        optimizer__weight_decay=settings.weight_decay,
        callbacks=callbacks,
        train_split=train_split,
        verbose=int(settings.verbose >= 2),
    )
    net.initialize_callbacks()
    return net


def _n_epochs(net):
    """Epochs of ``net``'s history that ended (an interrupted one has no loss)."""
    return sum("train_loss" in row for row in net.history)


def _run(net, task, settings):
    """Train ``net`` on the task's dataset; turn a divergence into an error."""
    epochs_before = _n_epochs(net)
    try:
        # NeuralNet.fit is initialize() + partial_fit(); the net is
        # initialised by the caller so that its callbacks see this fit.
        net.partial_fit(task.dataset, None)
        if _n_epochs(net) == epochs_before:
            # Ctrl-C before the first epoch ended: no trained model to
            # keep, so stop as Ctrl-C does.
            raise KeyboardInterrupt
    except TrainingDiverged as exc:
        # Never leave a model behind that would predict NaN.
        raise ValueError(_divergence_message(exc, settings)) from None
    finally:
        progress = dict(net.callbacks_).get("progress")
        if progress is not None:
            progress.close()
    _warn_if_interrupted(net, _n_epochs(net) - epochs_before, settings.max_epochs)


def _divergence_message(exc, settings):
    phase = "training" if exc.training else "validation"
    if exc.start is None:
        what = f"the {phase} loss became {exc.loss}"
    elif math.isnan(exc.loss):
        what = "the weights stopped being finite"
    else:
        what = (
            f"the {phase} loss exploded to {exc.loss:.4g}, from {exc.start:.4g} "
            "in the first batch"
        )
    return (
        f"Training diverged in epoch {exc.epoch}: {what}. Try a smaller "
        f"learning rate (lr={settings.lr:g}), gradient clipping "
        "(clip_grad_norm=1.0) or scaling X."
    )


def _warn_if_interrupted(net, n_epochs, max_epochs):
    """skorch ends training on KeyboardInterrupt as on early stopping."""
    if n_epochs >= max_epochs:
        return
    callbacks = dict(net.callbacks_)
    early = callbacks.get("early_stopping")
    if early is not None and early.misses_ >= early.patience:
        return
    plateau = callbacks.get("training_plateau")
    if plateau is not None and plateau.misses_ >= plateau.patience:
        return
    budget = callbacks.get("time_budget")
    if budget is not None and budget.exhausted_:
        return
    kept = "the best epoch's" if early is not None else "the latest"
    warnings.warn(
        f"Training was interrupted after {n_epochs} of {max_epochs} "
        f"epochs; the model keeps {kept} weights and can be used.",
        UserWarning,
        stacklevel=5,
    )


def train(task, settings, seed, warm_net=None):
    """Train a new net on ``task``, or continue training ``warm_net``.

    Parameters
    ----------
    task : TrainingTask
        What to train.
    settings : TrainingSettings
        How to train it.
    seed : int
        Seeds torch's generators (initial weights, dropout) for the time of
        training, the shuffling of the batches and the validation split.
    warm_net : skorch.NeuralNet, default=None
        A trained net to continue from its current weights and optimizer
        state with the current settings (a warm start). When training
        fails (divergence, Ctrl-C before an epoch ends, a warning turned
        into an error), its weights, optimizer state, criterion and history
        are put back as they were.

    Returns
    -------
    net : skorch.NeuralNet
        The trained net (``warm_net`` itself for a warm start).
    """
    device = resolve_device(settings.device)
    snapshot = None if warm_net is None else _TrainingSnapshot(warm_net)
    try:
        with seeded_torch(seed, device):
            if warm_net is None:
                net = _new_net(task, settings, seed, device)
                net.initialize()  # draws the initial weights
            else:
                net = _update_net(warm_net, task, settings, seed)
            _run(net, task, settings)
    except BaseException:
        if snapshot is not None:
            snapshot.restore()
        raise
    return net


def training_history(net, early_stopping, validated=None):
    """The learning curves of ``net``, as the estimators' fitted attributes.

    Returns a dict with ``loss_curve_``, ``n_iter_``, ``validation_scores_``
    (None without a validation loss: ``validated``, by default
    ``early_stopping``) and ``best_loss_`` (the lowest validation loss with
    early stopping, else the lowest training loss).
    """
    validated = early_stopping if validated is None else validated
    # An interrupted epoch has a row in the history but no loss yet.
    epochs = [row for row in net.history if "train_loss" in row]
    loss_curve = [float(row["train_loss"]) for row in epochs]
    scores = None
    best = min(loss_curve)
    if validated:
        # One score per epoch: NaN for the epochs of an earlier warm fit
        # that had no validation split.
        scores = [float(row.get("valid_loss", np.nan)) for row in epochs]
    if early_stopping:
        best = float(np.nanmin(scores))
        kept = getattr(dict(net.callbacks_).get("early_stopping"), "best_epoch_", 0)
        if kept:
            # The epoch whose weights were restored (the best after min_steps).
            best = float(net.history[kept - 1, "valid_loss"])
        elif np.isfinite(scores).any():
            # Training ended before min_steps: the latest weights are kept.
            best = [v for v in scores if np.isfinite(v)][-1]
    return {
        "loss_curve_": loss_curve,
        "n_iter_": len(loss_curve),
        "validation_scores_": scores,
        "best_loss_": best,
    }
