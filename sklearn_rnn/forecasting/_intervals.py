# SPDX-License-Identifier: BSD-3-Clause
"""Split-conformal prediction intervals."""

import numpy as np


def _conformal_bounds(residuals, coverage):
    """Symmetric split-conformal bounds per column (step ahead).

    With ``n`` residuals per step, the half-width is the absolute residual
    of rank ``ceil((n + 1) * coverage)``: the finite-sample correction that
    gives exchangeable residuals at least the nominal coverage (Lei et al.,
    2018). The interval is centred on the forecast, so a bias of the model
    that produced the residuals widens it rather than moving it off the
    forecast. When ``n`` is too small for that rank (below
    :func:`min_residuals`), the largest residual stands in for it and the
    coverage can fall short.
    """
    n = len(residuals)
    ordered = np.sort(np.abs(residuals), axis=0)
    # The tolerance keeps 0.9 * 20 = 18.000000000000004 from moving a rank.
    rank = int(np.ceil((n + 1) * coverage - 1e-9))
    half_width = ordered[min(rank, n) - 1]
    return np.stack([-half_width, half_width])


def min_residuals(coverage):
    """The fewest residuals whose conformal rank is one of them:
    ``coverage / (1 - coverage)`` rounded up, 9 for 0.9."""
    return int(np.ceil(coverage / (1 - coverage) - 1e-9))
