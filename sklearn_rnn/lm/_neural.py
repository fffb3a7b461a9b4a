# SPDX-License-Identifier: BSD-3-Clause
"""The neural backbones of :class:`~sklearn_rnn.NGramLanguageModel`.

Both are trained by the training engine, :func:`sklearn_rnn._training.train`
(the skorch net, seeding, early stopping, gradient clipping, divergence
guard); this module only supplies the torch module, the dataset and the
batching, as a :class:`~sklearn_rnn._training.TrainingTask`.

The estimator hands over a corpus already encoded with its vocabulary:
internal ids ``0 .. n_classes - 1`` are the positions in ``classes_`` (the
end symbol included) and ``n_classes`` is the start symbol ``<s>``, which
is only ever an input.

**Recurrent backbones** read each sentence from ``<s>`` on, with a fresh
state, and predict every next token, the end symbol included. A sentence
longer than ``bptt`` tokens is cut into chunks of ``bptt``: the network
carries its state from one chunk to the next but gradients stop at chunk
boundaries (truncated backpropagation through time). Sentences are dealt
into ``batch_size`` *lanes*; batch ``t`` holds the ``t``-th chunk of every
lane, so the state a chunk starts from was computed by the previous batch.

**The window backbone** (Bengio et al., 2003) predicts each token from the
``order - 1`` tokens before it, padded with ``<s>``, like the n-gram model.
With ``order=1`` it reads no token: its one input is a constant ``<s>``, so
it is a unigram model.
"""

import copy
import heapq
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch.utils.data import Dataset

from sklearn_rnn._data import BatchIterator, SequenceDataset, to_tensor
from sklearn_rnn._modules import (
    RecurrentLanguageModel,
    SequenceCrossEntropyLoss,
    TargetLogLikelihoodLoss,
    WindowLanguageModel,
)
from sklearn_rnn._parameters import (
    LANGUAGE_MODEL,
    Param,
    declare_parameters,
    store_parameters,
)
from sklearn_rnn._persistence import _spec
from sklearn_rnn._training import (
    TokenWeightedLoss,
    TrainingSettings,
    TrainingTask,
    train,
    training_history,
)
from sklearn_rnn.lm._text import sample as _sample
from sklearn_rnn.utils._sklearn_compat import Interval
from sklearn_rnn.utils._torch import draw_seed, resolve_device

_IGNORE_INDEX = -100

# Logits computed at once when predicting (float64 cells: 32 MiB).
_CELLS_PER_BATCH = 2**22


def pad_sentences(ids, lengths, bos, eos):
    """Inputs ``<s> w1 .. wn`` and targets ``w1 .. wn </s>`` of each sentence.

    Returns the flat inputs, the flat targets and each sentence's start in
    them (each sentence takes ``length + 1`` positions).
    """
    sizes = lengths + 1
    starts = np.cumsum(sizes) - sizes
    total = int(sizes.sum())
    inputs = np.full(total, bos, dtype=np.int64)
    targets = np.full(total, eos, dtype=np.int64)
    # Token i of sentence s is the target at starts[s] + i, which is its
    # index in ids plus s, and the input one step later.
    where = np.arange(len(ids)) + np.repeat(np.arange(len(lengths)), lengths)
    targets[where] = ids
    inputs[where + 1] = ids
    return inputs, targets, starts


def windows(ids, lengths, width, bos, eos):
    """The ``width`` tokens before each target, and the targets.

    Every token of every sentence and each sentence's end symbol is a target;
    positions before the start of the sentence hold ``bos``.
    """
    inputs, targets, starts = pad_sentences(ids, lengths, bos, eos)
    within = np.arange(len(inputs)) - np.repeat(starts, lengths + 1)
    X = np.full((len(inputs), width), bos, dtype=np.int64)
    for back in range(width):
        # column width - 1 - back holds the input `back` steps before
        ok = within >= back
        X[ok, width - 1 - back] = inputs[np.flatnonzero(ok) - back]
    return X, targets


def frequency_rank(ids, n_classes, eos, n_sentences):
    """Each class's rank by training frequency, and the sorted frequencies.

    Returns ``(rank, shares)``: ``rank[c]`` is 0 for the most frequent
    class (ties by id); ``shares`` the share of the targets (each
    sentence's end symbol included) of the classes in rank order.
    """
    counts = np.bincount(ids, minlength=n_classes).astype(np.float64)
    counts[eos] += n_sentences  # every sentence ends with one
    by_count = np.argsort(-counts, kind="stable")
    rank = np.empty(n_classes, dtype=np.int64)
    rank[by_count] = np.arange(n_classes)
    return rank, counts[by_count] / counts.sum()


def adaptive_cutoffs(cutoffs, ranked, n_classes):
    """The adaptive softmax's cutoffs: ``cutoffs`` checked, or chosen.

    None puts in the head the most frequent classes that make up 90 % of
    the targets and in the first cluster those up to 98 %; the rest form
    the last cluster.
    """
    if cutoffs is not None:
        values = np.asarray(cutoffs)
        if (
            values.ndim != 1
            or len(values) == 0
            or values.dtype.kind not in "iu"
            or (values <= 0).any()
            or (values >= n_classes).any()
            or (np.diff(values) <= 0).any()
        ):
            raise ValueError(
                "cutoffs must be increasing integers between 1 and the "
                f"vocabulary size minus one ({n_classes - 1}); got {cutoffs!r}."
            )
        return [int(v) for v in values]
    if n_classes < 4:
        raise ValueError(
            f'softmax="adaptive" needs at least 4 classes; the vocabulary has '
            f'{n_classes}: use softmax="full".'
        )
    share = np.cumsum(ranked[1])
    chosen = []
    for level in (0.9, 0.98):
        cut = int(np.searchsorted(share, level) + 1)
        low = chosen[-1] + 1 if chosen else 1
        cut = min(max(cut, low), n_classes - 1)
        if not chosen or cut > chosen[-1]:
            chosen.append(cut)
    return chosen


class TokenStreamDataset(Dataset):
    """Sentences as flat input and target streams, cut into BPTT chunks.

    A sample is a sentence; :meth:`plan` deals sentences into lanes and
    cuts them into chunks of at most ``bptt`` steps.
    """

    def __init__(self, inputs, targets, starts, sizes, bptt, n_classes):
        self.inputs = inputs
        self.n_classes = n_classes
        self.targets = targets
        self.starts = starts
        self.sizes = sizes
        self.bptt = bptt
        self.epochs = 0  # passes drawn by a shuffling iterator, for its seed

    def __len__(self):
        return len(self.starts)

    def subset(self, idx):
        idx = np.asarray(idx, dtype=np.int64)
        return TokenStreamDataset(
            self.inputs,
            self.targets,
            self.starts[idx],
            self.sizes[idx],
            self.bptt,
            self.n_classes,
        )

    def plan(self, order, n_lanes):
        """Chunks of the sentences ``order``, grouped into batches.

        Each sentence longer than ``bptt`` in turn goes to the lane that is
        free first (the lowest of those free at the same step) and takes its
        next steps, one chunk per step; once they are all done, the others
        fill the lanes ``n_lanes`` at a time, one step each. Returns the
        chunk arrays ``(start, size, lane, carry)`` sorted by batch, and the
        boundaries of the batches in them.
        """
        bptt = self.bptt
        sizes = self.sizes[order]
        n_chunks = -(-sizes // bptt)
        total = int(n_chunks.sum())
        n_lanes = max(1, min(n_lanes, len(order)))
        first_step = np.empty(len(order), dtype=np.int64)
        lane = np.empty(len(order), dtype=np.int64)
        # Sentences of several chunks first, each to the lane free first;
        # then those of one chunk, n_lanes to a step, so that a group of
        # sentences of about the same length (see bucketed) is one batch.
        multi = np.flatnonzero(n_chunks > 1)
        free = [(0, k) for k in range(n_lanes)]  # (first free step, lane)
        for i, n in zip(multi.tolist(), n_chunks[multi].tolist()):
            first_step[i], lane[i] = step, k = heapq.heappop(free)
            heapq.heappush(free, (step + n, k))
        single = np.flatnonzero(n_chunks == 1)
        start_step = max(step for step, _ in free)
        first_step[single] = start_step + np.arange(len(single)) // n_lanes
        lane[single] = np.arange(len(single)) % n_lanes
        chunk = np.arange(total) - np.repeat(np.cumsum(n_chunks) - n_chunks, n_chunks)
        step = np.repeat(first_step, n_chunks) + chunk
        lanes = np.repeat(lane, n_chunks)
        start = np.repeat(self.starts[order], n_chunks) + chunk * bptt
        size = np.minimum(np.repeat(sizes, n_chunks) - chunk * bptt, bptt)
        by_step = np.argsort(step * n_lanes + lanes, kind="stable")
        bounds = np.flatnonzero(np.diff(step[by_step])) + 1
        bounds = np.concatenate([[0], bounds, [total]])
        return (
            start[by_step],
            size[by_step],
            lanes[by_step],
            chunk[by_step] > 0,
        ), bounds

    def bucketed(self, order, n_lanes, rng):
        """``order`` regrouped for batches that are full and little padded.

        Sentences longer than ``bptt`` come first, the longest first (ties
        in their order in ``order``): each takes a lane for several steps,
        and dealt longest first (as a scheduler balances jobs) they end
        about together, so that no run of steps is left with a few lanes of
        one long document (tiny batches that pull the model towards it at
        every epoch's end). The others, one chunk each, are sorted by size
        within runs of ``50 * n_lanes`` and cut into groups of ``n_lanes``
        (one batch each with :meth:`plan`), in random group order: batches
        of sentences of about the same length.
        """
        sizes = self.sizes[order]
        multi = sizes > self.bptt
        long = order[multi][np.argsort(-sizes[multi], kind="stable")]
        short = order[~multi]
        run = 50 * n_lanes
        parts = [
            short[i : i + run][
                np.argsort(self.sizes[short[i : i + run]], kind="stable")
            ]
            for i in range(0, len(short), run)
        ]
        ordered = np.concatenate(parts) if parts else short
        groups = [ordered[i : i + n_lanes] for i in range(0, len(ordered), n_lanes)]
        # Only the very last group can be short: it stays last, lest every
        # batch after it straddle two groups.
        last = [groups.pop()] if groups and len(groups[-1]) < n_lanes else []
        shuffled = [groups[g] for g in rng.permutation(len(groups))]
        return np.concatenate([long, *shuffled, *last]).astype(np.int64)

    def batches(self, order, n_lanes):
        """Yield ``(X, y, lengths, lanes, carry, positions)`` per batch.

        ``positions[i, j]`` is the index in the flat streams of step ``j`` of
        row ``i``, -1 past the chunk's end.
        """
        (start, size, lane, carry), bounds = self.plan(order, n_lanes)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            width = int(size[lo:hi].max())
            steps = np.arange(width)
            valid = steps < size[lo:hi, None]
            positions = np.where(valid, start[lo:hi, None] + steps, -1)
            index = np.maximum(positions, 0)
            X = np.where(valid, self.inputs[index], 0)
            y = np.where(valid, self.targets[index], _IGNORE_INDEX)
            yield (
                torch.from_numpy(X),
                torch.from_numpy(y),
                torch.from_numpy(size[lo:hi].copy()),
                torch.from_numpy(lane[lo:hi].copy()),
                torch.from_numpy(carry[lo:hi].copy()),
                positions,
            )


class LaneIterator(BatchIterator):
    """skorch iterator over a :class:`TokenStreamDataset`: one batch per step.

    ``batch_size`` is the number of lanes. With ``shuffle=True`` every pass
    deals the sentences into lanes in a new random order, drawn from
    ``seed`` and the number of passes made so far.
    """

    def __init__(
        self, dataset, batch_size=32, shuffle=False, seed=None, pin_memory=False
    ):
        self.dataset = dataset
        self.pin_memory = pin_memory  # BatchIterator.__iter__ pins the batches
        if not shuffle:
            # Evaluation (the validation loss): bound the logits held at once.
            cells = dataset.bptt * dataset.n_classes
            batch_size = min(batch_size, max(1, 4 * _CELLS_PER_BATCH // cells))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            # Evaluation: sentences of about the same length side by side.
            return np.argsort(self.dataset.sizes, kind="stable")
        seed = (0 if self.seed is None else self.seed) + self.dataset.epochs
        self.dataset.epochs += 1
        rng = np.random.RandomState(seed % 2**32)
        return self.dataset.bucketed(rng.permutation(n), self.batch_size, rng)

    def __len__(self):
        _, bounds = self.dataset.plan(np.arange(len(self.dataset)), self.batch_size)
        return len(bounds) - 1

    def _batches(self):
        for X, y, lengths, lanes, carry, _ in self.dataset.batches(
            self._order(), self.batch_size
        ):
            inputs = {"X": X, "lengths": lengths, "lanes": lanes, "carry": carry}
            yield {**inputs, "targets": y}, y


class _NeuralBackbone(BaseEstimator):
    """Trains a next-token module with the training engine (internal).

    The parameters are those of the other estimators (see
    ``sklearn_rnn._parameters``) that the network and its training read;
    ``fit_tokens`` takes the corpus encoded by the estimator.
    """

    def fit_tokens(self, ids, lengths, n_classes, width, eos, validation=None):
        """Train on sentences of internal ids (``ids`` concatenated).

        ``width`` is the BPTT length of the recurrent backbones and the
        window of the feed-forward one; ``eos`` the id of the end symbol;
        ``validation`` None or the ``(ids, lengths)`` of validation
        sentences, whose loss early stopping and the learning-rate schedule
        then watch instead of a held-out share of the training sentences.
        """
        self.n_classes_ = n_classes
        self.width_ = width
        self._eos = eos
        settings = TrainingSettings.from_params(
            self.get_params(), name=type(self).__name__
        )
        task = TrainingTask(
            module=self._module_class,
            module_params=self._module_params(n_classes, ids, len(lengths)),
            criterion=self._criterion_class,
            criterion_params={},
            dataset=self._training_dataset(ids, lengths),
            iterator=self._iterator_class,
            callbacks=[("token_weighted_loss", TokenWeightedLoss(_IGNORE_INDEX))],
            validation_dataset=(
                None if validation is None else self._training_dataset(*validation)
            ),
        )
        self.net_ = train(task, settings, draw_seed(self.random_state))
        if validation is not None:
            # The validation data served training; the net keeps no copy.
            self.net_.train_split = None
        history = training_history(
            self.net_,
            self.early_stopping,
            validated=self.early_stopping or validation is not None,
        )
        for name, value in history.items():
            setattr(self, name, value)
        return self

    def _inference_module(self):
        """A float64 copy of the module in evaluation mode.

        Predictions in float64 do not depend (to 1e-7) on which other
        contexts share their batch; the fitted module is left untouched.
        """
        module = copy.deepcopy(self.net_.module_).double().eval()
        if hasattr(module, "carried"):
            module.carried = None
        return module

    @property
    def _device(self):
        return resolve_device(self.device)

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        "n_classes_": _spec.Int(1),
        "width_": _spec.Int(0),
        "_eos": _spec.Int(0),
        "net_": _spec.Net(),
        "loss_curve_": _spec.ListOf(_spec.Float(finite=False)),
        "n_iter_": _spec.Int(0),
        "validation_scores_": _spec.ListOf(_spec.Float(finite=False), none=True),
        "best_loss_": _spec.Float(finite=False),
    }


@declare_parameters(LANGUAGE_MODEL)
class RecurrentBackbone(_NeuralBackbone):
    """LSTM, GRU or Elman network over the whole sentence prefix.

    Parameters
    ----------
    {parameters}
    """

    _module_class = RecurrentLanguageModel
    _iterator_class = LaneIterator
    _criterion_class = TargetLogLikelihoodLoss

    def __init__(
        self,
        cell="lstm",
        *,
        embedding_dim=None,
        hidden_size=32,
        num_layers=1,
        dropout=0.0,
        embedding_dropout=0.0,
        variational_dropout=False,
        tie_weights=False,
        softmax="full",
        cutoffs=None,
        lr=1e-3,
        lr_schedule=None,
        batch_size=32,
        max_epochs=100,
        max_time=None,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        store_parameters(self, locals())

    def _training_dataset(self, ids, lengths):
        return self._make_dataset(ids, lengths)

    def _make_dataset(self, ids, lengths):
        bos, eos = self.n_classes_, self._eos
        inputs, targets, starts = pad_sentences(ids, lengths, bos, eos)
        return TokenStreamDataset(
            inputs, targets, starts, lengths + 1, self.width_, self.n_classes_
        )

    def fit_tokens(self, ids, lengths, n_classes, width, eos, validation=None):
        super().fit_tokens(ids, lengths, n_classes, width, eos, validation)
        self.net_.module_.carried = None  # training bookkeeping only
        return self

    def _module_params(self, n_outputs, ids, n_sentences):
        # Plain Python types: torch's recurrent layers refuse numpy integers.
        params = dict(
            vocab_size=int(n_outputs) + 1,
            n_classes=int(n_outputs),
            embedding_dim=int(self.embedding_dim),
            cell=self.cell,
            hidden_size=int(self.hidden_size),
            num_layers=int(self.num_layers),
            dropout=float(self.dropout),
            # The defaults of the other estimators' recurrent networks.
            nonlinearity="tanh",
            forget_bias=1.0,
        )
        # The options of the language model, only when set: nets saved before
        # they existed keep building.
        if self.embedding_dropout:
            params["embedding_dropout"] = float(self.embedding_dropout)
        if self.variational_dropout:
            params["locked_dropout"] = True
        if self.tie_weights:
            params["tie_weights"] = True
        if self.softmax == "adaptive":
            ranked = frequency_rank(ids, n_outputs, self._eos, n_sentences)
            params.update(
                softmax="adaptive",
                cutoffs=adaptive_cutoffs(self.cutoffs, ranked, n_outputs),
                class_rank=ranked[0].tolist(),
            )
        return params

    def _states(self, module, dataset, n_lanes):
        """Yield ``(outputs, positions)`` chunk by chunk, carrying the state."""
        device = self._device
        module.carried = None
        # Sentences of about the same length side by side: little padding.
        order = np.argsort(dataset.sizes, kind="stable")
        with torch.no_grad():
            for X, _, lengths, lanes, carry, positions in dataset.batches(
                order, n_lanes
            ):
                outputs = module.run_lanes(
                    X.to(device), lengths, lanes.to(device), carry.to(device)
                )
                yield outputs, positions

    def _n_lanes(self, n_classes):
        return max(1, _CELLS_PER_BATCH // (self.width_ * max(n_classes, 1)))

    def log_probs(self, ids, lengths):
        """Log-probability of every target (tokens and end symbols)."""
        module = self._inference_module()
        dataset = self._make_dataset(ids, lengths)
        out = np.empty(len(dataset.targets))
        targets = torch.from_numpy(dataset.targets)
        for outputs, positions in self._states(
            module, dataset, self._n_lanes(self.n_classes_)
        ):
            valid = torch.from_numpy(positions >= 0)
            where = torch.from_numpy(positions[positions >= 0])
            hidden = outputs[valid.to(outputs.device)]
            wanted = targets[where].to(hidden.device)
            out[where.numpy()] = module.head.target_log_prob(hidden, wanted).cpu()
        return out

    def distributions(self, ids, lengths):
        """Yield next-token distributions after each context, in chunks."""
        module = self._inference_module()
        dataset = self._make_dataset(ids, lengths)
        last = dataset.starts + dataset.sizes - 1  # each context's final input
        out = np.empty((len(lengths), self.n_classes_))
        rank = np.full(len(dataset.inputs), -1, dtype=np.int64)
        rank[last] = np.arange(len(lengths))
        for outputs, positions in self._states(
            module, dataset, self._n_lanes(self.hidden_size)
        ):
            hit = np.zeros(positions.shape, dtype=bool)
            ok = positions >= 0
            hit[ok] = rank[positions[ok]] >= 0
            if not hit.any():
                continue
            rows = torch.from_numpy(hit).to(outputs.device)
            p = module.head.log_prob(outputs[rows]).exp().cpu().numpy()
            out[rank[positions[hit]]] = p
        step = max(1, _CELLS_PER_BATCH // self.n_classes_)
        for start in range(0, len(out), step):
            yield out[start : start + step]

    def generate(self, history, n_tokens, temperature, rng):
        module = self._inference_module()
        device = self._device
        bos, eos = self.n_classes_, self._eos
        out = np.empty(n_tokens, dtype=np.int64)
        with torch.no_grad():

            def feed(tokens, state):
                X = torch.as_tensor(np.asarray(tokens)[None, :], device=device)
                outputs, state = module.run(X, None, state)
                log_p = module.head.log_prob(outputs[0, -1:])[0]
                return log_p.exp().cpu().numpy(), state

            p, state = feed(np.concatenate([[bos], history]), None)
            for i in range(n_tokens):
                token = _sample(p, temperature, rng)
                out[i] = token
                if token == eos:
                    p, state = feed([bos], None)
                else:
                    p, state = feed([token], state)
        return out


@declare_parameters(
    {
        "num_layers": Param(
            1,
            [Interval(Integral, 1, None, closed="left")],
            "int",
            "Ignored: the window network has one hidden layer (the estimator "
            "passes its ``num_layers`` to every backbone).",
        )
    }
)
class WindowBackbone(_NeuralBackbone):
    """Bengio's feed-forward network over the previous ``order - 1`` tokens.

    ``width_`` is ``order - 1``; with 0 the module still gets one input
    column, always ``<s>`` (see :meth:`_inputs`).

    Parameters
    ----------
    {parameters}
    """

    _module_class = WindowLanguageModel
    _iterator_class = BatchIterator
    _criterion_class = SequenceCrossEntropyLoss

    def __init__(
        self,
        *,
        embedding_dim=None,
        hidden_size=32,
        num_layers=1,
        dropout=0.0,
        lr=1e-3,
        lr_schedule=None,
        batch_size=32,
        max_epochs=100,
        max_time=None,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        store_parameters(self, locals())

    def _inputs(self, histories):
        """The module's input for ``(n, width_)`` histories of token ids."""
        if self.width_ == 0:
            return np.full((len(histories), 1), self.n_classes_, dtype=np.int64)
        return histories

    def _training_dataset(self, ids, lengths):
        X, y = windows(ids, lengths, self.width_, self.n_classes_, self._eos)
        return SequenceDataset(to_tensor(self._inputs(X)), None, to_tensor(y))

    def _module_params(self, n_outputs, ids, n_sentences):
        return dict(
            vocab_size=int(n_outputs) + 1,
            n_classes=int(n_outputs),
            context_size=int(max(self.width_, 1)),
            embedding_dim=int(self.embedding_dim),
            hidden_size=int(self.hidden_size),
            dropout=float(self.dropout),
        )

    def _logits(self, module, X):
        step = max(1, _CELLS_PER_BATCH // self.n_classes_)
        device = self._device
        with torch.no_grad():
            for start in range(0, len(X), step):
                batch = torch.from_numpy(X[start : start + step]).to(device)
                yield module(batch).cpu()

    def log_probs(self, ids, lengths):
        module = self._inference_module()
        X, y = windows(ids, lengths, self.width_, self.n_classes_, self._eos)
        out, start = np.empty(len(y)), 0
        for logits in self._logits(module, self._inputs(X)):
            log_p = torch.log_softmax(logits, dim=-1)
            t = torch.from_numpy(y[start : start + len(logits)])
            out[start : start + len(logits)] = log_p.gather(1, t[:, None])[:, 0]
            start += len(logits)
        return out

    def distributions(self, histories):
        """Yield next-token distributions for ``(n, width)`` id histories."""
        module = self._inference_module()
        for logits in self._logits(module, self._inputs(histories)):
            yield torch.softmax(logits, dim=-1).numpy()

    def generate(self, history, n_tokens, temperature, rng):
        module = self._inference_module()
        bos, eos, width = self.n_classes_, self._eos, self.width_
        window = np.full(width, bos, dtype=np.int64)
        history = np.asarray(history, dtype=np.int64)
        history = history[max(len(history) - width, 0) :]
        if len(history):
            window[width - len(history) :] = history
        out = np.empty(n_tokens, dtype=np.int64)
        with torch.no_grad():
            for i in range(n_tokens):
                X = torch.as_tensor(self._inputs(window[None, :]), device=self._device)
                p = torch.softmax(module(X)[0], dim=-1).cpu().numpy()
                token = _sample(p, temperature, rng)
                out[i] = token
                if token == eos:
                    window[:] = bos
                elif width:
                    window[:-1] = window[1:]
                    window[-1] = token
        return out
