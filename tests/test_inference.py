# SPDX-License-Identifier: BSD-3-Clause
"""Prediction in production: unseen labels, tokens and lengths, very large
calls in bounded memory, and concurrent calls from several threads."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _cases import CASES

from sklearn_rnn import NGramLanguageModel, RNNClassifier, RNNRegressor, _base
from sklearn_rnn._modules import RecurrentNetwork

TINY = dict(hidden_size=4, max_epochs=2, random_state=0)


# ----------------------------------------------------------------------
# Unseen labels, tokens and lengths
# ----------------------------------------------------------------------
def test_labels_never_seen_count_as_errors_and_are_never_predicted():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    y = np.where(X.sum(axis=1) > 0, "up", "down")
    clf = RNNClassifier(**TINY).fit(X, y)
    pred = clf.predict(X)
    assert set(pred) <= {"up", "down"}
    y_new = y.copy()
    y_new[:10] = "sideways"  # a label the model never saw
    expected = np.mean(pred[10:] == y_new[10:]) * 30 / 40
    assert clf.score(X, y_new) == pytest.approx(expected)
    # Labels of another type cannot be compared: scikit-learn says so.
    with pytest.raises(ValueError, match="Mix of label input types"):
        clf.score(X, np.full(40, 7))


def test_token_ids_beyond_the_vocabulary():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 6, size=(30, 4))
    reg = RNNRegressor(embedding_dim=3, **TINY).fit(X, X[:, -1] * 1.0)
    with pytest.raises(ValueError, match="outside the vocabulary of 6 ids"):
        reg.predict(np.array([[1, 2, 6, 0]]))
    # Reserving ids with vocab_size makes later ids valid (untrained rows).
    wide = RNNRegressor(embedding_dim=3, vocab_size=10, **TINY).fit(X, X[:, -1] * 1.0)
    assert np.isfinite(wide.predict(np.array([[1, 2, 9, 0]]))).all()


def test_ngram_maps_unseen_tokens_to_unk():
    lm = NGramLanguageModel(order=2).fit(["the cat sat", "the dog sat"])
    np.testing.assert_array_equal(
        lm.predict_proba(["zebra"]), lm.predict_proba(["<unk>"])
    )
    np.testing.assert_array_equal(
        lm.score_samples(["the zebra sat"]), lm.score_samples(["the aardvark sat"])
    )


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_sequences_longer_than_in_training(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 1))
    y = X.sum(axis=(1, 2))
    y = y if Estimator is RNNRegressor else y > 0
    est = Estimator(**TINY).fit(X, y)
    long = rng.normal(size=(3, 200, 1))  # 40 times longer than any seen
    out = est.predict(long)
    assert len(out) == 3
    # Every step is read: changing the last one changes the output.
    changed = long.copy()
    changed[:, -1] += 5.0
    raw = est.predict_proba if Estimator is RNNClassifier else est.predict
    assert not np.allclose(raw(changed), raw(long))
    # Ragged, with one very long sequence among short ones: same results.
    ragged = [long[0], long[1][:3], long[2]]
    np.testing.assert_allclose(
        raw(ragged)[[0, 2]], raw(long)[[0, 2]], rtol=1e-5, atol=1e-6
    )


def test_2d_model_explains_that_it_needs_fixed_length_rows():
    X = np.random.RandomState(0).normal(size=(30, 6))
    reg = RNNRegressor(**TINY).fit(X, X.sum(axis=1))
    with pytest.raises(
        ValueError,
        match="X has 9 features, but RNNRegressor is "
        "expecting 6 features.*fitted on a 2-D X.*3-D X",
    ):
        reg.predict(np.zeros((2, 9)))


# ----------------------------------------------------------------------
# Bounded memory
# ----------------------------------------------------------------------
def test_a_million_sequences_are_predicted_in_fixed_blocks(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    reg = RNNRegressor(**TINY).fit(X, X.sum(axis=1))
    sizes = []
    original = RecurrentNetwork.forward

    def recording_forward(self, X, lengths=None):
        sizes.append(X.shape[0])
        return original(self, X, lengths)

    monkeypatch.setattr(RecurrentNetwork, "forward", recording_forward)
    n = 1_000_000
    X_big = np.tile(X, (n // len(X), 1))
    pred = reg.predict(X_big)
    assert pred.shape == (n,)
    block = _base._INFERENCE_BATCH_SIZE
    # Activations are only ever held for one block of 512 sequences: the
    # full (n, T, hidden) activation tensor is never allocated at once.
    assert max(sizes) == block and set(sizes) == {block}
    assert len(sizes) == -(-n // block)
    # Blocking does not change results: sample 999,999 predicts as alone.
    np.testing.assert_array_equal(pred[-1:], reg.predict(X_big[-1:]))
    np.testing.assert_array_equal(pred[:200], pred[200:400])


# ----------------------------------------------------------------------
# Threads
# ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_concurrent_predictions_match_sequential_ones(case):
    est = case.fitted()
    sequential = case.output(est)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: case.output(est), range(12)))
    for result in results:
        np.testing.assert_array_equal(result, sequential)


def test_concurrent_predictions_on_different_inputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8))
    clf = RNNClassifier(**TINY).fit(X, X.sum(axis=1) > 0)
    chunks = [rng.normal(size=(50 + 40 * i, 8)) for i in range(8)]
    sequential = [clf.predict_proba(c) for c in chunks]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(clf.predict_proba, chunks))
    for a, b in zip(concurrent, sequential):
        np.testing.assert_array_equal(a, b)
