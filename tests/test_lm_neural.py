# SPDX-License-Identifier: BSD-3-Clause
"""Tests of NeuralLanguageModel, the neural backbones of the language models."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklearn_rnn import NeuralLanguageModel, NGramLanguageModel
from sklearn_rnn._modules import RecurrentLanguageModel
from sklearn_rnn.lm._neural import (
    RecurrentBackbone,
    TokenStreamDataset,
    WindowBackbone,
    pad_sentences,
    windows,
)

NEURAL = ["lstm", "gru", "rnn", "mlp"]
# The tests were written for NGramLanguageModel(backbone=...): its former
# defaults of max_epochs, clip_grad_norm and n_iter_no_change keep them as
# they were.
TINY = dict(
    hidden_size=16,
    embedding_dim=8,
    lr=1e-2,
    random_state=0,
    max_epochs=10,
    clip_grad_norm=1.0,
    n_iter_no_change=3,
)


def _fit(backbone, X, **params):
    return NeuralLanguageModel(backbone=backbone, **{**TINY, **params}).fit(X)


def _long_range_corpus(n=60, gap=5, seed=0):
    """Sentences "A m m m m m A" or "B m ... B": the last word repeats the
    first, which only a model remembering more than ``gap`` tokens predicts."""
    rng = np.random.RandomState(seed)
    first = rng.choice(["A", "B"], size=n)
    return [" ".join([f] + ["m"] * gap + [f]) for f in first]


# ----------------------------------------------------------------------
# Learning
# ----------------------------------------------------------------------
@pytest.mark.parametrize("backbone", NEURAL)
def test_learns_a_deterministic_language(backbone):
    # Every token is determined by the one before it: perplexity -> 1.
    corpus = ["a b c d e f g"] * 40
    lm = _fit(backbone, corpus, order=2, max_epochs=25)
    assert lm.perplexity(corpus) < 1.1
    assert lm.generate(8, temperature=0) == list("abcdefg") + ["</s>"]
    assert lm.loss_curve_[-1] < lm.loss_curve_[0]
    assert lm.n_iter_ == 25 and lm.validation_scores_ is None


@pytest.mark.parametrize("backbone", ["lstm", "gru"])
def test_recurrent_backbones_remember_beyond_the_order(backbone):
    corpus = _long_range_corpus()
    # Only the first token is random: the best perplexity is 2 ** (1 / 8).
    ideal = 2 ** (1 / 8)
    lm = _fit(backbone, corpus, max_epochs=30, batch_size=8)
    trigram = NGramLanguageModel(order=3).fit(corpus)
    assert lm.perplexity(corpus) < ideal + 0.05
    assert trigram.perplexity(corpus) > ideal + 0.1
    assert lm.predict(["A m m m m m", "B m m m m m"]).tolist() == ["A", "B"]


# ----------------------------------------------------------------------
# Probabilities
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted():
    corpus = ["the cat sat on the mat", "the dog sat on the log", "a cat ate"] * 5
    return {b: _fit(b, corpus, order=3, max_epochs=3, bptt=3) for b in NEURAL}, corpus


@pytest.mark.parametrize("backbone", NEURAL)
def test_probabilities_sum_to_one(fitted, backbone):
    lm = fitted[0][backbone]
    contexts = ["", "the", "the cat sat on the", "zebra", "the unseen words here"]
    proba = lm.predict_proba(contexts)
    assert proba.shape == (len(contexts), len(lm.classes_))
    assert np.all(proba > 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(lm.predict_log_proba(contexts), np.log(proba))
    assert lm.predict(contexts).tolist() == lm.classes_[proba.argmax(1)].tolist()


@pytest.mark.parametrize("backbone", NEURAL)
def test_score_samples_agrees_with_predict_proba(fitted, backbone):
    lm, corpus = fitted[0][backbone], fitted[1]
    sentences = corpus[:3] + ["", "the zebra sat"]
    expected = []
    for s in sentences:
        tokens = s.split()
        contexts = [tokens[:i] for i in range(len(tokens) + 1)]
        proba = lm.predict_proba(contexts)
        targets = [t if t in set(lm.classes_) else "<unk>" for t in tokens]
        idx = pd.Index(lm.classes_).get_indexer(targets + ["</s>"])
        expected.append(np.log(proba[np.arange(len(idx)), idx]).sum())
    np.testing.assert_allclose(lm.score_samples(sentences), expected, rtol=1e-10)
    n_tokens = sum(len(s.split()) + 1 for s in sentences)
    np.testing.assert_allclose(lm.score(sentences), sum(expected) / n_tokens)
    np.testing.assert_allclose(lm.perplexity(sentences), np.exp(-lm.score(sentences)))


@pytest.mark.parametrize("backbone", NEURAL)
def test_unknown_words_are_scored_as_unk(fitted, backbone):
    lm = fitted[0][backbone]
    assert "<unk>" in lm.classes_
    np.testing.assert_array_equal(
        lm.predict_proba(["the zebra"]), lm.predict_proba(["the <unk>"])
    )
    ppl = lm.perplexity(["the zebra sat on the giraffe"])
    assert np.isfinite(ppl) and ppl > 1
    # min_count maps rare training words to <unk>, which is then learned
    rare = _fit(backbone, fitted[1] + ["the emu"], min_count=2, max_epochs=2)
    assert "emu" not in rare.classes_


def test_truncated_bptt_scores_whole_sentences_exactly(fitted):
    # Scoring in chunks of bptt=3 tokens, the state carried across chunks,
    # gives the log-probabilities of reading each sentence in one go.
    lm, corpus = fitted[0]["lstm"], fitted[1]
    chunked = lm.score_samples(corpus)
    lm._network.width_ = 1000
    try:
        whole = lm.score_samples(corpus)
    finally:
        lm._network.width_ = 3
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)


def test_carried_state_continues_the_sequence():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = RecurrentLanguageModel(
            vocab_size=7, n_classes=6, embedding_dim=4, hidden_size=5, num_layers=2
        )
        X = torch.randint(0, 7, (3, 8))
    whole = module(X)
    lanes = torch.arange(3)
    first = module(X[:, :5], torch.full((3,), 5), lanes, torch.zeros(3, dtype=bool))
    second = module(X[:, 5:], torch.full((3,), 3), lanes, torch.ones(3, dtype=bool))
    torch.testing.assert_close(torch.cat([first, second], 1), whole)
    # a row that does not carry starts afresh
    fresh = module(X[:, 5:], None, lanes, torch.tensor([True, False, True]))
    torch.testing.assert_close(fresh[1], module(X[1:2, 5:])[0])


def test_lane_plan_covers_every_chunk_in_order():
    sizes = np.array([1, 7, 3, 12, 2, 5])
    starts = np.cumsum(sizes) - sizes
    data = TokenStreamDataset(
        np.arange(sizes.sum()), np.arange(sizes.sum()), starts, sizes, 4, 10
    )
    order = np.random.RandomState(0).permutation(len(sizes))
    (start, size, lane, carry), bounds = data.plan(order, 3)
    # every position exactly once
    covered = np.concatenate([np.arange(a, a + n) for a, n in zip(start, size)])
    np.testing.assert_array_equal(np.sort(covered), np.arange(sizes.sum()))
    assert size.max() <= 4
    batch = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    for b in range(len(bounds) - 1):  # one chunk per lane and batch
        assert len(set(lane[batch == b])) == (batch == b).sum()
    # a carrying chunk continues, in the next batch and the same lane, the
    # chunk that ended right before it
    for i in np.flatnonzero(carry):
        prev = np.flatnonzero((lane == lane[i]) & (batch == batch[i] - 1))
        assert len(prev) == 1 and start[prev[0]] + size[prev[0]] == start[i]
    assert not carry[np.isin(start, starts)].any()


def test_windows_and_padded_sentences():
    ids, lengths = np.array([1, 2, 3, 4]), np.array([3, 0, 1])
    inputs, targets, starts = pad_sentences(ids, lengths, bos=9, eos=8)
    assert inputs.tolist() == [9, 1, 2, 3, 9, 9, 4]
    assert targets.tolist() == [1, 2, 3, 8, 8, 4, 8]
    assert starts.tolist() == [0, 4, 5]
    X, y = windows(ids, lengths, 2, bos=9, eos=8)
    assert X.tolist() == [[9, 9], [9, 1], [1, 2], [2, 3], [9, 9], [9, 9], [9, 4]]
    assert y.tolist() == targets.tolist()


def test_mlp_uses_only_the_last_order_minus_one_tokens(fitted):
    lm = fitted[0]["mlp"]
    np.testing.assert_array_equal(
        lm.predict_proba(["the cat sat on the"]), lm.predict_proba(["a dog on the"])
    )
    assert not np.allclose(
        lm.predict_proba(["the cat sat on the"]), lm.predict_proba(["the"])
    )


def test_mlp_of_order_1_is_a_unigram_model():
    # "a" is always followed by "b": a window over the previous token would
    # learn it, a unigram model must not (its only input is a constant <s>).
    corpus = ["a b c"] * 20 + ["c a b"] * 20
    lm = _fit("mlp", corpus, order=1, max_epochs=30, lr=5e-2)
    contexts = ["", "a", "b", "x y c", "c a"]
    proba = lm.predict_proba(contexts)
    np.testing.assert_allclose(proba, np.repeat(proba[:1], len(contexts), 0))
    # close to the unigram frequencies: a, b, c and </s> a quarter each
    classes = list(lm.classes_)
    columns = [classes.index(t) for t in ("a", "b", "c", "</s>")]
    np.testing.assert_allclose(proba[0, columns], 0.25, atol=0.05)
    # scoring and generation use the same distribution everywhere
    expected = np.log(proba[0, columns]).sum()
    assert lm.score_samples(["a b c"])[0] == pytest.approx(expected, rel=1e-9)
    assert lm.score_samples(["c b a"])[0] == pytest.approx(expected, rel=1e-9)
    greedy = lm.predict([""])[0]
    assert lm.generate(4, seed="a b", temperature=0) == [greedy] * 4


# ----------------------------------------------------------------------
# Input formats, generation, reproducibility
# ----------------------------------------------------------------------
@pytest.mark.parametrize("backbone", ["gru", "mlp"])
def test_characters_and_integer_ids(backbone):
    chars = _fit(backbone, ["abcabc", "bca"] * 5, tokenizer="chars", max_epochs=2)
    assert set(chars.classes_) == {"a", "b", "c", "</s>", "<unk>"}
    assert chars.predict(["ab"])[0] in chars.classes_
    X = np.array([[0, 1, 2], [0, 2, 1]] * 5)
    ids = _fit(backbone, X, max_epochs=2)
    assert ids.n_features_in_ == 3
    np.testing.assert_array_equal(ids.classes_, [0, 1, 2, 3, 4])
    assert ids.predict_proba([[0, 1], [7]]).shape == (2, 5)


@pytest.mark.parametrize("backbone", NEURAL)
def test_generate(fitted, backbone):
    lm = fitted[0][backbone]
    a = lm.generate(50, seed="the", temperature=0.8, random_state=0)
    assert a == lm.generate(50, seed="the", temperature=0.8, random_state=0)
    assert len(a) == 50 and set(a) <= set(lm.classes_)
    assert a != lm.generate(50, seed="the", temperature=0.8, random_state=1)
    greedy = lm.generate(1, seed="the cat", temperature=0)
    assert greedy == lm.predict(["the cat"]).tolist()


@pytest.mark.parametrize("backbone", ["gru", "mlp"])
def test_generate_with_extreme_temperatures(fitted, backbone):
    # log(p) / T overflows for every token: the limit is greedy decoding,
    # never a NaN draw; an infinite temperature is refused.
    lm = fitted[0][backbone]
    greedy = lm.generate(6, seed="the", temperature=0)
    for seed in range(5):
        assert lm.generate(6, seed="the", temperature=1e-310, random_state=seed) == (
            greedy
        )
    with pytest.raises(ValueError, match="temperature must be a finite"):
        lm.generate(3, temperature=float("inf"))


@pytest.mark.parametrize("backbone", ["lstm", "mlp"])
def test_fit_is_reproducible_and_leaves_torch_rng_alone(backbone):
    corpus = _long_range_corpus(20)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = _fit(backbone, corpus, max_epochs=2, dropout=0.2)
    assert torch.equal(torch.get_rng_state(), before)
    b = _fit(backbone, corpus, max_epochs=2, dropout=0.2)
    c = _fit(backbone, corpus, max_epochs=2, dropout=0.2, random_state=1)
    np.testing.assert_array_equal(a.predict_proba(corpus), b.predict_proba(corpus))
    assert not np.allclose(a.predict_proba(corpus), c.predict_proba(corpus))


def test_early_stopping_holds_out_sentences():
    corpus = _long_range_corpus(40)
    lm = _fit(
        "lstm", corpus, max_epochs=50, early_stopping=True, n_iter_no_change=2, lr=0.05
    )
    assert len(lm.validation_scores_) == lm.n_iter_ < 50
    assert lm.best_loss_ == min(lm.validation_scores_)
    with pytest.raises(ValueError, match="validation_fraction"):
        _fit("lstm", ["a b"], early_stopping=True)


def test_refit_switches_backbone_and_failed_fit_changes_nothing():
    corpus = ["a b c", "b c a"] * 5
    lm = NeuralLanguageModel("mlp", order=2, **{**TINY, "max_epochs": 1})
    lm.fit(corpus)
    assert lm.order_ == 2 and isinstance(lm._network, WindowBackbone)
    lm.set_params(backbone="gru").fit(corpus)
    assert lm.order_ is None and isinstance(lm._network, RecurrentBackbone)
    assert hasattr(lm, "net_") and not hasattr(lm, "count_of_counts_")
    proba = lm.predict_proba(["a"])
    with pytest.raises(ValueError, match="reserved"):
        lm.fit(["a </s> b"])
    np.testing.assert_array_equal(lm.predict_proba(["a"]), proba)


def test_pickle(fitted):
    for lm in fitted[0].values():
        clone = pickle.loads(pickle.dumps(lm))
        np.testing.assert_array_equal(
            clone.predict_proba(["the cat", ""]), lm.predict_proba(["the cat", ""])
        )
        assert clone.generate(5, random_state=0) == lm.generate(5, random_state=0)


def test_counting_parameters_are_not_parameters_of_the_networks(fitted):
    # A grid search over smoothing with a network used to do nothing silently.
    lm = fitted[0]["lstm"]
    for name in ("smoothing", "discount", "k", "alpha"):
        assert name not in lm.get_params()
        with pytest.raises(ValueError, match="Invalid parameter"):
            pickle.loads(pickle.dumps(lm)).set_params(**{name: 0.5})
    for name in ("hidden_size", "lr", "max_epochs", "embedding_dim"):
        assert name not in NGramLanguageModel().get_params()


def test_grid_search_over_backbone_and_order():
    corpus = _long_range_corpus(60)
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        NeuralLanguageModel(**{**TINY, "max_epochs": 40}),
        {"backbone": ["mlp", "lstm"], "order": [2, 3]},
        cv=cv,
    ).fit(corpus)
    scores = pd.Series(
        search.cv_results_["mean_test_score"],
        index=[f"{p['backbone']}-{p['order']}" for p in search.cv_results_["params"]],
    )
    for order in (2, 3):
        counted = cross_val_score(NGramLanguageModel(order=order), corpus, cv=cv)
        scores[f"ngram-{order}"] = counted.mean()
    # held-out log-likelihood: the LSTM sees the first word, the n-grams not
    assert search.best_params_["backbone"] == "lstm"
    assert scores.idxmax().startswith("lstm")
    assert scores["lstm-2"] > scores["ngram-3"] > scores["ngram-2"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        _fit("lstm", ["a b"], device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("backbone", ["lstm", "mlp"])
def test_cuda_matches_cpu(backbone):
    corpus = _long_range_corpus(20)
    cpu = _fit(backbone, corpus, max_epochs=2)
    gpu = _fit(backbone, corpus, max_epochs=2, device="cuda")
    assert np.isfinite(gpu.perplexity(corpus))
    np.testing.assert_allclose(gpu.predict_proba(corpus).sum(1), 1.0, rtol=1e-12)
    assert abs(np.log(gpu.perplexity(corpus) / cpu.perplexity(corpus))) < 0.5


@pytest.mark.parametrize("backbone", NEURAL)
def test_numpy_integer_parameters_reach_torch_as_ints(backbone):
    # What a GridSearchCV over np.arange passes.
    corpus = ["a b c", "b c a", "c a b"] * 3
    i = np.int64
    lm = NeuralLanguageModel(
        backbone=backbone,
        hidden_size=i(3),
        embedding_dim=i(2),
        num_layers=i(2),
        order=i(2),
        bptt=i(3),
        batch_size=i(4),
        max_epochs=i(1),
        random_state=0,
    ).fit(corpus)
    assert np.isfinite(lm.score(corpus))
    module = lm.net_.module_
    embedding = module.embedding if backbone == "mlp" else module.encoder.embedding
    assert embedding.embedding_dim == 2


# ----------------------------------------------------------------------
# The deprecated NGramLanguageModel(backbone=...)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("backbone", NEURAL)
def test_deprecated_backbone_returns_the_neural_model(backbone):
    corpus = ["a b c", "b c a", "c a b"] * 3
    with pytest.warns(FutureWarning, match="use NeuralLanguageModel"):
        lm = NGramLanguageModel(
            order=2, backbone=backbone, hidden_size=4, random_state=0
        )
    assert type(lm) is NeuralLanguageModel
    params = lm.get_params()
    # the former defaults of NGramLanguageModel's network parameters
    assert params["backbone"] == backbone and params["hidden_size"] == 4
    assert (params["lr"], params["max_epochs"], params["embedding_dim"]) == (
        2e-3,
        10,
        64,
    )
    assert params["order"] == 2 and params["clip_grad_norm"] == 1.0
    expected = NeuralLanguageModel(**params).fit(corpus)
    np.testing.assert_array_equal(
        lm.fit(corpus).predict_proba(["a"]), expected.predict_proba(["a"])
    )


def test_deprecated_backbone_ngram_warns_at_fit():
    lm = NGramLanguageModel(backbone="ngram")
    with pytest.warns(FutureWarning, match="backbone parameter .* deprecated"):
        lm.fit(["a b"])
    with pytest.raises(TypeError, match="unexpected arguments"):
        NGramLanguageModel(backbone="lstm", bogus=1)
    with pytest.raises(TypeError, match="one positional argument .* 2 were"):
        NGramLanguageModel(2, "mle", backbone="lstm")


def test_version_2_files_of_the_former_model_load_or_are_refused():
    # Written by NGramLanguageModel(backbone=...) before the split
    # (tests/data/make_v2_lm_fixtures.txt): a counting model stays an
    # NGramLanguageModel; a fitted network, whose backbone the training
    # engine redesign declared anew, is refused with a clear message.
    import json
    from pathlib import Path

    from sklearn_rnn.persistence import load

    data = Path(__file__).parent / "data"
    expected = json.loads((data / "v2_lm_expected.json").read_text())
    contexts = ["a b", "c"]
    ngram = load(data / "v2_ngram.skrnn")
    assert type(ngram) is NGramLanguageModel and ngram.k == 0.5
    np.testing.assert_allclose(
        ngram.predict_proba(contexts), expected["ngram"], rtol=1e-12
    )
    ngram.fit(["a b"])  # no FutureWarning: backbone is back to its default
    # A fitted network holds a backbone of the retired layout: refused.
    with pytest.raises(ValueError, match="neural backbone saved in format version 2"):
        load(data / "v2_ngram_lstm.skrnn")
