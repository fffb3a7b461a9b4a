# SPDX-License-Identifier: BSD-3-Clause
"""Per-feature statistics of sequence data, shared by SequenceScaler and the
``scale`` option of the recurrent estimators."""

import warnings

import numpy as np


def _is_constant(var, mean, n_samples):
    """Whether a variance is zero up to the rounding of its computation."""
    eps = np.finfo(np.float64).eps
    return var <= n_samples * eps * var + (n_samples * mean * eps) ** 2


def feature_statistics(frames):
    """Statistics of each feature over the rows of ``frames``.

    ``frames`` holds one time step per row, one feature per column; NaN
    values are left out. Returns ``(n_samples_seen, mean, var, scale)``:
    ``scale`` is the standard deviation, 1.0 for a constant (or all-NaN)
    feature, so that dividing by it never blows a feature up.
    """
    # float64 throughout: float32 values near its limit (3e38) overflow in
    # their deviations from the mean, which nanvar takes in the input dtype.
    frames = np.asarray(frames, dtype=np.float64)
    n_seen = np.sum(~np.isnan(frames), axis=0)
    with warnings.catch_warnings():
        # A feature that is NaN at every step has NaN statistics.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(frames, axis=0, dtype=np.float64)
        var = np.nanvar(frames, axis=0, dtype=np.float64)
    scale = np.sqrt(var)
    scale[_is_constant(var, mean, n_seen) | np.isnan(scale)] = 1.0
    return n_seen, mean, var, scale


def weighted_statistics(frames, weights):
    """``(total weight, mean, var)`` of each column of ``frames``, one weight
    per row; NaN values are left out."""
    seen = ~np.isnan(frames)
    w = weights[:, None] * seen
    total = w.sum(axis=0)
    values = np.where(seen, frames, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * values).sum(axis=0) / total
        var = (w * (values - mean) ** 2).sum(axis=0) / total
    return total, mean, var


def sequence_statistics(X, lengths=None, rows=None, weights=None, chunk_values=2**14):
    """:func:`feature_statistics` of the real steps of the sequences ``X``.

    ``X`` is a padded ``(n, L, F)`` array, possibly a strided view of
    overlapping windows; ``lengths`` the true lengths (None: all ``L``);
    ``rows`` the sequences to count (an index array or a slice; None: all);
    ``weights`` one weight per sequence of ``rows`` (None: equal), which
    each of its steps carries, so that a weight of 0 counts as absent and
    an integer weight as repeated sequences. The rows are read in chunks of
    about ``chunk_values`` values and the chunks' statistics pooled (Chan,
    Golub and LeVeque's update), so that memory grows with a chunk, never
    with ``X``. One chunk without weights gives exactly
    :func:`feature_statistics`; with weights the first value returned is the
    total weight.
    """
    if rows is None or isinstance(rows, slice):
        rows = np.arange(len(X))[rows or slice(None)]
    rows = np.asarray(rows)
    chunk_rows = max(1, chunk_values // max(1, X.shape[1] * X.shape[2]))
    steps = np.arange(X.shape[1])
    chunks, count = [], np.zeros(X.shape[2], dtype=np.int64)
    for start in range(0, len(rows), chunk_rows):
        take = rows[start : start + chunk_rows]
        block = X[take]
        real = np.ones(block.shape[:2], dtype=bool)
        if lengths is not None:
            real = steps < lengths[take][:, None]
        frames = block[real]
        if weights is None:
            chunks.append(feature_statistics(frames))
            count += chunks[-1][0]
        else:
            w = np.broadcast_to(weights[start : start + chunk_rows, None], real.shape)
            chunks.append(weighted_statistics(frames, w[real].astype(np.float64)))
            count += np.sum(~np.isnan(frames) & (w[real] > 0)[:, None], axis=0)
    if weights is None and len(chunks) == 1:
        return chunks[0]
    n_seen, mean, m2 = np.zeros(X.shape[2]), np.zeros(X.shape[2]), np.zeros(X.shape[2])
    for n_b, mean_b, var_b, *_ in chunks:
        seen = n_b > 0
        n = n_seen + n_b
        delta = np.where(seen, mean_b - mean, 0.0)
        share = np.divide(n_b, n, out=np.zeros(len(n)), where=n > 0)
        mean = mean + delta * share
        m2 = m2 + np.where(seen, var_b * n_b, 0.0) + delta**2 * n_seen * share
        n_seen = n
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_seen > 0, mean, np.nan)
        var = m2 / n_seen
    scale = np.sqrt(var)
    scale[_is_constant(var, mean, count) | np.isnan(scale)] = 1.0
    return (n_seen if weights is not None else count), mean, var, scale
