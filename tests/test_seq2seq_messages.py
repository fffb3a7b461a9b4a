# SPDX-License-Identifier: BSD-3-Clause
"""Seq2SeqTransformer names the real problem of bad input at fit."""

import numpy as np
import pytest

from sklearn_rnn import Seq2SeqTransformer

TINY = dict(hidden_size=4, max_epochs=1, random_state=0)


def _X(n=8):
    return np.random.RandomState(0).normal(size=(n, 5))


@pytest.mark.parametrize("value", [1e300, -1e300, 1e200])
def test_overflowing_numeric_target_is_refused_at_fit(value):
    X = _X()
    y = X[:, :3].copy()
    y[0, 1] = value
    est = Seq2SeqTransformer(**TINY)
    with pytest.raises(ValueError, match="y has values too large to standardise"):
        est.fit(X, y)
    assert not hasattr(est, "net_")


def test_large_but_representable_target_still_fits():
    X = _X()
    est = Seq2SeqTransformer(**TINY).fit(X, X[:, :3] * 1e30)
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize(
    "X, y, where",
    [
        (["ab", "ba", None, "c"], ["x", "y", "z", "w"], r"X\[2\] is None"),
        (["ab", "ba", "a", "c"], ["x", None, "z", "w"], r"y\[1\] is None"),
        (["ab", "ba", float("nan"), "c"], ["x"] * 4, r"X\[2\] is nan"),
        ([["a", None], ["b"], ["c"], ["a"]], ["x"] * 4, r"X\[0\]\[1\] is None"),
        (["ab", "ba", "a", "c"], [["x"], [None], ["z"], ["w"]], r"y\[1\]\[0\] is None"),
    ],
)
def test_strings_with_missing_values_are_named(X, y, where):
    with pytest.raises(ValueError, match=where) as info:
        Seq2SeqTransformer(**TINY).fit(X, y)
    msg = str(info.value)
    assert "must be a string" in msg and "Missing values" in msg
    assert "could not convert" not in msg


def test_numeric_lists_are_still_numbers():
    X = _X(4)
    y = [[1.0, 2.0], [3.0, 4.0], [1.0, 1.0], [2.0, 2.0]]
    assert Seq2SeqTransformer(**TINY).fit(X, y).predict(X).shape == (4, 2)
