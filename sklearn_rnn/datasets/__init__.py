# SPDX-License-Identifier: BSD-3-Clause
"""Data generators and small bundled data sets."""

from sklearn_rnn.datasets._bundled import (
    load_airline_passengers,
    load_grunfeld,
    load_nile,
)
from sklearn_rnn.datasets._generators import make_sine_series
from sklearn_rnn.datasets._python_source import load_python_source
from sklearn_rnn.datasets._text_pairs import make_addition_pairs, make_date_pairs

__all__ = [
    "load_airline_passengers",
    "load_grunfeld",
    "load_nile",
    "load_python_source",
    "make_addition_pairs",
    "make_date_pairs",
    "make_sine_series",
]
