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
    n_seen = np.sum(~np.isnan(frames), axis=0)
    with warnings.catch_warnings():
        # A feature that is NaN at every step has NaN statistics.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(frames, axis=0, dtype=np.float64)
        var = np.nanvar(frames, axis=0, dtype=np.float64)
    scale = np.sqrt(var)
    scale[_is_constant(var, mean, n_seen) | np.isnan(scale)] = 1.0
    return n_seen, mean, var, scale
