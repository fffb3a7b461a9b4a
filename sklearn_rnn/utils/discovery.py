# SPDX-License-Identifier: BSD-3-Clause
"""List the public estimators of sklearn_rnn."""

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """Return ``(name, class)`` for every public estimator, sorted by name.

    Returns
    -------
    estimators : list of tuple
        Pairs of the class name and the class.

    Examples
    --------
    >>> from sklearn_rnn.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "RNNClassifier" in names and "RNNRegressor" in names
    True
    """
    import sklearn_rnn

    found = []
    for name in sklearn_rnn.__all__:
        obj = getattr(sklearn_rnn, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and not inspect.isabstract(obj)
        ):
            found.append((name, obj))
    return sorted(found)
