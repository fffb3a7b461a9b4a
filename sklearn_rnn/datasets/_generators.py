# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic sequence data."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from sklearn_rnn.utils._sklearn_compat import Interval, validate_params


@validate_params(
    {
        "n_series": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sine_series(n_series=10_000, n_steps=50, *, random_state=None):
    """Generate noisy sums of two sine waves, the classic RNN forecasting toy.

    Each series is ``0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 +
    20))`` plus uniform noise of width 0.1, on ``n_steps`` points of ``t`` in
    [0, 1], with frequencies ``f`` and offsets ``o`` drawn uniformly in
    [0, 1) per series (the setting of Géron, *Hands-On Machine Learning*,
    chapter 15).

    Parameters
    ----------
    n_series : int, default=10_000
        Number of series.
    n_steps : int, default=50
        Length of each series.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    series : ndarray of shape (n_series, n_steps)
        The series, float32.

    Examples
    --------
    >>> from sklearn_rnn.datasets import make_sine_series
    >>> series = make_sine_series(1000, 51, random_state=0)
    >>> X, y = series[:, :50], series[:, 50]    # forecast the 51st step
    >>> X.shape, y.shape
    ((1000, 50), (1000,))
    """
    rng = check_random_state(random_state)
    f1, f2, o1, o2 = rng.uniform(size=(4, n_series, 1))
    t = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((t - o1) * (f1 * 10 + 10))
    series += 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
    series += 0.1 * (rng.uniform(size=(n_series, n_steps)) - 0.5)
    return series.astype(np.float32)
