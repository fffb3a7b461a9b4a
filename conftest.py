# SPDX-License-Identifier: BSD-3-Clause
"""Repository-wide pytest set-up, loaded before any test or doctest module."""

import os

# scikit-learn's check_array_api_input only runs when SciPy's array API
# support is switched on, and SciPy reads this variable once, at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
