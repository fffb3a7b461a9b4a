# SPDX-License-Identifier: BSD-3-Clause
"""The internal layout: window views are trained on without being copied."""

import tracemalloc

import numpy as np
import torch

from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows
from sklearn_rnn._data import SequenceDataset, to_tensor


def _series(n=20_000):
    return np.random.RandomState(0).normal(size=n).cumsum()


def test_to_tensor_keeps_a_window_view_a_view():
    series = _series(1000)
    X, _ = make_windows(series, 50)
    assert not X.flags.writeable and not X.flags.c_contiguous
    tensor = to_tensor(X)
    # The storage is the series (less the last, target-only row), not 951 x 50.
    assert tensor.untyped_storage().nbytes() <= series.nbytes
    assert torch.equal(tensor, torch.from_numpy(np.array(X)))


def test_subset_and_batch_gather_only_their_rows():
    X = to_tensor(np.arange(24.0).reshape(6, 4, 1))  # float64
    y = torch.arange(6.0)
    data = SequenceDataset(X, y=y)
    sub = data.subset([1, 3, 5])
    assert len(sub) == 3 and sub.X is X  # rows are recorded, not copied
    Xi, yi = sub.batch(slice(1, 3))
    assert Xi.dtype == torch.float32 and Xi.is_contiguous()
    np.testing.assert_array_equal(Xi[:, 0, 0].numpy(), [12.0, 20.0])
    np.testing.assert_array_equal(yi.numpy(), [3.0, 5.0])
    Xi, yi = sub.subset([2]).batch(torch.tensor([0]))
    assert Xi[0, 0, 0].item() == 20.0 and yi.item() == 5.0


def _numpy_peak_bytes(fit):
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_training_on_windows_of_a_long_series_does_not_copy_them():
    series = _series()
    X, y = make_windows(series, 100)  # 19,900 windows: 15.9 MB as float64
    params = dict(hidden_size=2, max_epochs=1, batch_size=4096, random_state=0)
    RNNRegressor(**params).fit(X[:20], y[:20])  # imports torch's lazy modules

    def fit_and_predict():
        reg = RNNRegressor(early_stopping=True, **params).fit(X, y)
        reg.predict(X)

    # A copy of the windows in float32 alone would be 8 MB.
    assert _numpy_peak_bytes(fit_and_predict) < X.nbytes / 8

    forecaster = RNNForecaster(
        RNNRegressor(**params), window=100, horizon=1, n_estimators=1
    )
    assert _numpy_peak_bytes(lambda: forecaster.fit(None, series)) < X.nbytes / 8


def test_float64_and_float32_windows_train_the_same_model():
    X, y = make_windows(_series(400), 10)
    params = dict(hidden_size=4, max_epochs=2, random_state=0, scale=False)
    a = RNNRegressor(**params).fit(X, y).predict(X)
    b = RNNRegressor(**params).fit(X.astype(np.float32), y).predict(X)
    np.testing.assert_array_equal(a, b)
    # Input scaling is computed in the precision given, so float32 windows
    # are scaled from slightly different values: the models then agree up
    # to float32 rounding.
    params["scale"] = True
    a = RNNRegressor(**params).fit(X, y).predict(X)
    b = RNNRegressor(**params).fit(X.astype(np.float32), y).predict(X)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(a).max())
