# SPDX-License-Identifier: BSD-3-Clause
"""The only module that imports scikit-learn's private helpers.

Keeping them in one place means a scikit-learn release that moves them breaks
one import line, not every estimator.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import _check_feature_names, _num_samples

__all__ = [
    "_BaseComposition",
    "_check_feature_names",
    "_fit_context",
    "_get_output_config",
    "_num_samples",
    "_safe_indexing",
    "Hidden",
    "Interval",
    "StrOptions",
    "validate_parameter_constraints",
    "validate_params",
]
