# SPDX-License-Identifier: BSD-3-Clause
"""sample_weight in PanelForecaster.fit: weights of the rows of y."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.pipeline import Pipeline

from sklearn_rnn import RNNRegressor
from sklearn_rnn.forecasting import PanelForecaster

# Full batch: a window of zero weight is then exactly an absent window.
FULL_BATCH = dict(cell="gru", hidden_size=4, max_epochs=3, lr=1e-2, batch_size=4096)


def _panel(n_series=4, n=36, seed=0):
    rng = np.random.RandomState(seed)
    months = pd.period_range("2000-01", periods=n, freq="M")
    parts = []
    for s in range(n_series):
        values = (20 + 5 * s) * np.exp(0.05 * rng.randn(n).cumsum())
        index = pd.MultiIndex.from_arrays(
            [[f"s{s}"] * n, months], names=["id", "month"]
        )
        parts.append(pd.Series(values, index=index, name="sales"))
    return pd.concat(parts)


def _model(**params):
    # The absolute error: loss="mase" multiplies the weights (tested below).
    params.setdefault("loss", "mae")
    params = dict(window=6, horizon=3, n_estimators=1, calibration="none", **params)
    return PanelForecaster(RNNRegressor(**FULL_BATCH), random_state=0, **params)


@pytest.fixture
def received(monkeypatch):
    """The sample_weight each network's fit received."""
    calls = []
    fit = RNNRegressor.fit

    def spy(self, X, y, sample_weight=None):
        calls.append(sample_weight)
        return fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(RNNRegressor, "fit", spy)
    return calls


def test_windows_get_the_mean_weight_of_their_target_rows(received):
    y = _panel(n_series=2, n=20)
    w = np.arange(len(y), dtype=float)
    _model().fit(None, y, sample_weight=w)
    (got,) = received
    # Window with origin t of series s predicts rows t, t + 1, t + 2 of s.
    expected = [
        w[20 * s + t : 20 * s + t + 3].mean() for s in range(2) for t in range(6, 18)
    ]
    np.testing.assert_allclose(got, expected)


def test_the_mase_loss_multiplies_the_row_weights(received):
    y = _panel(n_series=2, n=20)
    w = np.arange(len(y), dtype=float)
    _model().fit(None, y, sample_weight=w)
    _model(loss="mase").fit(None, y)
    _model(loss="mase").fit(None, y, sample_weight=w)
    plain, mase, both = received
    assert plain is not None and mase is not None
    np.testing.assert_allclose(both, plain * mase)


def test_weights_follow_their_rows_in_any_row_order(received):
    y = _panel(n_series=3, n=20)
    w = np.random.RandomState(0).uniform(size=len(y))
    _model().fit(None, y, sample_weight=w)
    shuffle = np.random.RandomState(1).permutation(len(y))
    _model().fit(None, y.iloc[shuffle], sample_weight=w[shuffle])
    np.testing.assert_allclose(received[0], received[1])


def test_zero_weight_series_is_as_if_absent():
    y = _panel()
    w = np.where(y.index.get_level_values("id") == "s0", 0.0, 1.0)
    weighted = _model().fit(None, y, sample_weight=w)
    absent = _model().fit(None, y.drop("s0", level="id"))
    a = weighted.forecast().set_index("id").drop("s0")
    b = absent.forecast().set_index("id")
    np.testing.assert_allclose(a["forecast"], b["forecast"], rtol=1e-4)
    plain = _model().fit(None, y).forecast().set_index("id").drop("s0")
    assert not np.allclose(plain["forecast"], b["forecast"], rtol=1e-4)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(5), "sample_weight.shape"),
        (-np.ones(144), "Negative values"),
        (np.zeros(144), "non-zero"),
        (np.r_[np.nan, np.ones(143)], "NaN"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    model = _model()
    with pytest.raises(ValueError, match=message):
        model.fit(None, _panel(), sample_weight=weights)
    assert not hasattr(model, "estimators_")


def test_metadata_routing_through_a_pipeline():
    y = _panel()
    w = np.linspace(0, 2, len(y))
    direct = _model().fit(None, y, sample_weight=w).forecast()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([("f", _model().set_fit_request(sample_weight=True))])
        pipe.fit(None, y, sample_weight=w)
        pd.testing.assert_frame_equal(pipe[-1].forecast(), direct)
