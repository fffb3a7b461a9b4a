# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest

from sklearn_rnn import RNNRegressor

FAST = dict(hidden_size=16, max_epochs=30, lr=1e-2, random_state=0)


def test_learns_a_sequence_function(rng):
    X = rng.uniform(-1, 1, size=(300, 10))
    y = X[:, -3:].sum(axis=1) - X[:, 0]
    reg = RNNRegressor(**FAST).fit(X[:200], y[:200])
    assert reg.score(X[200:], y[200:]) > 0.8


def test_targets_are_standardised_and_returned_in_original_units(rng):
    X = rng.normal(size=(200, 6))
    y = 1e4 + 500 * X.sum(axis=1)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.predict(X).mean() == pytest.approx(1e4, rel=0.02)
    assert reg.score(X, y) > 0.8
    # The network trained on the standardised target.
    assert reg.loss_curve_[-1] < 0.2


@pytest.mark.parametrize("y_shape", [(200,), (200, 1), (200, 3)])
def test_y_shape_round_trip(y_shape, rng):
    X = rng.normal(size=(200, 6))
    base = X.sum(axis=1)
    y = (
        base
        if len(y_shape) == 1
        else np.stack([base * (k + 1) for k in range(y_shape[1])], 1)
    )
    reg = RNNRegressor(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y_shape and pred.dtype == np.float64


def test_constant_target(rng):
    X = rng.normal(size=(30, 4))
    # The standardised target is all zeros (a zero spread is not divided by).
    reg = RNNRegressor(hidden_size=4, max_epochs=100, lr=1e-2, random_state=0)
    reg.fit(X, np.full(30, 7.0))
    assert reg._y_scale == 1.0
    np.testing.assert_allclose(reg.predict(X), 7.0, atol=0.05)


def test_rejects_bad_targets(rng):
    X = rng.normal(size=(20, 4))
    reg = RNNRegressor(hidden_size=4, max_epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(X, np.r_[np.nan, np.ones(19)])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        reg.fit(X, np.ones((20, 4, 2)))
    with pytest.raises(ValueError, match="one target per time step"):
        RNNRegressor(return_sequences=True, max_epochs=1).fit(X, np.ones((20, 3)))
