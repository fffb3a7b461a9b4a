# SPDX-License-Identifier: BSD-3-Clause
"""pandas helpers that behave the same across pandas versions."""

import pandas as pd


def infer_freq(index):
    """Return the inferred frequency of a DatetimeIndex as an offset, or None.

    pandas 3 warns that ``infer_freq`` will return an offset instead of a
    string; asking for the offset directly works before and after the switch.
    """
    if index.freq is not None:
        return index.freq
    if len(index) < 3:
        return None
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):  # pandas without the option
        freq = pd.infer_freq(index)
    return None if freq is None else pd.tseries.frequencies.to_offset(freq)
