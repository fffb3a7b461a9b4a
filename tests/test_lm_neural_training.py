# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the recurrent language model's training options: adaptive
softmax, tied weights, the dropouts, the learning-rate schedule, the time
budget, validation data given apart and the length-bucketed batches."""

import io
import warnings

import numpy as np
import pytest
import torch

from sklearn_rnn import NeuralLanguageModel
from sklearn_rnn._modules import LockedDropout, RecurrentLanguageModel
from sklearn_rnn.lm._neural import TokenStreamDataset, adaptive_cutoffs, frequency_rank
from sklearn_rnn.persistence import load

SMALL = dict(hidden_size=12, embedding_dim=8, lr=1e-2, max_epochs=3, random_state=0)

# A corpus with a skewed vocabulary (for the adaptive softmax's clusters)
# and sentences of many lengths (for the padding of the batches).
_WORDS = [f"w{i}" for i in range(30)]


def _corpus(n=80, seed=0):
    rng = np.random.RandomState(seed)
    p = 1.0 / np.arange(1, len(_WORDS) + 1)
    p /= p.sum()
    return [
        " ".join(rng.choice(_WORDS, size=rng.randint(1, 15), p=p)) for _ in range(n)
    ]


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def adaptive(corpus):
    lm = NeuralLanguageModel(softmax="adaptive", cutoffs=[4, 12], **SMALL)
    return lm.fit(corpus)


def _chain_log_prob(lm, sentence):
    """log P(sentence) from predict_proba after each prefix."""
    tokens = sentence.split()
    contexts = [" ".join(tokens[:i]) for i in range(len(tokens) + 1)]
    proba = lm.predict_proba(contexts)
    classes = list(lm.classes_)
    targets = [classes.index(t) for t in tokens] + [classes.index("</s>")]
    return np.log(proba[np.arange(len(targets)), targets]).sum()


def test_adaptive_softmax_gives_exact_distributions(adaptive, corpus):
    proba = adaptive.predict_proba(corpus[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # the scores are the chain of the distributions
    for sentence in corpus[:3]:
        np.testing.assert_allclose(
            adaptive.score_samples([sentence])[0],
            _chain_log_prob(adaptive, sentence),
            rtol=1e-10,
        )
    assert adaptive.net_.module_.head.adaptive.cutoffs[:2] == [4, 12]


def test_adaptive_softmax_clusters_by_training_frequency(adaptive, corpus):
    rank = adaptive.net_.module_.head.class_rank.numpy()
    counts = {c: 0 for c in adaptive.classes_}
    for sentence in corpus:
        for token in sentence.split():
            counts[token] += 1
    classes = list(adaptive.classes_)
    frequent = max(_WORDS, key=lambda w: counts[w])
    assert rank[classes.index(frequent)] <= 1  # the end symbol may beat it
    assert sorted(rank.tolist()) == list(range(len(classes)))


def test_adaptive_softmax_is_saved_and_loaded(adaptive, corpus):
    buffer = io.BytesIO()
    adaptive.save(buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(
        loaded.score_samples(corpus[:5]), adaptive.score_samples(corpus[:5])
    )


def test_automatic_cutoffs_follow_the_token_shares():
    ids = np.repeat(np.arange(10), [500, 200, 100, 80, 50, 30, 20, 10, 5, 5])
    rank = frequency_rank(ids, 11, eos=10, n_sentences=150)
    assert rank[0][10] == 2  # 150 ends: the third most frequent
    cutoffs = adaptive_cutoffs(None, rank, 11)
    share = np.cumsum(rank[1])
    assert share[cutoffs[0] - 1] >= 0.9 > share[cutoffs[0] - 2]
    assert cutoffs == sorted(set(cutoffs)) and cutoffs[-1] < 11


@pytest.mark.parametrize("cutoffs", [[0, 3], [5, 3], [3, 40], [2.5]])
def test_bad_cutoffs_are_refused(corpus, cutoffs):
    lm = NeuralLanguageModel(softmax="adaptive", cutoffs=cutoffs, **SMALL)
    with pytest.raises(ValueError, match="cutoffs must be increasing integers"):
        lm.fit(corpus)
    assert not hasattr(lm, "classes_")


def test_tied_weights_share_the_embeddings(corpus):
    lm = NeuralLanguageModel(tie_weights=True, **SMALL).fit(corpus)
    module = lm.net_.module_
    embedding = module.encoder.embedding.weight
    assert not any(p is embedding for p in module.head.parameters())
    n_weights = sum(p.numel() for p in module.parameters())
    untied = NeuralLanguageModel(**SMALL).fit(corpus).net_.module_
    # the tied head has a projection (12 -> 8) and a bias instead of 12 x V
    n_classes = len(lm.classes_)
    assert n_weights == (
        sum(p.numel() for p in untied.parameters())
        - (12 * n_classes + n_classes)
        + (12 * 8 + 8 + n_classes)
    )
    # the output layer reads the embeddings: changing one changes the other
    before = lm.predict_proba(["w1"])
    with torch.no_grad():
        embedding[0].add_(1.0)
    assert not np.allclose(lm.predict_proba(["w1"]), before)
    buffer = io.BytesIO()
    lm.save(buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(
        loaded.score_samples(corpus[:5]), lm.score_samples(corpus[:5])
    )
    loaded_module = loaded.net_.module_
    assert loaded_module.head._tied[0] is loaded_module.encoder.embedding


def test_tied_weights_need_the_full_softmax(corpus):
    lm = NeuralLanguageModel(tie_weights=True, softmax="adaptive", **SMALL)
    with pytest.raises(ValueError, match='tie_weights=True needs softmax="full"'):
        lm.fit(corpus)


def test_locked_dropout_shares_its_mask_across_time():
    drop = LockedDropout(0.5).train()
    X = torch.ones(4, 7, 6)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        out = drop(X)
    assert ((out == 0) | (out == 2)).all()
    assert (out == out[:, :1]).all()  # the same units at every step
    assert (out[:, 0] == 0).any() and (out[:, 0] == 2).any()
    assert torch.equal(drop.eval()(X), X)


def test_embedding_dropout_drops_whole_word_types():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = RecurrentLanguageModel(
            vocab_size=9, n_classes=8, embedding_dim=4, hidden_size=5
        )
        module.embedding_dropout = 0.5
        module.encoder.run_embedded = lambda X, lengths, state: (X, None)
        X = torch.tensor([[1, 2, 1, 3, 2, 1]] * 3)
        embedded, _ = module.train().run(X)
    zero = (embedded == 0).all(dim=-1)
    for token in (1, 2, 3):  # a type is dropped everywhere or nowhere
        column = zero[X == token]
        assert column.all() or not column.any()


@pytest.mark.parametrize(
    "params",
    [
        dict(dropout=0.3, variational_dropout=True, embedding_dropout=0.2),
        dict(dropout=0.3),
    ],
)
def test_dropout_fits_are_reproducible_and_predictions_deterministic(corpus, params):
    first = NeuralLanguageModel(**SMALL, **params).fit(corpus)
    second = NeuralLanguageModel(**SMALL, **params).fit(corpus)
    np.testing.assert_array_equal(first.loss_curve_, second.loss_curve_)
    np.testing.assert_array_equal(
        first.score_samples(corpus[:4]), first.score_samples(corpus[:4])
    )
    plain = NeuralLanguageModel(**SMALL).fit(corpus)
    assert first.loss_curve_ != plain.loss_curve_


def test_validation_data_given_apart(corpus):
    valid = _corpus(n=20, seed=1) + ["an unseen word"]
    lm = NeuralLanguageModel(**SMALL).fit(corpus, X_val=valid)
    assert len(lm.validation_scores_) == lm.n_iter_ == 3
    # the recorded loss is the validation corpus's mean per token (float32),
    # and every training sentence was trained on
    np.testing.assert_allclose(
        np.exp(lm.validation_scores_[-1]), lm.perplexity(valid), rtol=1e-5
    )
    assert lm.net_.train_split is None  # no copy of the data in the model
    # Without early stopping the best loss is the training loss's lowest.
    assert lm.best_loss_ == min(lm.loss_curve_)
    assert lm.n_tokens_ == sum(len(s.split()) for s in corpus)
    # early stopping watches it and keeps the best epoch
    stopped = NeuralLanguageModel(
        **{**SMALL, "max_epochs": 30, "lr": 0.05},
        early_stopping=True,
        n_iter_no_change=2,
    ).fit(corpus, X_val=valid)
    assert stopped.best_loss_ == min(stopped.validation_scores_)
    np.testing.assert_allclose(
        np.exp(stopped.best_loss_), stopped.perplexity(valid), rtol=1e-5
    )


def test_plateau_schedule_halves_the_learning_rate(corpus):
    lm = NeuralLanguageModel(
        **{**SMALL, "max_epochs": 25, "lr": 0.05}, lr_schedule="plateau"
    ).fit(corpus, X_val=_corpus(n=20, seed=1))
    lrs = [group["lr"] for group in lm.net_.optimizer_.param_groups]
    assert lrs[0] < 0.05
    # halved once per epoch whose validation loss did not improve
    scores = np.array(lm.validation_scores_)
    best = np.minimum.accumulate(scores)
    misses = int((scores[1:] > best[:-1] - lm.tol).sum())
    assert lrs[0] == pytest.approx(0.05 * 0.5**misses)


def test_time_budget_stops_training_quietly(corpus):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm = NeuralLanguageModel(**{**SMALL, "max_epochs": 50}, max_time=1e-3)
        lm.fit(corpus)
    assert lm.n_iter_ == 1


def test_batches_hold_sentences_of_about_the_same_length():
    rng = np.random.RandomState(0)
    sizes = rng.randint(1, 40, size=500)
    starts = np.cumsum(sizes) - sizes
    data = TokenStreamDataset(
        np.zeros(sizes.sum()), np.zeros(sizes.sum()), starts, sizes, 64, 10
    )
    order = data.bucketed(rng.permutation(500), 20, rng)
    assert sorted(order) == list(range(500))
    (start, size, lane, carry), bounds = data.plan(order, 20)
    spread = [np.ptp(size[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    assert np.mean(spread) < 3  # against about 37 for random batches
    assert len(bounds) - 1 == 25  # full batches: 500 / 20


def test_padding_never_changes_the_scores(corpus):
    # Sentences scored side by side in padded batches, and longer ones in
    # chunks with the state carried (bptt=4), score as they do alone.
    lm = NeuralLanguageModel(**SMALL, bptt=4).fit(corpus)
    together = lm.score_samples(corpus[:12])
    alone = [lm.score_samples([s])[0] for s in corpus[:12]]
    np.testing.assert_allclose(together, alone, rtol=1e-10)


def test_a_model_trained_with_schedule_and_budget_is_saved(corpus):
    lm = NeuralLanguageModel(**SMALL, lr_schedule="plateau", max_time=60.0)
    lm.fit(corpus, X_val=corpus[:10])
    buffer = io.BytesIO()
    lm.save(buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(
        loaded.score_samples(corpus[:5]), lm.score_samples(corpus[:5])
    )
    assert loaded.get_params() == lm.get_params()


def test_shuffled_validation_split_holds_out_a_random_subset():
    # The corpus ends with sentences unlike the others: the last ones held
    # out are all of them, a random subset only a few.
    corpus = ["a b a b"] * 40 + ["c d c d"] * 10
    params = dict(SMALL, early_stopping=True, validation_fraction=0.2, max_epochs=5)
    last = NeuralLanguageModel(**params).fit(corpus)
    mixed = NeuralLanguageModel(**params, validation_split="shuffle").fit(corpus)
    assert mixed.validation_scores_[-1] < last.validation_scores_[-1] - 0.5


def test_long_documents_leave_no_tail_of_small_batches():
    # Documents of 2 to 80 chunks and one-chunk sentences: dealt longest
    # first, every batch but the last few fills its lanes.
    rng = np.random.RandomState(0)
    sizes = np.concatenate(
        [rng.randint(100, 5000, size=60), rng.randint(1, 64, size=610)]
    )
    starts = np.cumsum(sizes) - sizes
    data = TokenStreamDataset(
        np.zeros(sizes.sum()), np.zeros(sizes.sum()), starts, sizes, 64, 10
    )
    order = data.bucketed(rng.permutation(len(sizes)), 20, rng)
    assert sorted(order) == list(range(len(sizes)))
    (start, size, lane, carry), bounds = data.plan(order, 20)
    rows = np.diff(bounds)
    # the long ones end about together: few batches under half full, against
    # many in a random order
    assert (rows < 10).sum() <= 13
    _, random_bounds = data.plan(rng.permutation(len(sizes)), 20)
    assert (np.diff(random_bounds) < 10).sum() >= 25
    # then the short sentences keep their groups: one batch of similar
    # lengths each, every lane busy; the one group of 10 comes last
    short = [size[a:b] for a, b in zip(bounds[:-1], bounds[1:])][-31:]
    assert [len(batch) for batch in short] == [20] * 30 + [10]
    assert max(np.ptp(batch) for batch in short) <= 3


def test_training_loss_is_the_mean_per_token(corpus):
    lm = NeuralLanguageModel(**{**SMALL, "max_epochs": 1, "lr": 1e-9}).fit(corpus)
    # with a negligible step the weights barely move during the epoch
    np.testing.assert_allclose(
        np.exp(lm.loss_curve_[0]), lm.perplexity(corpus), rtol=1e-4
    )


def test_the_epoch_the_budget_ends_on_counts_for_early_stopping(corpus, monkeypatch):
    import itertools

    import sklearn_rnn._training as training

    # A clock that advances one second per reading: each epoch "takes" one
    # second, so that a budget of 3.5 s lets exactly two epochs run.
    clock = itertools.count()
    monkeypatch.setattr(training.time, "perf_counter", lambda: float(next(clock)))
    lm = NeuralLanguageModel(
        **{**SMALL, "max_epochs": 10, "lr": 0.05},
        early_stopping=True,
        max_time=3.5,
    ).fit(corpus, X_val=corpus[:20])
    assert lm.n_iter_ == 2 == len(lm.net_.history)
    assert lm.validation_scores_[1] < lm.validation_scores_[0]
    assert lm.best_loss_ == lm.validation_scores_[1]  # the last epoch is kept
    np.testing.assert_allclose(
        np.exp(lm.best_loss_), lm.perplexity(corpus[:20]), rtol=1e-5
    )


def test_a_new_lane_does_not_reset_the_carried_ones():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = RecurrentLanguageModel(
            vocab_size=7, n_classes=6, embedding_dim=4, hidden_size=5
        )
        X = torch.randint(0, 7, (2, 6))
    whole = module(X[:1])
    module(X[:1, :3], torch.tensor([3]), torch.tensor([0]), torch.tensor([False]))
    # lane 0 carries on while lane 5 starts: the store grows, lane 0 keeps its state
    second = module(
        X[:, 3:],
        torch.tensor([3, 3]),
        torch.tensor([0, 5]),
        torch.tensor([True, False]),
    )
    torch.testing.assert_close(second[0], whole[0, 3:])
