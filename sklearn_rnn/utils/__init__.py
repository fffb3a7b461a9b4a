# SPDX-License-Identifier: BSD-3-Clause
"""Utilities shared by the sklearn_rnn estimators."""
