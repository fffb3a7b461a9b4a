# SPDX-License-Identifier: BSD-3-Clause
"""Forecast-origin cross-validation for panels."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator


class PanelSplitter(BaseCrossValidator):
    """Rolling forecast origins shared by all the series of a panel.

    Fold ``k`` of ``n_windows`` holds out, in every series, the ``horizon``
    periods that end ``(n_windows - 1 - k) * step`` periods before the
    series' end, and trains on everything before them: the last fold
    tests each series' last ``horizon`` periods. Origins are counted from
    each series' own end (the M competitions' convention), so series that
    end together share calendar origins. A series too short to keep
    ``min_train_size`` training periods in a fold is left out of that fold
    (train and test). Rows are returned as positions in ``X``, in any
    order ``X`` has them, so it works as ``cv=`` in ``GridSearchCV``,
    ``cross_val_score`` and ``cross_validate``.

    Parameters
    ----------
    n_windows : int, default=3
        Number of folds (forecast origins).
    horizon : int, default=18
        Periods tested per series and fold.
    step : int, default=None
        Periods between consecutive origins; None means ``horizon``.
    min_train_size : int, default=1
        Fewest training periods a series keeps in a fold.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_rnn.forecasting import PanelSplitter
    >>> index = pd.MultiIndex.from_product([["a", "b"], range(10)])
    >>> X = pd.DataFrame(index=index)
    >>> [len(test) for _, test in PanelSplitter(2, horizon=3).split(X)]
    [6, 6]
    """

    def __init__(self, n_windows=3, *, horizon=18, step=None, min_train_size=1):
        self.n_windows = n_windows
        self.horizon = horizon
        self.step = step
        self.min_train_size = min_train_size

    def _check(self):
        for name in ("n_windows", "horizon", "min_train_size"):
            value = getattr(self, name)
            if not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
        if self.step is not None and (
            not isinstance(self.step, Integral) or self.step < 1
        ):
            raise ValueError(
                f"step must be None or an integer >= 1; got {self.step!r}."
            )

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of folds, ``n_windows``.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        n_splits : int
        """
        return self.n_windows

    def split(self, X, y=None, groups=None):
        """Positions of the training and test rows of each fold.

        Parameters
        ----------
        X : pandas.DataFrame or Series
            Indexed by ``(series id, period)``; a single series (plain
            index) is the panel of one.
        y, groups : ignored

        Yields
        ------
        train, test : ndarray of int
        """
        self._check()
        index = getattr(X, "index", None)
        if index is None:
            raise TypeError(
                "PanelSplitter needs X (or y) as a pandas object indexed by "
                "(series id, period)."
            )
        if isinstance(index, pd.MultiIndex):
            keys = pd.factorize(index.get_level_values(0))[0]
            times = index.get_level_values(1)
        else:
            keys, times = np.zeros(len(index), int), index
        order = np.lexsort((np.argsort(np.argsort(times, kind="stable")), keys))
        bounds = np.flatnonzero(np.diff(keys[order])) + 1
        groups_rows = np.split(order, bounds)
        step = self.step or self.horizon
        for k in range(self.n_windows):
            end = (self.n_windows - 1 - k) * step
            train, test = [], []
            for rows in groups_rows:
                stop = len(rows) - end
                start = stop - self.horizon
                if start < self.min_train_size:
                    continue
                train.append(rows[:start])
                test.append(rows[start:stop])
            if not test:
                raise ValueError(
                    f"No series is long enough for fold {k}: it needs "
                    f"{self.min_train_size + self.horizon + end} periods."
                )
            yield np.sort(np.concatenate(train)), np.sort(np.concatenate(test))

    def _iter_test_indices(self, X=None, y=None, groups=None):
        for _, test in self.split(X, y, groups):
            yield test
