# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks on every public estimator, with none skipped."""

import pytest
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sklearn_rnn.utils.discovery import all_estimators

# Small, fast settings that still learn the checks' toy problems: the checks
# need R² > 0.5 and accuracy > 0.83 on their own data sets.
FAST = {
    "RNNClassifier": dict(hidden_size=16, max_epochs=40, lr=1e-2, random_state=0),
    "RNNRegressor": dict(hidden_size=16, max_epochs=40, lr=1e-2, random_state=0),
}


def _instances():
    for name, Estimator in all_estimators():
        yield Estimator(**FAST.get(name, {}))


def test_all_estimators_have_fast_settings():
    assert {name for name, _ in all_estimators()} <= set(FAST)


@parametrize_with_checks(list(_instances()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator", list(_instances()), ids=lambda e: type(e).__name__
)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
