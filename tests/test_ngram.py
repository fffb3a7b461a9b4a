# SPDX-License-Identifier: BSD-3-Clause
"""Tests of NGramLanguageModel against hand computations, a brute-force
reference written from the textbook definitions, and nltk.lm."""

import pickle
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import NGramLanguageModel
from sklearn_rnn.lm._text import sample as _sample

SMOOTHINGS = ["mle", "add_k", "kneser_ney", "modified_kneser_ney", "stupid_backoff"]
NORMALISED = [s for s in SMOOTHINGS if s != "stupid_backoff"]

WORDS = "the a cat dog sat ran on under mat log fish big".split()


def _corpus(n_sentences=60, seed=1):
    """Token lists, some empty, from a Zipfian unigram mixed with a fixed
    successor: seen and unseen n-grams, rare words and, with these defaults
    and min_count=2, count-of-counts that give modified Kneser-Ney estimates
    at every order of the models of order 2 to 4."""
    rng = np.random.RandomState(seed)
    words = WORDS + [f"w{i}" for i in range(40 - len(WORDS))]
    zipf = 1 / np.arange(1, len(words) + 1)
    sentences = []
    for _ in range(n_sentences):
        tokens = []
        for _ in range(rng.randint(0, 9)):
            if tokens and rng.rand() < 0.5:
                tokens.append(words[(words.index(tokens[-1]) + 1) % len(WORDS)])
            else:
                tokens.append(words[rng.choice(len(words), p=zipf / zipf.sum())])
        sentences.append(tokens)
    return sentences


def _fit(X, **params):
    """Fit, ignoring the fallback warning of modified Kneser-Ney on the tiny
    corpora of these tests (tested on its own below)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The count-of-counts", UserWarning)
        return NGramLanguageModel(**params).fit(X)


# ----------------------------------------------------------------------
# A brute-force reference, straight from the definitions (dicts of tuples)
# ----------------------------------------------------------------------
class Reference:
    def __init__(
        self, sentences, order, smoothing, min_count=1, discount=0.75, k=1.0, alpha=0.4
    ):
        counts = Counter(t for s in sentences for t in s)
        words = {t for t, c in counts.items() if c >= min_count} - {"<unk>"}
        self.vocab = sorted(words | {"</s>", "<unk>"})
        self.order, self.smoothing = order, smoothing
        self.discount, self.k, self.alpha = discount, k, alpha
        events = []
        for s in sentences:
            padded = ["<s>"] * (order - 1) + self.norm(s) + ["</s>"]
            events += [
                tuple(padded[i - order + 1 : i + 1])
                for i in range(order - 1, len(padded))
            ]
        self.raw = {
            j: Counter(e[order - j :] for e in events) for j in range(1, order + 1)
        }
        kn = smoothing in ("kneser_ney", "modified_kneser_ney")
        # KenLM (modified Kneser-Ney): no n-gram has <s> after its first
        # token, and an n-gram starting with <s> keeps its raw count.
        kenlm = smoothing == "modified_kneser_ney"
        if kenlm:
            for table in self.raw.values():
                for g in [g for g in table if "<s>" in g[1:]]:
                    del table[g]
        self.used = {}
        for j in range(1, order + 1):
            if kn and j < order:  # one per distinct left extension
                self.used[j] = Counter(g[1:] for g in self.raw[j + 1])
                if kenlm:
                    self.used[j].update(
                        {g: c for g, c in self.raw[j].items() if g[0] == "<s>"}
                    )
            else:
                self.used[j] = self.raw[j]
        self.children = {}
        for j, table in self.used.items():
            for g, c in table.items():
                self.children.setdefault((j, g[:-1]), {})[g[-1]] = c
        self.discounts = {}
        for j, table in self.used.items():
            n = [sum(1 for c in table.values() if c == r) for r in (1, 2, 3, 4)]
            if min(n[:3]) > 0:  # else undefined (KenLM): the test supplies them
                y = n[0] / (n[0] + 2 * n[1])
                self.discounts[j] = (
                    1 - 2 * y * n[1] / n[0],
                    2 - 3 * y * n[2] / n[1],
                    3 - 4 * y * n[3] / n[2],
                )

    def norm(self, tokens):
        return [t if t in self.vocab else "<unk>" for t in tokens]

    def history(self, prefix):
        padded = ["<s>"] * (self.order - 1) + self.norm(prefix)
        return tuple(padded[len(padded) - (self.order - 1) :])

    def d(self, j, c):
        if self.smoothing == "kneser_ney":
            return self.discount
        return self.discounts[j][min(c, 3) - 1]

    def interpolated(self, j, w, h):
        if j == 0:
            return 1 / len(self.vocab)
        ctx = h[len(h) - (j - 1) :] if j > 1 else ()
        children = self.children.get((j, ctx), {})
        total = sum(children.values())
        lower = self.interpolated(j - 1, w, h)
        if total == 0:
            return lower
        c = children.get(w, 0)
        if self.smoothing == "mle":
            return c / total
        alpha = (c - self.d(j, c)) / total if c else 0.0
        gamma = sum(self.d(j, ci) for ci in children.values()) / total
        return alpha + gamma * lower

    def prob(self, w, prefix):
        h = self.history(prefix)
        n = self.order
        if self.smoothing == "add_k":
            children = self.children.get((n, h), {})
            total = sum(children.values())
            return (children.get(w, 0) + self.k) / (total + self.k * len(self.vocab))
        if self.smoothing == "stupid_backoff":
            for j in range(n, 0, -1):
                ctx = h[len(h) - (j - 1) :] if j > 1 else ()
                children = self.children.get((j, ctx), {})
                if children.get(w, 0) > 0:
                    factor = self.alpha ** (n - j)
                    return factor * children[w] / sum(children.values())
            return 0.0
        return self.interpolated(n, w, h)


def _prefixes(order, seed=1):
    """Sentence prefixes: empty, seen, random (unseen) and with unknown words."""
    rng = np.random.RandomState(seed)
    pool = WORDS + ["zzz", "rare"]
    prefixes = [[]] + [
        list(rng.choice(pool, size=rng.randint(1, order + 2))) for _ in range(25)
    ]
    return prefixes + [["the"], ["zzz"], ["the", "cat"], ["cat", "zzz", "the"]]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_matches_reference(smoothing, order):
    sentences = _corpus()
    params = dict(order=order, smoothing=smoothing, min_count=2)
    if smoothing == "add_k":
        params["k"] = 0.5
    lm = _fit(sentences, **params)
    ref = Reference(sentences, order, smoothing, min_count=2, k=0.5)
    assert list(lm.classes_) == ref.vocab
    if smoothing == "modified_kneser_ney":
        for j in range(1, order + 1):
            estimate = ref.discounts.get(j)
            if estimate and all(0 <= d <= r for r, d in enumerate(estimate, 1)):
                np.testing.assert_allclose(lm.discounts_[j - 1], estimate, rtol=1e-12)
            else:  # KenLM's fallback
                np.testing.assert_array_equal(lm.discounts_[j - 1], [0.5, 1.0, 1.5])
                ref.discounts[j] = (0.5, 1.0, 1.5)
    prefixes = _prefixes(order)
    proba = lm.predict_proba(prefixes)
    expected = [[ref.prob(w, p) for w in ref.vocab] for p in prefixes]
    np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("smoothing", NORMALISED)
def test_probabilities_sum_to_one(smoothing, order):
    # Every context: empty, seen, unseen, with unknown words, longer than
    # the order; and over the whole vocabulary, </s> and <unk> included.
    lm = _fit(_corpus(), order=order, smoothing=smoothing)
    proba = lm.predict_proba(_prefixes(order) + [["zzz"] * 7, ["fish"] * 3])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(proba >= 0)


def test_score_samples_agrees_with_predict_proba():
    # The pointwise path (score) and the dense path (predict_proba) agree.
    sentences = _corpus()
    lm = NGramLanguageModel(order=3, min_count=2).fit(sentences[:40])
    test = sentences[40:] + [["zzz", "cat", "the"]]
    expected = []
    for s in test:
        targets = s + ["</s>"]
        proba = lm.predict_proba([s[:i] for i in range(len(targets))])
        column = pd.Index(lm.classes_).get_indexer(
            [t if t in lm.classes_ else "<unk>" for t in targets]
        )
        expected.append(np.log(proba[np.arange(len(targets)), column]).sum())
    np.testing.assert_allclose(lm.score_samples(test), expected, rtol=1e-12)
    n_tokens = sum(len(s) + 1 for s in test)
    assert lm.score(test) == pytest.approx(sum(expected) / n_tokens, rel=1e-12)
    assert lm.perplexity(test) == pytest.approx(np.exp(-lm.score(test)), rel=1e-12)


# ----------------------------------------------------------------------
# Textbook cases
# ----------------------------------------------------------------------
def test_mle_textbook_example():
    # "students opened their" seen 1000 times, followed by "books" 400 times.
    endings = ["books"] * 400 + ["exams"] * 100 + ["minds"] * 500
    corpus = [f"students opened their {w}" for w in endings]
    lm = NGramLanguageModel(order=4, smoothing="mle").fit(corpus)
    proba = lm.predict_proba(["students opened their"])[0]
    classes = list(lm.classes_)
    assert proba[classes.index("books")] == pytest.approx(0.4, abs=1e-15)
    assert proba[classes.index("exams")] == pytest.approx(0.1, abs=1e-15)
    assert lm.predict(["students opened their"])[0] == "minds"


def test_mle_gives_zero_probability_to_unseen_ngrams():
    lm = NGramLanguageModel(order=2, smoothing="mle").fit(
        ["the cat sat", "the dog ran"]
    )
    proba = lm.predict_proba(["the"])[0]
    assert proba[list(lm.classes_).index("ran")] == 0.0
    assert lm.score_samples(["the ran"])[0] == -np.inf
    assert lm.perplexity(["the cat ran"]) == np.inf
    assert lm.perplexity(["the cat sat"]) < np.inf


def test_unknown_words_are_mapped_to_unk():
    corpus = ["the cat sat", "the cat ran", "a dog sat"]
    lm = NGramLanguageModel(order=2, min_count=2).fit(corpus)
    assert list(lm.classes_) == ["</s>", "<unk>", "cat", "sat", "the"]
    # rare and never-seen words are both read as <unk>
    np.testing.assert_array_equal(
        lm.predict_proba(["ran", "zebra", "<unk>"]),
        np.repeat(lm.predict_proba(["a"]), 3, axis=0),
    )
    assert lm.score(["the zebra sat"]) == lm.score(["the dog sat"])
    # <unk> was seen in training (a, dog, ran), so it gets real mass
    unk = list(lm.classes_).index("<unk>")
    assert lm.predict_proba(["sat"])[0, unk] > 0.1
    assert lm.predict(["a"])[0] == "<unk>"


@pytest.mark.parametrize("smoothing", ["kneser_ney", "modified_kneser_ney", "add_k"])
def test_finite_perplexity_with_unseen_words(smoothing):
    lm = _fit(_corpus(), order=3, smoothing=smoothing)
    # min_count=1: <unk> never occurred in training, yet gets probability
    assert np.isfinite(lm.perplexity([["zzz", "yyy", "the", "cat"], ["qqq"]]))


def test_modified_kneser_ney_discounts_by_hand():
    # Unigram counts (order 1, raw counts): a..f once (n1 = 6), g, h, i twice
    # (n2 = 3), j, k three times (n3 = 2), </s> four times (n4 = 1, four
    # sentences) and l five times.
    # Y = 6 / (6 + 2*3) = 1/2; D1 = 1 - 2Y*3/6 = 1/2; D2 = 2 - 3Y*2/3 = 1;
    # D3+ = 3 - 4Y*1/2 = 2.
    corpus = ["a b c d e f g g h", "h i i j j j k", "k k l l l", "l l"]
    lm = NGramLanguageModel(order=1, smoothing="modified_kneser_ney").fit(corpus)
    np.testing.assert_array_equal(lm.count_of_counts_, [[6, 3, 2, 1]])
    np.testing.assert_allclose(lm.discounts_, [[0.5, 1.0, 2.0]], rtol=1e-15)
    # P(l) = (5 - D3+) / N + gamma / V with N = 27 tokens, V = 14 classes and
    # gamma = (6 D1 + 3 D2 + 4 D3+) / N = 14 / 27: P(l) = 3/27 + 1/27.
    proba = lm.predict_proba([""])[0]
    assert proba[list(lm.classes_).index("l")] == pytest.approx(4 / 27, rel=1e-12)
    assert proba[list(lm.classes_).index("<unk>")] == pytest.approx(1 / 27, rel=1e-12)


def test_modified_kneser_ney_lower_orders_use_continuation_counts():
    corpus = _corpus()
    lm = _fit(corpus, order=3, smoothing="modified_kneser_ney")
    ref = Reference(corpus, 3, "modified_kneser_ney")
    for j in (1, 2, 3):
        values = list(ref.used[j].values())
        expected = [sum(1 for c in values if c == r) for r in (1, 2, 3, 4)]
        np.testing.assert_array_equal(lm.count_of_counts_[j - 1], expected)


def test_modified_kneser_ney_counts_sentence_starts_as_kenlm():
    # One-token sentences a (4 times), b (3), c, d (twice each) and e (once),
    # order 3. As in KenLM, nothing precedes <s>: the bigrams "<s> w" keep
    # their raw counts 4, 3, 2, 2, 1, and "w </s>" have continuation count 1
    # (only "<s> w </s>"); the trigrams "<s> <s> w" are padding, not counted.
    corpus = ["a"] * 4 + ["b"] * 3 + ["c", "d"] * 2 + ["e"]
    with pytest.warns(UserWarning, match="order-1 n-grams"):
        lm = NGramLanguageModel(order=3, smoothing="modified_kneser_ney").fit(corpus)
    # order 1: continuation counts a..e 1, </s> 5 (fallback discounts);
    # order 2: n1 = 1 + 5, n2 = 2, n3 = 1, n4 = 1; order 3: "<s> w </s>".
    np.testing.assert_array_equal(
        lm.count_of_counts_, [[5, 0, 0, 0], [6, 2, 1, 1], [1, 2, 1, 1]]
    )
    # Order 2: Y = 6/10, D1 = 1 - 2Y 2/6, D2 = 2 - 3Y 1/2, D3+ = 3 - 4Y 1/1.
    # Order 3: Y = 1/5, D1 = 1 - 2Y 2, D2 = 2 - 3Y 1/2, D3+ = 3 - 4Y.
    np.testing.assert_allclose(
        lm.discounts_,
        [[0.5, 1.0, 1.5], [0.6, 1.1, 0.6], [0.2, 1.7, 2.2]],
        rtol=1e-12,
    )
    classes = list(lm.classes_)
    # Unigram level: continuation counts (10 in all), 7 classes.
    p1_a = (1 - 0.5) / 10 + (5 * 0.5 + 1.5) / 10 / 7
    p1_eos = (5 - 1.5) / 10 + (5 * 0.5 + 1.5) / 10 / 7
    # First token: the context <s> <s> has no n-gram, so P(a | <s>) is read
    # from the raw bigram counts (12 sentences), with gamma = 4 / 12.
    p_a = (4 - 0.6) / 12 + (0.6 + 0.6 + 1.1 + 1.1 + 0.6) / 12 * p1_a
    assert lm.predict_proba([""])[0, classes.index("a")] == pytest.approx(p_a)
    # After "a": "<s> a </s>" (4 times, D3+ = 2.2) over "a </s>" (D1 = 0.6).
    p2_eos = (1 - 0.6) + 0.6 * p1_eos
    p_eos = (4 - 2.2) / 4 + 2.2 / 4 * p2_eos
    assert lm.predict_proba(["a"])[0, classes.index("</s>")] == pytest.approx(p_eos)
    contexts = [[], ["zzz"], ["a", "a"], ["e", "b"]] + [[w] for w in classes[1:]]
    np.testing.assert_allclose(lm.predict_proba(contexts).sum(axis=1), 1, rtol=1e-12)
    # The plain Kneser-Ney smoothing keeps continuation counts for "<s> w"
    # (1 each), as nltk.lm does.
    kn = NGramLanguageModel(order=3, smoothing="kneser_ney").fit(corpus)
    np.testing.assert_array_equal(kn.count_of_counts_[1], [10, 0, 0, 0])


def test_modified_kneser_ney_falls_back_on_tiny_corpora():
    with pytest.warns(UserWarning, match="order-[12] n-grams"):
        lm = NGramLanguageModel(order=2, smoothing="modified_kneser_ney").fit(
            ["a b", "b c"]
        )
    np.testing.assert_array_equal(lm.discounts_[1], [0.5, 1.0, 1.5])


# ----------------------------------------------------------------------
# Stupid backoff, generation
# ----------------------------------------------------------------------
def test_stupid_backoff_scores_are_not_normalised():
    lm = NGramLanguageModel(order=3, smoothing="stupid_backoff").fit(_corpus())
    sums = lm.predict_proba(_prefixes(3)).sum(axis=1)
    assert np.any(np.abs(sums - 1) > 0.05)
    with pytest.raises(ValueError, match="Perplexity is undefined"):
        lm.perplexity(["the cat"])
    with pytest.warns(UserWarning, match="not a log-likelihood"):
        assert np.isfinite(lm.score(["the cat"]))


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_generate_is_reproducible(smoothing):
    lm = _fit(_corpus(), order=3, smoothing=smoothing)
    first = lm.generate(200, random_state=0)
    assert first == lm.generate(200, random_state=0)
    assert first != lm.generate(200, random_state=1)
    assert len(first) == 200 and set(first) <= set(lm.classes_)
    # seed is a sentence prefix; temperature 0 is greedy
    greedy = lm.generate(5, seed="the cat", temperature=0)
    assert greedy[0] == lm.predict(["the cat"])[0]
    assert greedy == lm.generate(5, seed=["the", "cat"], temperature=0.0)
    assert lm.generate(0) == []


def test_generate_follows_the_model():
    # Each generated token was possible after its context (MLE: seen n-grams
    # only), and sentences restart after </s>.
    corpus = _corpus()
    lm = NGramLanguageModel(order=2, smoothing="mle").fit(corpus)
    seen = {(a, b) for s in corpus for a, b in zip(["<s>"] + s, s + ["</s>"])}
    tokens = lm.generate(300, random_state=0, temperature=1.5)
    previous = "<s>"
    for token in tokens:
        assert (previous, token) in seen
        previous = "<s>" if token == "</s>" else token


@pytest.mark.parametrize("temperature", [1e-310, 5e-324, 1e-300, 1e-3])
def test_generate_never_draws_a_zero_probability_token(temperature):
    # After "b" only c (2/3) and d (1/3) have probability; log(p) / T
    # overflows for tiny T, whose limit is the greedy choice.
    lm = NGramLanguageModel(order=2, smoothing="mle").fit(
        ["a b c", "a b d", "b c d e", "c"]
    )
    for seed in range(20):
        tokens = lm.generate(1, seed="b", temperature=temperature, random_state=seed)
        assert tokens == ["c"]
    p = np.array([0.0, 0.6, 0.4, 0.0])
    rng = np.random.RandomState(0)
    draws = {_sample(p, t, rng) for t in (1e-310, 0.5, 1.0, 3.0) for _ in range(50)}
    assert draws == {1, 2}


def test_generate_validates_its_arguments():
    lm = NGramLanguageModel(order=2).fit(["a b"])
    with pytest.raises(ValueError, match="temperature"):
        lm.generate(3, temperature=-1)
    for temperature in (np.inf, np.nan):
        with pytest.raises(ValueError, match="temperature must be a finite"):
            lm.generate(3, temperature=temperature)
    with pytest.raises(TypeError, match="n_tokens"):
        lm.generate(2.5)


# ----------------------------------------------------------------------
# nltk
# ----------------------------------------------------------------------
def _nltk_sentences():
    return [" ".join(s) for s in _corpus(n_sentences=150, seed=3)]


def test_kneser_ney_matches_nltk_pipeline_order_2():
    pytest.importorskip("nltk")
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    sentences = _nltk_sentences()
    lm = NGramLanguageModel(order=2, min_count=2).fit(sentences)
    vocab = set(lm.classes_)
    tokens = [[t if t in vocab else "<unk>" for t in s.split()] for s in sentences]
    # With order 2, nltk's pipeline pads exactly as we do (one <s>, one </s>).
    ref = KneserNeyInterpolated(2, discount=0.75)
    ref.fit(*padded_everygram_pipeline(2, tokens))
    contexts = ["<s>"] + sorted(vocab - {"</s>"}) + ["zzz"]
    proba = lm.predict_proba(["" if c == "<s>" else c for c in contexts])
    for row, c in zip(proba, contexts):
        context = ("<unk>",) if c == "zzz" else (c,)
        expected = [ref.score(w, context) for w in lm.classes_]
        np.testing.assert_allclose(row, expected, rtol=1e-9, atol=1e-12)


def test_kneser_ney_matches_nltk_order_3():
    pytest.importorskip("nltk")
    from nltk.lm import KneserNeyInterpolated

    sentences = _nltk_sentences()
    lm = NGramLanguageModel(order=3, min_count=2, discount=0.6).fit(sentences)
    vocab = set(lm.classes_)
    # nltk is given our n-grams: two <s>, one </s>, nothing ending in <s>
    # (its own pipeline pads two </s> and counts n-grams ending in <s>).
    text = []
    for s in sentences:
        padded = ["<s>"] * 2 + [t if t in vocab else "<unk>" for t in s.split()]
        padded.append("</s>")
        text.append(
            [
                tuple(padded[i - j + 1 : i + 1])
                for i in range(2, len(padded))
                for j in (1, 2, 3)
            ]
        )
    ref = KneserNeyInterpolated(3, discount=0.6)
    ref.fit(text, vocabulary_text=sorted(vocab) + ["<s>"])
    rng = np.random.RandomState(0)
    pool = sorted(vocab - {"</s>"}) + ["zzz"]
    prefixes = [[], ["the"], ["zzz"], ["cat", "zzz"]]
    prefixes += [list(rng.choice(pool, size=2)) for _ in range(40)]
    proba = lm.predict_proba(prefixes)
    for row, prefix in zip(proba, prefixes):
        history = ["<s>", "<s>"] + [t if t in vocab else "<unk>" for t in prefix]
        expected = [ref.score(w, tuple(history[-2:])) for w in lm.classes_]
        np.testing.assert_allclose(row, expected, rtol=1e-9, atol=1e-12)


def test_lowest_order_interpolates_with_the_uniform_distribution():
    # Documented convention difference: with min_count=1 no training token is
    # <unk>; nltk gives it probability 0 at the unigram level (hence an
    # infinite perplexity for any unknown word), we give it the uniform share
    # of the discounted mass.
    lm = NGramLanguageModel(order=2, discount=0.75).fit(["a b", "b a", "a a b"])
    proba = lm.predict_proba(["zzz"])[0]
    unk = list(lm.classes_).index("<unk>")
    # Context <unk> unseen: the unigram level, whose discounted mass (0.75 *
    # 3 types a, b, </s>) / 7 bigram types is shared by the 4 classes.
    assert proba[unk] == pytest.approx(0.75 * 3 / 7 / 4, rel=1e-12)


# ----------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------
def test_input_formats_agree():
    sentences = _corpus()
    as_text = [" ".join(s) for s in sentences]
    lm_text = NGramLanguageModel().fit(as_text)
    # A one-column DataFrame (what ColumnTransformer passes) is text too.
    for X in (
        sentences,
        np.array(as_text, dtype=object),
        pd.Series(as_text),
        pd.DataFrame({"text": as_text}),
    ):
        lm = NGramLanguageModel().fit(X)
        np.testing.assert_array_equal(lm.classes_, lm_text.classes_)
        assert lm.score(X) == lm_text.score(as_text)
    # integer ids, one sentence per row (the array form)
    rows = [s[:4] for s in sentences if len(s) >= 4]
    words = sorted({t for r in rows for t in r})
    ids = np.array([pd.Index(words).get_indexer(r) for r in rows])
    lm_ids = NGramLanguageModel().fit(ids)
    lm_rows = NGramLanguageModel().fit(rows)
    assert lm_ids.n_features_in_ == 4 and not hasattr(lm_rows, "n_features_in_")
    assert lm_ids.score(ids) == pytest.approx(lm_rows.score(rows), rel=1e-12)
    assert lm_ids.score(ids.tolist()) == lm_ids.score(ids)
    # the same distributions, up to the order of the classes
    as_ids = {"</s>": lm_ids.eos_token_, "<unk>": lm_ids.unk_token_}
    as_ids.update((w, i) for i, w in enumerate(words))
    columns = np.searchsorted(lm_ids.classes_, [as_ids[w] for w in lm_rows.classes_])
    np.testing.assert_allclose(
        lm_ids.predict_proba(ids)[:, columns], lm_rows.predict_proba(rows), rtol=1e-12
    )


def test_integer_ids():
    X = np.array([[3, -1, 7], [3, -1, 8], [3, 7, 8]])  # any integers, any sign
    lm = NGramLanguageModel(order=2, smoothing="mle").fit(X)
    np.testing.assert_array_equal(lm.classes_, [-1, 3, 7, 8, 9, 10])
    assert (lm.eos_token_, lm.unk_token_) == (9, 10)
    assert lm.predict([[3], [8], [], [123]]).tolist() == [-1, 9, 3, 3]
    # integer-valued floats are token ids too; others are refused
    assert lm.score(X.astype(float)) == lm.score(X)
    with pytest.raises(ValueError, match="integer token ids"):
        lm.score(X + 0.5)
    with pytest.raises(ValueError, match="expecting 3 features"):
        lm.score(X[:, :2])
    with pytest.raises(ValueError, match="fitted on integer token ids; got text"):
        lm.predict(["a b"])


@pytest.mark.parametrize("big", [2**62, 2**63 - 1, 2**63, 2**70, -(2**62)])
def test_token_ids_out_of_range_are_refused(big):
    # Token lists get the range check of 2-D arrays: no float64 classes_ with
    # colliding ids, no raw OverflowError.
    rows = [[big, 1], [big, 2]]
    forms = [rows]
    if abs(big) < 2**63:
        forms.append(np.array(rows, dtype=np.int64))
    for X in forms:
        with pytest.raises(ValueError, match=r"Token ids must lie in \(-2\*\*62"):
            NGramLanguageModel(order=2).fit(X)
    lm = NGramLanguageModel(order=2).fit([[3, 1], [3, 2]])
    with pytest.raises(ValueError, match="Token ids must lie in"):
        lm.predict([[big]])
    # the largest ids allowed still give int64 classes_
    top = 2**62 - 1
    lm = NGramLanguageModel(order=2).fit([[top, -top]])
    assert lm.classes_.dtype == np.int64
    assert lm.classes_.tolist() == [-top, top, top + 1, top + 2]


@pytest.mark.parametrize(
    "tokenizer, expected",
    [
        ("whitespace", ["ab", "c.d", "e"]),
        ("chars", ["a", "b", " ", "c", ".", "d", " ", " ", "e"]),
        (r"\w+", ["ab", "c", "d", "e"]),
        (r"(\w)\w*", ["a", "c", "d", "e"]),
        (lambda s: s.split("."), ["ab c", "d  e"]),
    ],
)
def test_tokenizers(tokenizer, expected):
    lm = NGramLanguageModel(order=1, tokenizer=tokenizer).fit(["ab c.d  e"])
    assert sorted(lm.classes_) == sorted(set(expected) | {"</s>", "<unk>"})
    assert lm.n_tokens_ == len(expected)


@pytest.mark.parametrize(
    "tokenizer, match",
    [
        (lambda s: [ord(c) for c in s], "a token 97 of type int"),
        (lambda s: [(c,) for c in s], r"a token \('a',\) of type tuple"),
        (lambda s: [None for c in s], "a token None of type NoneType"),
        (str.upper, "returned str 'AB'"),
        (lambda s: None, "returned NoneType"),
    ],
)
def test_callable_tokenizer_must_return_strings(tokenizer, match):
    with pytest.raises(TypeError, match="callable tokenizer must return a list of str"):
        NGramLanguageModel(order=2, tokenizer=tokenizer).fit(["ab", "ba"])
    with pytest.raises(TypeError, match=match):
        NGramLanguageModel(order=2, tokenizer=tokenizer).fit(["ab", "ba"])
    # also for strings mixed with token lists, and at prediction
    with pytest.raises(TypeError, match=match):
        NGramLanguageModel(order=2, tokenizer=tokenizer).fit(["ab", ["b", "a"]])
    # (prediction reads text with the tokenizer of fit: one that goes wrong
    # only on the text predicted)
    def only_on_ab(text):
        return tokenizer(text) if text == "ab" else text.split()

    lm = NGramLanguageModel(order=2, tokenizer=only_on_ab).fit(["a b"])
    with pytest.raises(TypeError, match=match):
        lm.predict(["ab"])
    # a generator of strings is fine
    lm = NGramLanguageModel(order=1, tokenizer=lambda s: iter(s)).fit(["ab"])
    assert lm.n_tokens_ == 2


def test_whitespace_tokenizer_fast_path_matches_split():
    sentences = ["a  b\tc", "", "  ", "d\ne f", "\ue000 g"]
    lm = NGramLanguageModel(order=1).fit(sentences)
    assert lm.n_tokens_ == sum(len(s.split()) for s in sentences)
    np.testing.assert_allclose(
        lm.score_samples(sentences),
        lm.score_samples([s.split() for s in sentences]),
    )


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(tokenizer="(a"), ["a"], "valid regular expression"),
        (dict(tokenizer="(a)(b)"), ["ab"], "capturing groups"),
        (dict(smoothing="modified_kneser_ney", discount=0.5), ["a"], "discount"),
        ({}, "a single sentence", "not a single string"),
        ({}, ["a </s> b"], "reserved"),
        ({}, [["a", 1]], "mix of strings and integers"),
        ({}, [["a", None]], "found None"),
        ({}, [], "0 sample"),
        ({}, ["a", 3], "X\\[1\\] is 3"),
        ({}, [None], "X\\[0\\] is None"),
        ({}, pd.DataFrame({"text": ["a b", np.nan]}), "X\\[1\\] is nan"),
    ],
)
def test_errors(params, X, match):
    with pytest.raises(ValueError, match=match):
        NGramLanguageModel(**params).fit(X)


def test_contexts_are_sentence_prefixes():
    lm = NGramLanguageModel(order=3, smoothing="mle").fit(["a b c", "b b d", "c a b"])
    # empty context: the first token of a sentence
    first = lm.predict_proba([""])[0]
    np.testing.assert_allclose(
        first[pd.Index(lm.classes_).get_indexer(["a", "b", "c"])], [1 / 3] * 3
    )
    # only the last order - 1 tokens of a longer context count
    np.testing.assert_array_equal(
        lm.predict_proba(["c c c a b"]), lm.predict_proba(["x a b"])
    )
    # a one-token context is the first token of a sentence: b after <s> b
    assert lm.predict(["b"])[0] == "b"


def test_pickle_and_refit():
    lm = NGramLanguageModel(order=3).fit(_corpus())
    clone = pickle.loads(pickle.dumps(lm))
    np.testing.assert_array_equal(
        clone.predict_proba(_prefixes(3)), lm.predict_proba(_prefixes(3))
    )
    # refitting on a list drops n_features_in_ from an earlier array fit
    lm.fit(np.array([[1, 2], [2, 3]]))
    assert lm.n_features_in_ == 2
    lm.fit(["a b"])
    assert not hasattr(lm, "n_features_in_")


@pytest.mark.parametrize("smoothing", ["kneser_ney", "stupid_backoff"])
def test_set_params_after_fit_changes_nothing_until_refit(smoothing):
    corpus = _corpus()
    lm = _fit(corpus, order=3, smoothing=smoothing)
    assert (lm.order_, lm.smoothing_) == (3, smoothing)
    prefixes = _prefixes(3)
    proba = lm.predict_proba(prefixes)
    scores = lm.score_samples(corpus[:10])
    tokens = lm.generate(20, random_state=0)
    for params in (
        dict(order=2),
        dict(order=5),
        dict(order=1, smoothing="add_k"),
        dict(smoothing="stupid_backoff" if smoothing != "stupid_backoff" else "mle"),
        dict(alpha=0.1),
    ):
        lm.set_params(**params)
        np.testing.assert_array_equal(lm.predict_proba(prefixes), proba)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            np.testing.assert_array_equal(lm.score_samples(corpus[:10]), scores)
        assert lm.generate(20, random_state=0) == tokens
    # the next fit uses the new parameters
    lm.fit(corpus)
    fresh = _fit(corpus, **lm.get_params())
    assert (lm.order_, lm.smoothing_) == (1, fresh.smoothing)
    new = lm.predict_proba(prefixes)
    np.testing.assert_array_equal(new, fresh.predict_proba(prefixes))
    assert not np.allclose(new, proba)


def test_long_orders_and_large_vocabularies():
    # Keys are built from the previous order's ranks: no int64 overflow even
    # with a large vocabulary and a high order.
    rng = np.random.RandomState(0)
    X = rng.randint(0, 10**6, size=(200, 12))
    lm = NGramLanguageModel(order=8).fit(X)
    np.testing.assert_allclose(lm.predict_proba(X[:5]).sum(axis=1), 1.0)
    assert lm.score(X) > lm.score(rng.randint(0, 10**6, size=(20, 12)))


def test_text_is_read_with_the_tokenizer_of_fit(tmp_path):
    text = ["the cat sat", "the dog sat", "a cat ran"] * 5
    lm = NGramLanguageModel(order=2).fit(text)
    proba = lm.predict_proba(["the cat", "a"])
    # A tokenizer set after fit takes effect at the next fit only, as order.
    lm.set_params(tokenizer="chars")
    np.testing.assert_array_equal(lm.predict_proba(["the cat", "a"]), proba)
    lm.save(tmp_path / "lm.skrnn")
    loaded = NGramLanguageModel.load(tmp_path / "lm.skrnn")
    np.testing.assert_array_equal(loaded.predict_proba(["the cat", "a"]), proba)
    assert "c" in lm.fit(text).classes_


# ----------------------------------------------------------------------
# Without torch, and inputs that are not text
# ----------------------------------------------------------------------
def test_counting_model_never_imports_torch(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat\nthe dog sat\n")
    code = f"""
import sys
import sklearn_rnn
from sklearn_rnn import NGramLanguageModel
text = open({str(corpus)!r}).read().splitlines()
lm = NGramLanguageModel(order=3).fit(text)
lm.score(text), lm.perplexity(text), lm.predict_proba(["the"]), lm.generate(3)
lm.set_params(smoothing="modified_kneser_ney", order=2).fit([[1, 2], [2, 3]])
lm.predict([[1, 2]])
loaded = [m for m in ("torch", "skorch") if m in sys.modules]
assert not loaded, loaded
from sklearn_rnn import RNNRegressor  # the neural estimators load torch
assert "torch" in sys.modules
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_lazy_package_keeps_its_public_names():
    import sklearn_rnn
    import sklearn_rnn.lm

    for module in (sklearn_rnn, sklearn_rnn.lm):
        assert set(module.__all__) <= set(dir(module))
        for name in module.__all__:
            assert getattr(module, name) is not None
        with pytest.raises(AttributeError, match="no attribute 'Nope'"):
            module.Nope


@pytest.mark.parametrize(
    "X",
    [
        [b"the cat", b"a dog"],
        ["the cat", b"a dog"],
        [["the", b"cat"]],
        np.array([b"the cat", b"a dog"]),
    ],
)
def test_bytes_are_refused_with_a_clear_type_error(X):
    with pytest.raises(TypeError, match="bytes.*Decode it first"):
        NGramLanguageModel().fit(X)
    lm = NGramLanguageModel().fit(["the cat", "a dog"])
    with pytest.raises(TypeError, match="bytes.*Decode it first"):
        lm.score(X)


@pytest.mark.parametrize("tokenizer", ["whitespace", "chars"])
def test_lone_surrogates_are_a_clear_value_error(tokenizer):
    bad = ["the cat", "a \ud800 dog"]
    with pytest.raises(ValueError, match="lone surrogate"):
        NGramLanguageModel(tokenizer=tokenizer).fit(bad)
    lm = NGramLanguageModel(tokenizer=tokenizer).fit(["the cat", "a dog"])
    for X in (bad, bad * 5000):  # a few tokens, or many (found by hashing)
        with pytest.raises(ValueError, match="lone surrogate"):
            lm.score(X)


# ----------------------------------------------------------------------
# Parity with KenLM
# ----------------------------------------------------------------------
def _kenlm_corpus():
    """3,300 sentences of a Zipfian Markov chain over 2,000 three-letter words
    (3,000 to train, 300 to test, 14 test words unseen), deterministic:
    RandomState's streams are frozen."""
    rng = np.random.RandomState(42)
    n_words = 2000
    zipf = 1 / np.arange(1, n_words + 1)
    lengths = rng.randint(1, 15, size=3300)
    ids = rng.choice(n_words, size=lengths.sum(), p=zipf / zipf.sum())
    follow = rng.rand(lengths.sum()) < 0.4
    for i in np.flatnonzero(follow[1:]) + 1:
        ids[i] = (ids[i - 1] * 7 + 3) % n_words
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [
        letters[i // 676] + letters[i // 26 % 26] + letters[i % 26]
        for i in range(n_words)
    ]
    bounds = np.cumsum(lengths)[:-1]
    sentences = [" ".join(names[i] for i in s) for s in np.split(ids, bounds)]
    return sentences[:3000], sentences[3000:]


# Test perplexities of KenLM's lmplz (commit 4cb443e, ``lmplz -o N
# --discount_fallback``, ARPA queried with the kenlm module's
# ``Model.score(s, bos=True, eos=True)``) on _kenlm_corpus; for "chars" every
# character is a token, spaces written "_". Measured, not computed here:
# KenLM is not a dependency.
KENLM_PERPLEXITY = {
    ("whitespace", 2): 85.83099378029328,
    ("whitespace", 3): 89.46340839182929,
    ("whitespace", 4): 89.69235478985696,
    ("whitespace", 5): 89.99108611296369,
    ("chars", 5): 4.117121569780568,
}


@pytest.mark.parametrize("tokenizer, order", list(KENLM_PERPLEXITY))
def test_modified_kneser_ney_perplexity_matches_kenlm(tokenizer, order):
    train, test = _kenlm_corpus()
    if tokenizer == "chars":
        train = [s.replace(" ", "_") for s in train]
        test = [s.replace(" ", "_") for s in test]
    lm = _fit(train, order=order, smoothing="modified_kneser_ney", tokenizer=tokenizer)
    # ARPA files round log10 probabilities to 7 digits: 1e-6 is parity. At
    # the character level the lower orders' adjusted counts differ slightly
    # (measured: 9e-6 relative).
    rtol = 1e-6 if tokenizer == "whitespace" else 2e-5
    assert lm.perplexity(test) == pytest.approx(
        KENLM_PERPLEXITY[tokenizer, order], rel=rtol
    )


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_one_sentence_calls_agree_with_whole_corpus_calls(smoothing, order):
    # One sentence per call takes a path of its own (fewer numpy calls).
    sentences = _corpus()
    lm = _fit(sentences, order=order, smoothing=smoothing, min_count=2)
    test = _corpus(20, seed=7) + [["unseen", "words", "the"], []]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # stupid backoff
        whole = lm.score_samples(test)
        one = [lm.score_samples([s])[0] for s in test]
        text = [lm.score_samples([" ".join(s)])[0] for s in test]
    np.testing.assert_allclose(one, whole, rtol=1e-12)
    np.testing.assert_allclose(text, whole, rtol=1e-12)
