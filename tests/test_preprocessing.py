# SPDX-License-Identifier: BSD-3-Clause
"""SequenceScaler: StandardScaler over all time steps, in every layout."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn.preprocessing import SequenceScaler


@parametrize_with_checks([SequenceScaler(), SequenceScaler(with_mean=False)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_param_validation():
    check_param_validation("SequenceScaler", SequenceScaler())


def _ragged(rng, n_features=3, lengths=(4, 9, 2, 6)):
    return [
        rng.normal(loc=[5.0, -2.0, 100.0][:n_features], size=(n, n_features))
        * [1.0, 10.0, 0.1][:n_features]
        for n in lengths
    ]


def test_2d_is_one_feature_over_all_values(rng):
    X = rng.normal(3.0, 2.0, size=(6, 5))
    scaler = SequenceScaler().fit(X)
    reference = StandardScaler().fit(X.reshape(-1, 1))
    assert scaler.n_features_in_ == 5
    assert_allclose(scaler.mean_, reference.mean_)
    assert_allclose(scaler.scale_, reference.scale_)
    Xt = scaler.transform(X)
    assert Xt.shape == X.shape
    assert_allclose(Xt, reference.transform(X.reshape(-1, 1)).reshape(X.shape))
    assert_allclose(Xt.mean(), 0.0, atol=1e-12)
    assert_allclose(Xt.std(), 1.0)


def test_3d_scales_each_feature_over_samples_and_steps(rng):
    X = np.stack(_ragged(rng, lengths=(7,) * 5))
    scaler = SequenceScaler().fit(X)
    reference = StandardScaler().fit(X.reshape(-1, 3))
    assert scaler.n_features_in_ == 3
    assert_allclose(scaler.mean_, reference.mean_)
    assert_allclose(scaler.var_, reference.var_)
    Xt = scaler.transform(X)
    assert Xt.shape == X.shape
    assert_allclose(Xt, reference.transform(X.reshape(-1, 3)).reshape(X.shape))


def test_ragged_statistics_use_real_steps_only(rng):
    X = _ragged(rng)
    scaler = SequenceScaler().fit(X)
    reference = StandardScaler().fit(np.vstack(X))
    assert_allclose(scaler.mean_, reference.mean_)
    assert_allclose(scaler.scale_, reference.scale_)
    assert_array_equal(scaler.n_samples_seen_, [21, 21, 21])
    Xt = scaler.transform(X)
    assert isinstance(Xt, list)
    assert [x.shape for x in Xt] == [x.shape for x in X]
    for x, xt in zip(X, Xt):
        assert_allclose(xt, reference.transform(x))
    # The zero padding of the same sequences would shift the statistics.
    padded = np.zeros((len(X), 9, 3))
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    assert not np.allclose(SequenceScaler().fit(padded).mean_, scaler.mean_)


def test_ragged_univariate_1d_sequences(rng):
    X = [rng.normal(10.0, 3.0, size=n) for n in (3, 8, 5)]
    Xt = SequenceScaler().fit_transform(X)
    assert [x.shape for x in Xt] == [(3,), (8,), (5,)]
    assert_allclose(np.concatenate(Xt).mean(), 0.0, atol=1e-12)
    assert_allclose(np.concatenate(Xt).std(), 1.0)


@pytest.mark.parametrize("container", ["series", "object_array"])
def test_sequence_column_keeps_its_container(rng, container):
    sequences = _ragged(rng)
    if container == "series":
        X = pd.Series(sequences, index=[10, 11, 12, 13], name="seq", dtype=object)
    else:
        X = np.empty(len(sequences), dtype=object)
        X[:] = sequences
    Xt = SequenceScaler().fit_transform(X)
    expected = SequenceScaler().fit_transform(sequences)
    if container == "series":
        assert isinstance(Xt, pd.Series)
        assert Xt.name == "seq"
        assert list(Xt.index) == [10, 11, 12, 13]
    else:
        assert isinstance(Xt, np.ndarray) and Xt.dtype == object
    for got, want in zip(Xt, expected):
        assert_allclose(got, want)


def test_dataframe_names_and_pandas_output(rng):
    X = pd.DataFrame(rng.normal(size=(5, 4)), columns=["t0", "t1", "t2", "t3"])
    scaler = SequenceScaler().fit(X)
    assert_array_equal(scaler.feature_names_in_, X.columns)
    assert_array_equal(scaler.get_feature_names_out(), X.columns)
    out = clone(scaler).set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert_allclose(out.to_numpy(), scaler.transform(X))
    # Sequences in the same layout (4 steps of one feature) are no table.
    pandas = clone(scaler).set_output(transform="pandas").fit(X)
    for sequences in (X.to_numpy()[:, :, None], list(X.to_numpy()[:, :, None])):
        with pytest.raises(ValueError, match="fitted on a 2-D table"):
            pandas.transform(sequences)


def test_no_feature_names_for_sequences(rng):
    scaler = SequenceScaler()
    assert hasattr(scaler, "get_feature_names_out")  # unfitted: set_output works
    scaler.fit(_ragged(rng))
    assert not hasattr(scaler, "get_feature_names_out")
    # A pandas output configuration cannot make a table of sequences: the
    # sequences come back as they are.
    X = np.stack(_ragged(rng, lengths=(4,) * 3))
    out = SequenceScaler().set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, np.ndarray) and out.shape == X.shape


@pytest.mark.parametrize("layout", ["2d", "3d", "list"])
def test_inverse_transform_round_trips(rng, layout):
    X = {
        "2d": rng.normal(4.0, 3.0, size=(5, 6)),
        "3d": np.stack(_ragged(rng, lengths=(6,) * 4)),
        "list": _ragged(rng),
    }[layout]
    scaler = SequenceScaler().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    if layout == "list":
        for b, x in zip(back, X):
            assert_allclose(b, x)
    else:
        assert_allclose(back, X)


def test_nan_is_ignored_in_fit_and_kept(rng):
    X = np.stack(_ragged(rng, lengths=(5,) * 4))
    X[0, 1, 0] = X[2, 3, 2] = np.nan
    scaler = SequenceScaler().fit(X)
    reference = StandardScaler().fit(X.reshape(-1, 3))
    assert_allclose(scaler.mean_, reference.mean_)
    assert_allclose(scaler.scale_, reference.scale_)
    assert_array_equal(scaler.n_samples_seen_, [19, 20, 19])
    Xt = scaler.transform(X)
    assert_array_equal(np.isnan(Xt), np.isnan(X))


def test_with_mean_with_std_and_constant_feature(rng):
    X = np.stack(_ragged(rng, lengths=(5,) * 4))
    X[..., 1] = 7.0
    Xt = SequenceScaler().fit_transform(X)
    assert_allclose(Xt[..., 1], 0.0)  # constant: centred, divided by 1
    only_std = SequenceScaler(with_mean=False).fit(X)
    assert_allclose(only_std.transform(X), X / only_std.scale_)
    only_mean = SequenceScaler(with_std=False).fit(X)
    assert only_mean.scale_ is None
    assert_allclose(only_mean.transform(X), X - only_mean.mean_)
    assert_allclose(SequenceScaler(with_mean=False, with_std=False).fit_transform(X), X)


def test_dtype_preserved_and_input_untouched(rng):
    X = [x.astype(np.float32) for x in _ragged(rng)]
    copies = [x.copy() for x in X]
    Xt = SequenceScaler().fit_transform(X)
    assert all(x.dtype == np.float32 for x in Xt)
    for x, c in zip(X, copies):
        assert_array_equal(x, c)


def test_bad_input_is_named(rng):
    scaler = SequenceScaler().fit(np.stack(_ragged(rng, lengths=(4,) * 3)))
    with pytest.raises(ValueError, match="2 features per time step"):
        scaler.transform(np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="same number of features"):
        SequenceScaler().fit([np.zeros((3, 2)), np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"X\[1\] has shape \(0, 2\)"):
        SequenceScaler().fit([np.ones((3, 2)), np.ones((0, 2))])
    with pytest.raises(ValueError, match="infinity"):
        SequenceScaler().fit([np.ones((3, 2)), np.full((2, 2), np.inf)])
    with pytest.raises(ValueError, match="is expecting 5 features"):
        SequenceScaler().fit(np.ones((3, 5))).transform(np.ones((3, 4)))
    # Univariate sequences fitted as rows scale univariate sequences of any
    # length given as a list.
    fitted_2d = SequenceScaler().fit(rng.normal(size=(4, 5)))
    assert [x.shape for x in fitted_2d.transform([np.ones(3), np.ones(7)])] == [
        (3,),
        (7,),
    ]


def _sorted_problem(rng, ragged):
    """Two classes told apart by the mean of a badly scaled feature."""
    lengths = rng.randint(4, 9, size=40) if ragged else np.full(40, 6)
    y = np.arange(40) % 2
    X = [
        np.column_stack(
            [
                1000.0 + 50.0 * (label + rng.normal(0, 0.3, size=n)),
                rng.normal(size=n),
            ]
        )
        for n, label in zip(lengths, y)
    ]
    return (X if ragged else np.stack(X)), y


@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_pipeline_in_front_of_estimators(rng, ragged, Estimator):
    X, y = _sorted_problem(rng, ragged)
    params = dict(hidden_size=8, max_epochs=3, random_state=0)
    pipe = make_pipeline(SequenceScaler(), Estimator(**params)).fit(X, y)
    # The estimator sees exactly what the scaler makes of X.
    Xs = SequenceScaler().fit_transform(X)
    alone = Estimator(**params).fit(Xs, y)
    assert_allclose(pipe.predict(X[:5]), alone.predict(Xs[:5]))
    assert pipe.score(X, y) == pytest.approx(alone.score(Xs, y))


def test_pipeline_scaling_helps_a_badly_scaled_problem(rng):
    X, y = _sorted_problem(rng, ragged=True)
    params = dict(hidden_size=8, max_epochs=30, lr=1e-2, random_state=0)
    scaled = make_pipeline(SequenceScaler(), RNNClassifier(**params)).fit(X, y)
    assert scaled.score(X, y) >= 0.9


@pytest.mark.parametrize("ragged", [False, True])
def test_chunked_statistics_equal_those_of_all_steps_at_once(rng, ragged):
    # The estimators' ``scale`` reads the training rows a chunk at a time
    # (memory bounded for windows of a long series): the pooled statistics
    # must be those of all the real steps of the chosen rows.
    from sklearn_rnn.utils._statistics import feature_statistics, sequence_statistics

    X = rng.normal(5.0, 3.0, size=(300, 17, 3))
    X[:, :, 1] = 7.0  # constant: scale 1
    lengths = rng.randint(1, 18, size=300) if ragged else None
    rows = rng.permutation(300)[:250]
    real = np.arange(17) < (17 if lengths is None else lengths[rows][:, None])
    expected = feature_statistics(X[rows][np.broadcast_to(real, (250, 17))])
    for chunk_values in (1, 17 * 3 * 7, 10**9):
        got = sequence_statistics(X, lengths, rows, chunk_values=chunk_values)
        assert_array_equal(got[0], expected[0])
        for a, b in zip(got[1:], expected[1:]):
            assert_allclose(a, b, rtol=1e-12)
    assert_array_equal(
        sequence_statistics(X, lengths, slice(0, 250))[0],
        sequence_statistics(X, lengths, np.arange(250))[0],
    )
    # Weights: 0 is absent, an integer is repeated rows, in any chunking.
    weights = rng.randint(0, 4, size=250)
    repeated = np.repeat(rows, weights)
    kept = np.arange(17) < (17 if lengths is None else lengths[repeated][:, None])
    as_repeated = feature_statistics(
        X[repeated][np.broadcast_to(kept, (len(repeated), 17))]
    )
    for chunk_values in (1, 17 * 3 * 7, 10**9):
        got = sequence_statistics(X, lengths, rows, weights, chunk_values)
        assert_allclose(got[0], as_repeated[0])
        for a, b in zip(got[1:], as_repeated[1:]):
            assert_allclose(a, b, rtol=1e-12)
