# SPDX-License-Identifier: BSD-3-Clause
"""The one internal sequence layout, and how skorch iterates over it.

Every estimator turns its input into a :class:`SequenceDataset`: a padded,
batch-first tensor ``X`` of shape ``(n_samples, n_timesteps, n_features)``
(float32), or ``(n_samples, n_timesteps)`` (int64 token ids), plus the true
``lengths`` when sequences differ in length, plus the target tensor.

skorch's default ``DataLoader`` fetches one sample at a time and collates
them, which dominates the run time of small recurrent models.
:class:`BatchIterator` cuts whole batches out of the tensors with one index
operation instead; skorch still runs the training loop, the callbacks and the
device handling.
"""

import copy
import warnings

import numpy as np
import torch
from torch.utils.data import Dataset


class SequenceDataset(Dataset):
    """Padded sequences, their lengths and (optionally) their targets.

    ``X`` may be a strided view of a longer array (e.g. the overlapping
    windows of a series): nothing here copies it as a whole. A subset only
    records which rows it holds, and a batch gathers just its own rows and
    converts them to float32, so memory grows with the batch, not with the
    number of windows.

    Parameters
    ----------
    X : torch.Tensor of shape (n, L, F) or (n, L)
    lengths : torch.Tensor of shape (n,) or None
        None means every sequence has the full length ``L``.
    y : torch.Tensor of shape (n, ...) or None
    y_per_step : bool
        Whether ``y`` has a time axis (synced per-step targets) that is
        padded like ``X``.
    rows : torch.Tensor of shape (n_rows,) or None
        The rows of ``X`` (and ``lengths``, ``y``) this dataset holds, in
        order; None means all of them.
    sample_weight : torch.Tensor of shape (n,) or None
        Weights of the samples; a batch's target is then the dict
        ``{"target": y, "sample_weight": w}`` that the weighted losses of
        ``_modules.py`` read.
    input_scaling : tuple of two torch.Tensor of shape (F,), or None
        ``(mean, scale)``: each batch's floating inputs become
        ``(X - mean) / scale``, computed in float64 before the conversion
        to float32, so that scaling never copies ``X`` whole.
    """

    def __init__(
        self,
        X,
        lengths=None,
        y=None,
        y_per_step=False,
        rows=None,
        sample_weight=None,
        input_scaling=None,
    ):
        self.X = X
        self.lengths = lengths
        self.y = y
        self.y_per_step = y_per_step
        self.rows = rows
        self.sample_weight = sample_weight
        self.input_scaling = input_scaling

    def __len__(self):
        return len(self.X) if self.rows is None else len(self.rows)

    def __getitem__(self, i):
        return self.batch(torch.as_tensor([i]))

    def subset(self, idx):
        """The samples ``idx`` of this dataset, without copying any data."""
        subset = copy.copy(self)  # subclasses keep their own fields
        subset.rows = self._rows(torch.as_tensor(idx, dtype=torch.long))
        return subset

    def _rows(self, idx):
        """Rows of the underlying tensors of samples ``idx`` of this dataset."""
        return idx if self.rows is None else self.rows[idx]

    def _inputs(self, rows):
        """Gather the inputs of ``rows``; floating inputs become float32.

        float64 input and strided window views are converted here, one batch
        at a time (a no-op for contiguous float32 batches).
        """
        X = self.X[rows]
        if X.is_floating_point():
            if self.input_scaling is not None:
                # In float64: float32 values near its limit (3e38) would
                # overflow in X - mean, though their scaled values are small.
                mean, scale = self.input_scaling
                X = (X.double() - mean.double()) / scale.double()
            X = X.to(torch.float32).contiguous()
        return X

    def weighted(self, y, rows):
        """The target ``y`` of ``rows``, with their weights when there are any."""
        if self.sample_weight is None or y is None:
            return y
        return {"target": y, "sample_weight": self.sample_weight[rows]}

    def batch(self, idx):
        """Return ``(Xi, yi)`` for the samples ``idx`` (a slice or index tensor)."""
        idx = self._rows(idx)
        X = self._inputs(idx)
        y = None if self.y is None else self.y[idx]
        if self.lengths is None:
            return X, self.weighted(y, idx)
        lengths = self.lengths[idx]
        # Drop the padding that no sequence of this batch needs.
        width = int(lengths.max())
        X = X[:, :width]
        if y is not None and self.y_per_step:
            y = y[:, :width]
        return {"X": X, "lengths": lengths}, self.weighted(y, idx)


class BatchIterator:
    """Iterate over a :class:`SequenceDataset` in mini-batches.

    It is handed to skorch as ``iterator_train`` / ``iterator_valid``; skorch
    calls it with the dataset and ``batch_size`` (plus ``shuffle`` and
    ``seed`` set by the estimator).

    ``pad_last=True`` pads the final batch with zero sequences up to
    ``batch_size``, so that every forward pass has the same batch size. CPU
    kernels round differently for different batch sizes (by ~1e-7 in float32),
    so this is what makes the prediction of a sample of a fixed-length
    batch bitwise independent of which and how many other samples are
    predicted with it. Sequences of different lengths (``lengths`` set) are
    equal only up to float rounding, about 1e-7: they are packed, and the
    number of sequences still running at each time step, the row count of
    that step's matrix products, depends on the other sequences of the
    batch. The caller drops the padding rows from the output.

    ``pin_memory=True`` (set by the estimators when the device is CUDA) puts
    each batch in page-locked host memory, from which the copy to the GPU
    is a direct DMA transfer, as ``DataLoader(pin_memory=True)`` does.
    """

    def __init__(
        self,
        dataset,
        batch_size=32,
        shuffle=False,
        seed=None,
        pad_last=False,
        pin_memory=False,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.pad_last = pad_last
        self.pin_memory = pin_memory
        self._generator = None
        if shuffle:
            self._generator = torch.Generator()
            if seed is not None:
                self._generator.manual_seed(seed)

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        if not self.pin_memory:
            yield from self._batches()
            return
        for Xi, yi in self._batches():
            yield _pin(Xi), _pin(yi)

    def _batches(self):
        n = len(self.dataset)
        bs = self.batch_size
        if self.shuffle:
            order = torch.randperm(n, generator=self._generator)
            for start in range(0, n, bs):
                yield self.dataset.batch(order[start : start + bs])
            return
        for start in range(0, n, bs):
            Xi, yi = self.dataset.batch(slice(start, start + bs))
            if self.pad_last and n - start < bs:
                Xi = _pad_rows(Xi, bs)
            yield Xi, yi


def _pin(batch):
    """Copy a tensor (or a dict of tensors) into page-locked memory."""
    if batch is None:
        return None
    if isinstance(batch, dict):
        return {key: _pin(value) for key, value in batch.items()}
    return batch.pin_memory()


def _pad_rows(Xi, size):
    """Append zero sequences (of length 1 where lengths are tracked)."""
    if isinstance(Xi, dict):
        lengths = Xi["lengths"]
        extra = size - len(lengths)
        return {
            "X": _pad_rows(Xi["X"], size),
            "lengths": torch.cat([lengths, lengths.new_ones(extra)]),
        }
    pad = Xi.new_zeros((size - len(Xi), *Xi.shape[1:]))
    return torch.cat([Xi, pad])


class ValidationSplit:
    """Hold out part of the training data for early stopping.

    skorch's own ``ValidSplit`` takes a stratified or shuffled fold, and with
    ``stratified=False`` and no shuffling it takes the *earliest* rows; for
    time-ordered windows the validation data must come last instead.

    Parameters
    ----------
    fraction : float
        Share of the samples held out.
    strategy : {"last", "shuffle", "stratified"}
        ``"last"`` keeps the order and holds out the final samples;
        ``"shuffle"`` holds out a random subset; ``"stratified"`` a random
        subset with the class proportions of ``labels``.
    seed : int
    labels : ndarray of shape (n_samples,), optional
        Class codes, needed by ``"stratified"``.
    """

    def __init__(self, fraction, strategy="last", seed=0, labels=None):
        self.fraction = fraction
        self.strategy = strategy
        self.seed = seed
        self.labels = labels

    def indices(self, n):
        n_valid = int(np.ceil(self.fraction * n))
        if n_valid < 1 or n - n_valid < 1:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training or no "
                f"validation sample out of {n}; use more data or set "
                "early_stopping=False."
            )
        if self.strategy == "last":
            return np.arange(n - n_valid), np.arange(n - n_valid, n)
        rng = np.random.RandomState(self.seed)
        if self.strategy == "stratified":
            return self._stratified(n, n_valid, rng)
        order = rng.permutation(n)
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])

    def _stratified(self, n, n_valid, rng):
        from sklearn.model_selection import train_test_split

        classes, counts = np.unique(self.labels, return_counts=True)
        if counts.min() < 2:
            raise ValueError(
                f"early_stopping=True with validation_split='stratified' needs "
                f"at least 2 samples of every class, one for training and one "
                f"for validation, but {np.sum(counts < 2)} class(es) of y have "
                "a single sample; use validation_split='shuffle' (or 'last'), "
                "more samples of those classes, or early_stopping=False."
            )
        try:
            train, valid = train_test_split(
                np.arange(n), test_size=n_valid, stratify=self.labels, random_state=rng
            )
        except ValueError as exc:
            # Too few validation (or training) samples for one of each class.
            raise ValueError(
                f"early_stopping=True with validation_split='stratified' and "
                f"validation_fraction={self.fraction} holds out {n_valid} of "
                f"{n} samples, too few or too many for {len(classes)} classes "
                f"({exc}); change validation_fraction, or use "
                "validation_split='shuffle' (or 'last') or early_stopping=False."
            ) from None
        return np.sort(train), np.sort(valid)

    def __call__(self, dataset, y=None, **fit_params):
        train, valid = self.indices(len(dataset))
        return dataset.subset(train), dataset.subset(valid)


def pad_sequences(sequences, dtype):
    """Stack arrays of shape ``(L_i, ...)`` into ``(n, max L_i, ...)``.

    Returns the padded array (zeros past each end) and the lengths.
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64)
    tail = sequences[0].shape[1:]
    out = np.zeros((len(sequences), lengths.max(), *tail), dtype=dtype)
    for i, seq in enumerate(sequences):
        out[i, : len(seq)] = seq
    return out, lengths


def to_tensor(array):
    """Wrap a numpy array as a tensor without copying it.

    Strided views such as sliding windows stay views of the memory they look
    into; only negative strides (which torch does not support) force a copy.
    The tensors made here are only ever read (batches are gathered into new
    tensors), so read-only arrays are wrapped as they are.
    """
    if any(stride < 0 for stride in array.strides):
        array = np.ascontiguousarray(array)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not")
        return torch.from_numpy(array)
