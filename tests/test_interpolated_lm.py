# SPDX-License-Identifier: BSD-3-Clause
"""Tests of InterpolatedLanguageModel: the mixture against its members, EM
against a brute-force search of the weights, and the meta-estimator API."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV

from sklearn_rnn import (
    InterpolatedLanguageModel,
    NeuralLanguageModel,
    NGramLanguageModel,
)
from sklearn_rnn.persistence import load, save

WORDS = "the a cat dog sat ran on under mat log fish big red".split()


def _corpus(n_sentences, seed):
    """Sentences of a Markov chain over WORDS: seen and unseen n-grams."""
    successor = np.random.RandomState(42).randint(len(WORDS), size=len(WORDS))
    rng = np.random.RandomState(seed)
    sentences = []
    for _ in range(n_sentences):
        tokens = [rng.randint(len(WORDS))]
        for _ in range(rng.randint(0, 7)):
            jump = rng.rand() < 0.4
            tokens.append(rng.randint(len(WORDS)) if jump else successor[tokens[-1]])
        sentences.append(" ".join(WORDS[t] for t in tokens))
    return sentences


TRAIN = _corpus(80, seed=0)
HELD_OUT = _corpus(25, seed=1)


def _members():
    return [
        ("trigram", NGramLanguageModel(order=3, smoothing="add_k", k=0.05)),
        ("bigram", NGramLanguageModel(order=2, smoothing="add_k", k=0.2)),
        ("unigram", NGramLanguageModel(order=1)),
    ]


def _token_probabilities(lm, sentences):
    """P(token | sentence prefix) of each token and end symbol, read from
    the public predict_proba only."""
    contexts, targets = [], []
    for sentence in sentences:
        tokens = sentence.split()
        for i in range(len(tokens) + 1):
            contexts.append(tokens[:i])
            targets.append(tokens[i] if i < len(tokens) else lm.eos_token_)
    column = {token: c for c, token in enumerate(lm.classes_)}
    unk = column[lm.unk_token_]
    rows = lm.predict_proba(contexts)
    return rows[np.arange(len(targets)), [column.get(t, unk) for t in targets]]


# ----------------------------------------------------------------------
# The weights
# ----------------------------------------------------------------------
def test_em_weights_match_a_brute_force_search():
    lm = InterpolatedLanguageModel(_members()).fit(TRAIN, X_val=HELD_OUT)
    p = np.stack([_token_probabilities(m, HELD_OUT) for m in lm.estimators_], axis=1)
    # Every point of a grid on the simplex of three weights, step 1/200.
    steps = np.arange(201) / 200
    a, b = np.meshgrid(steps, steps, indexing="ij")
    inside = a + b <= 1 + 1e-12
    grid = np.stack([a[inside], b[inside], np.clip(1 - a - b, 0, 1)[inside]], 1)
    log_likelihood = np.log(p @ grid.T).sum(axis=0)
    best = grid[log_likelihood.argmax()]
    assert 0 < lm.weights_.min() and lm.weights_.max() < 1  # an inner optimum
    np.testing.assert_allclose(lm.weights_, best, atol=0.02)
    # EM is at least as good as every point of the grid.
    tuned = np.log(p @ lm.weights_).sum()
    assert tuned >= log_likelihood.max() - 1e-9
    np.testing.assert_allclose(
        lm.validation_perplexity_, np.exp(-tuned / len(p)), rtol=1e-10
    )
    assert lm.n_iter_ > 1


@pytest.mark.parametrize(
    "members",
    [
        _members(),
        # Kneser-Ney already holds the unigrams: the best mixture is a vertex.
        [("kn", NGramLanguageModel(order=2)), ("unigram", NGramLanguageModel(1))],
        [
            ("mle", NGramLanguageModel(order=2, smoothing="mle")),
            ("unigram", NGramLanguageModel(order=1)),
        ],
    ],
    ids=["three", "vertex", "mle"],
)
def test_tuned_mixture_is_no_worse_than_its_best_member(members):
    lm = InterpolatedLanguageModel(members).fit(TRAIN, X_val=HELD_OUT)
    members_ppl = [m.perplexity(HELD_OUT) for m in lm.estimators_]
    np.testing.assert_allclose(members_ppl, lm.member_validation_perplexities_)
    assert lm.perplexity(HELD_OUT) <= min(members_ppl) + 1e-12
    assert lm.validation_perplexity_ == pytest.approx(lm.perplexity(HELD_OUT))
    assert lm.weights_.sum() == pytest.approx(1) and np.all(lm.weights_ >= 0)


def test_without_x_val_the_end_of_x_is_held_out():
    lm = InterpolatedLanguageModel(_members(), validation_fraction=0.25)
    lm.fit(TRAIN)
    n_fit = len(TRAIN) - 20  # ceil(0.25 * 80) held out
    alone = NGramLanguageModel(order=1).fit(TRAIN[:n_fit])
    assert lm.n_tokens_ == alone.n_tokens_ == lm.estimators_[2].n_tokens_
    np.testing.assert_array_equal(
        lm.estimators_[2].score_samples(HELD_OUT), alone.score_samples(HELD_OUT)
    )
    assert lm.validation_perplexity_ == pytest.approx(lm.perplexity(TRAIN[n_fit:]))
    # With X_val the members see all of X.
    lm.fit(TRAIN, X_val=HELD_OUT)
    assert lm.n_tokens_ == NGramLanguageModel().fit(TRAIN).n_tokens_


def test_explicit_weights_fit_on_all_of_x_and_are_normalised():
    lm = InterpolatedLanguageModel(_members(), weights=[2, 1, 1]).fit(TRAIN)
    np.testing.assert_array_equal(lm.weights_, [0.5, 0.25, 0.25])
    assert lm.n_tokens_ == NGramLanguageModel().fit(TRAIN).n_tokens_
    for name in ("validation_perplexity_", "member_validation_perplexities_"):
        assert not hasattr(lm, name)
    assert list(lm.named_estimators_) == ["trigram", "bigram", "unigram"]
    assert lm.named_estimators_.bigram is lm.estimators_[1]


# ----------------------------------------------------------------------
# The mixture against its members
# ----------------------------------------------------------------------
class _Unusable(NGramLanguageModel):
    """A member that fails whenever it is asked for a probability."""

    def _log_probs(self, ids, lengths):
        raise AssertionError("a member of weight 0 was evaluated")

    def _distributions(self, ids, lengths):
        raise AssertionError("a member of weight 0 was evaluated")


def test_weights_one_and_zero_reproduce_the_first_member_exactly():
    lm = InterpolatedLanguageModel(
        [("kn", NGramLanguageModel(order=3)), ("never", _Unusable(order=2))],
        weights=[1, 0],
    ).fit(TRAIN)
    alone = NGramLanguageModel(order=3).fit(TRAIN)
    np.testing.assert_allclose(
        lm.score_samples(HELD_OUT), alone.score_samples(HELD_OUT), rtol=0, atol=1e-10
    )
    assert lm.score(HELD_OUT) == pytest.approx(alone.score(HELD_OUT), abs=1e-12)
    contexts = ["the cat", "", "unseen words here"]
    np.testing.assert_allclose(
        lm.predict_proba(contexts), alone.predict_proba(contexts), atol=1e-12
    )
    np.testing.assert_array_equal(lm.predict(contexts), alone.predict(contexts))
    assert lm.generate(20, random_state=3) == alone.generate(20, random_state=3)


def test_predict_proba_is_the_weighted_sum_of_the_members():
    lm = InterpolatedLanguageModel(_members(), weights=[0.2, 0.5, 0.3]).fit(TRAIN)
    contexts = ["the cat", "", "a big red", [], ["unseen", "dog"]]
    proba = lm.predict_proba(contexts)
    expected = sum(
        w * m.predict_proba(contexts) for w, m in zip(lm.weights_, lm.estimators_)
    )
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(np.exp(lm.predict_log_proba(contexts)), proba)
    np.testing.assert_array_equal(
        lm.predict(contexts), lm.classes_[proba.argmax(axis=1)]
    )
    # score_samples is the log of the mixed token probabilities.
    p = np.stack([_token_probabilities(m, HELD_OUT) for m in lm.estimators_], 1)
    np.testing.assert_allclose(
        lm.score(HELD_OUT), np.log(p @ lm.weights_).mean(), rtol=1e-12
    )


def test_large_inputs_are_mixed_in_blocks(monkeypatch):
    import sklearn_rnn.lm._interpolated as module

    lm = InterpolatedLanguageModel(_members(), weights=[1, 1, 1]).fit(TRAIN)
    contexts = HELD_OUT + ["", "the"]
    whole = lm.predict_proba(contexts)
    monkeypatch.setattr(module, "_BLOCK_CELLS", 3 * len(lm.classes_))
    assert len(list(lm._distributions(*lm._encoded(contexts)))) == 9
    np.testing.assert_array_equal(lm.predict_proba(contexts), whole)


def test_generate_is_reproducible_and_greedy_at_temperature_zero():
    lm = InterpolatedLanguageModel(_members(), weights=[0.5, 0.3, 0.2]).fit(TRAIN)
    first = lm.generate(30, random_state=7)
    assert first == lm.generate(30, random_state=7)
    assert first != lm.generate(30, random_state=8)
    assert len(first) == 30 and set(first) <= set(lm.classes_)
    greedy = lm.generate(15, seed="the cat", temperature=0)
    sentence, expected = ["the", "cat"], []
    for _ in range(15):
        token = lm.predict([sentence])[0]
        expected.append(token)
        sentence = [] if token == lm.eos_token_ else sentence + [token]
    assert greedy == expected


def test_token_ids_and_token_lists_work_like_text():
    X = np.random.RandomState(0).randint(0, 6, size=(40, 5))
    lm = InterpolatedLanguageModel(
        [("b", NGramLanguageModel(order=2)), ("u", NGramLanguageModel(order=1))]
    ).fit(X)
    assert lm.n_features_in_ == 5 and lm.classes_.dtype.kind == "i"
    assert lm.score_samples(X[:3]).shape == (3,)
    with pytest.raises(ValueError, match="X has 4 features, but"):
        lm.score_samples(X[:, :4])
    lists = [s.split() for s in TRAIN]
    by_lists = InterpolatedLanguageModel(_members(), weights=[1, 1, 1]).fit(lists)
    by_text = InterpolatedLanguageModel(_members(), weights=[1, 1, 1]).fit(TRAIN)
    assert not hasattr(by_lists, "n_features_in_")
    np.testing.assert_array_equal(
        by_lists.score_samples(HELD_OUT), by_text.score_samples(HELD_OUT)
    )


# ----------------------------------------------------------------------
# Members and their data
# ----------------------------------------------------------------------
class _RecordsXVal(NGramLanguageModel):
    """An n-gram model whose fit takes (and records) held-out sentences."""

    def fit(self, X, y=None, *, X_val=None):
        super().fit(X)
        self.X_val_seen_ = X_val
        return self


def test_x_val_reaches_the_members_that_take_it():
    lm = InterpolatedLanguageModel(
        [("records", _RecordsXVal(order=2)), ("plain", NGramLanguageModel(order=1))]
    )
    lm.fit(TRAIN, X_val=HELD_OUT)
    assert lm.estimators_[0].X_val_seen_ is HELD_OUT
    lm.set_params(weights=[1, 1]).fit(TRAIN, X_val=HELD_OUT)
    assert lm.estimators_[0].X_val_seen_ is HELD_OUT
    lm.set_params(weights="auto").fit(TRAIN)  # the held-out part is not X_val
    assert lm.estimators_[0].X_val_seen_ is None


def test_the_users_estimators_are_cloned_not_fitted():
    members = _members()
    lm = InterpolatedLanguageModel(members).fit(iter(TRAIN), X_val=iter(HELD_OUT))
    assert all(not hasattr(m, "classes_") for _, m in members)
    assert all(a is not b for (_, a), b in zip(members, lm.estimators_))
    # An iterator is read once and given to every member.
    assert len({m.n_tokens_ for m in lm.estimators_}) == 1


def test_a_vocabulary_mismatch_is_refused_naming_the_difference():
    lm = InterpolatedLanguageModel(
        [
            ("rare_kept", NGramLanguageModel(order=2)),
            ("rare_dropped", NGramLanguageModel(order=2, min_count=3)),
        ],
        weights=[1, 1],
    )
    with pytest.raises(ValueError, match=r"'rare_kept' and 'rare_dropped' do not"):
        lm.fit(["the cat", "the dog", "the cat", "the cat", "a dog"])
    with pytest.raises(ValueError, match=r"6 versus 4 classes.*'a' is only in the"):
        lm.fit(["the cat", "the dog", "the cat", "the cat", "a dog"])
    with pytest.raises(ValueError, match="same min_count and tokenizer"):
        lm.fit(["the cat", "the dog", "the cat", "the cat", "a dog"])
    chars = InterpolatedLanguageModel(
        [("w", NGramLanguageModel()), ("c", NGramLanguageModel(tokenizer="chars"))]
    )
    with pytest.raises(ValueError, match="split text differently.*tokenizer"):
        chars.fit(TRAIN)


def test_a_failed_fit_keeps_the_fitted_mixture():
    lm = InterpolatedLanguageModel(_members(), weights=[1, 1, 1]).fit(TRAIN)
    before = lm.score_samples(HELD_OUT)
    with pytest.raises(ValueError, match="one number per estimator"):
        lm.set_params(weights=[1, 1]).fit(TRAIN)
    np.testing.assert_array_equal(lm.score_samples(HELD_OUT), before)
    assert lm.weights_.shape == (3,)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(weights=[1, 2]), ValueError, "one number per estimator"),
        (dict(weights=[0, 0, 0]), ValueError, "all zero"),
        (dict(weights=[1, -1, 1]), ValueError, "non-negative"),
        (dict(weights=[1, np.nan, 1]), ValueError, "finite"),
        (dict(weights=["a", "b", "c"]), TypeError, "'auto' or numbers"),
        (dict(weights="best"), ValueError, "'weights' parameter"),
        (dict(validation_fraction=1.0), ValueError, "'validation_fraction'"),
        (dict(estimators=[]), ValueError, "non-empty list"),
        (dict(estimators=[NGramLanguageModel()]), ValueError, "name, language"),
        (
            dict(estimators=[("a", NGramLanguageModel()), ("a", NGramLanguageModel())]),
            ValueError,
            "not unique",
        ),
        (dict(estimators=[("w", LinearRegression())]), TypeError, "not a language"),
        (dict(estimators=[("w", NGramLanguageModel)]), TypeError, "class instead"),
        (
            dict(estimators=[("weights", NGramLanguageModel())]),
            ValueError,
            "conflict",
        ),
    ],
)
def test_bad_parameters_are_refused(params, error, match):
    lm = InterpolatedLanguageModel(_members()).set_params(**params)
    with pytest.raises(error, match=match):
        lm.fit(TRAIN)


def test_bad_input_is_refused():
    lm = InterpolatedLanguageModel(_members())
    with pytest.raises(ValueError, match="not a single string"):
        lm.fit("the cat sat")
    with pytest.raises(ValueError, match="X_val must be a collection"):
        lm.fit(TRAIN, X_val="the cat")
    with pytest.raises(ValueError, match="at least 2 sentences; got 1 sample"):
        lm.fit(["the cat sat"])
    with pytest.raises(ValueError, match="not fitted"):
        lm.score(TRAIN)


def test_unnormalised_members_are_refused():
    lm = InterpolatedLanguageModel(
        [
            ("kn", NGramLanguageModel()),
            ("stupid", NGramLanguageModel(smoothing="stupid_backoff")),
        ],
        weights=[1, 1],
    )
    with pytest.raises(ValueError, match="'stupid' gives unnormalised scores"):
        lm.fit(TRAIN)


# ----------------------------------------------------------------------
# scikit-learn, persistence, torch
# ----------------------------------------------------------------------
def test_grid_search_reaches_the_weights_and_the_members():
    lm = InterpolatedLanguageModel(
        [
            ("bigram", NGramLanguageModel(order=2, smoothing="add_k")),
            ("unigram", NGramLanguageModel(order=1)),
        ]
    )
    grid = {"weights": [[0.3, 0.7], [0.9, 0.1]], "bigram__k": [0.05, 1.0]}
    search = GridSearchCV(lm, grid, cv=3).fit(TRAIN + HELD_OUT)
    assert len(search.cv_results_["params"]) == 4
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 10))) == 4  # every parameter counts
    best = search.best_estimator_
    assert best.estimators_[0].k == search.best_params_["bigram__k"]
    np.testing.assert_allclose(best.weights_, search.best_params_["weights"])
    assert lm.estimators[0][1].k == 1.0  # the template is left alone
    assert lm.get_params()["bigram__k"] == 1.0


def test_saved_mixture_predicts_the_same(tmp_path):
    lm = InterpolatedLanguageModel(_members()).fit(TRAIN, X_val=HELD_OUT)
    path = tmp_path / "mixture.skrnn"
    lm.save(path)
    loaded = InterpolatedLanguageModel.load(path)
    np.testing.assert_array_equal(loaded.weights_, lm.weights_)
    np.testing.assert_array_equal(
        loaded.score_samples(HELD_OUT), lm.score_samples(HELD_OUT)
    )
    np.testing.assert_array_equal(
        loaded.predict_proba(["the", ""]), lm.predict_proba(["the", ""])
    )
    assert loaded.generate(10, random_state=0) == lm.generate(10, random_state=0)
    assert list(loaded.named_estimators_) == list(lm.named_estimators_)
    assert loaded.validation_perplexity_ == lm.validation_perplexity_


def test_inconsistent_saved_state_is_refused(tmp_path):
    lm = InterpolatedLanguageModel(_members(), weights=[1, 1, 1]).fit(TRAIN)
    lm.weights_ = np.array([0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="weights_ are not"):
        save(lm, tmp_path / "bad.skrnn")
        load(tmp_path / "bad.skrnn")
    lm.weights_ = np.array([0.5, 0.5])
    save(lm, tmp_path / "short.skrnn")
    with pytest.raises(ValueError, match="weights_"):
        load(tmp_path / "short.skrnn")


def test_an_n_gram_mixture_never_imports_torch():
    code = """
import sys
from sklearn_rnn import InterpolatedLanguageModel, NGramLanguageModel
lm = InterpolatedLanguageModel(
    [("b", NGramLanguageModel(order=2)), ("u", NGramLanguageModel(order=1))]
)
text = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"] * 3
lm.fit(text).score(text), lm.predict_proba(["the"]), lm.generate(3)
loaded = [m for m in ("torch", "skorch") if m in sys.modules]
assert not loaded, loaded
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_an_n_gram_and_a_network_mix():
    net = NeuralLanguageModel(
        hidden_size=8, embedding_dim=4, max_epochs=2, random_state=0
    )
    lm = InterpolatedLanguageModel([("kn", NGramLanguageModel()), ("lstm", net)])
    lm.fit(TRAIN, X_val=HELD_OUT)
    members_ppl = [m.perplexity(HELD_OUT) for m in lm.estimators_]
    assert np.isfinite(lm.perplexity(HELD_OUT))
    assert lm.perplexity(HELD_OUT) <= min(members_ppl) * (1 + 1e-6)
    np.testing.assert_allclose(lm.predict_proba(["the cat", ""]).sum(1), 1, rtol=1e-5)
    assert lm.generate(8, random_state=0) == lm.generate(8, random_state=0)


def test_the_readme_example_runs():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if "InterpolatedLanguageModel" in b]
    exec(compile(block, "README.md", "exec"), {})


def test_frozen_members_are_used_as_they_are():
    from sklearn.frozen import FrozenEstimator

    corpus = ["a b c a", "b c a b", "c a b c a", "a a b"] * 5
    held_out = ["a b c", "c b a"]
    fitted = NGramLanguageModel(order=2, smoothing="add_k").fit(corpus)
    other = NGramLanguageModel(order=1, smoothing="add_k").fit(corpus)
    before = fitted.score_samples(held_out)
    mixture = InterpolatedLanguageModel(
        [("bigram", FrozenEstimator(fitted)), ("unigram", FrozenEstimator(other))]
    ).fit(["x y z"], X_val=held_out)  # the members never see these sentences
    assert mixture.estimators_[0] is fitted and mixture.estimators_[1] is other
    np.testing.assert_array_equal(fitted.score_samples(held_out), before)
    # tuned on the held-out sentences with the members as they were fitted
    np.testing.assert_allclose(
        mixture.member_validation_perplexities_,
        [fitted.perplexity(held_out), other.perplexity(held_out)],
    )
    assert (
        mixture.validation_perplexity_
        <= min(mixture.member_validation_perplexities_) + 1e-9
    )
    with pytest.raises(Exception, match="not fitted"):
        InterpolatedLanguageModel(
            [("a", FrozenEstimator(NGramLanguageModel())), ("b", other)]
        ).fit(corpus, X_val=held_out)


def test_grid_search_over_a_network_and_the_weights():
    grid = {"rnn__hidden_size": [4, 8], "weights": [[0.5, 0.5], [0.9, 0.1]]}
    lm = InterpolatedLanguageModel(
        [
            ("rnn", NeuralLanguageModel(embedding_dim=4, max_epochs=2, random_state=0)),
            ("kn", NGramLanguageModel(order=2)),
        ]
    )
    search = GridSearchCV(lm, grid, cv=2).fit(TRAIN)
    assert len(set(np.round(search.cv_results_["mean_test_score"], 10))) == 4
    best = search.best_estimator_
    assert best.estimators_[0].hidden_size == search.best_params_["rnn__hidden_size"]


def test_validation_data_reaches_the_network():
    lm = InterpolatedLanguageModel(
        [
            ("rnn", NeuralLanguageModel(embedding_dim=4, max_epochs=2, random_state=0)),
            ("kn", NGramLanguageModel(order=2)),
        ]
    ).fit(TRAIN, X_val=HELD_OUT)
    network = lm.named_estimators_["rnn"]
    assert len(network.validation_scores_) == network.n_iter_ == 2
    assert network.n_tokens_ == sum(len(s.split()) for s in TRAIN)
