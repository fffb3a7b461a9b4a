# SPDX-License-Identifier: BSD-3-Clause
"""One small fitted example of every public estimator, for the reliability tests.

Each case builds its estimator with a fixed ``random_state``, fits it on
fixed data, and turns its predictions into one array, so that tests can
compare models bit for bit (``output``).
"""

import numpy as np
import pandas as pd

from sklearn_rnn import (
    InterpolatedLanguageModel,
    NeuralLanguageModel,
    NGramLanguageModel,
    PanelForecaster,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    Seq2SeqTransformer,
    SequenceScaler,
    SlidingWindowTransformer,
)

TINY = dict(hidden_size=6, max_epochs=3, lr=1e-2)


def _sequences():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 7))
    return X, X.sum(axis=1)


def _series():
    rng = np.random.RandomState(1)
    values = 100 + np.cumsum(rng.normal(1.0, 2.0, size=60))
    index = pd.date_range("2000-01", periods=60, freq="MS", name="month")
    return pd.Series(values, index=index, name="sales")


def _ragged():
    rng = np.random.RandomState(2)
    return [rng.normal(size=(3 + i % 5, 2)) for i in range(40)]


TEXT = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog",
    "the mat is red",
]


class Case:
    """``make(random_state)``, ``fit(est)`` and ``output(est)`` of one example."""

    def __init__(self, name, make, fit, output, seeded=True):
        self.name, self.make, self.fit, self.output = name, make, fit, output
        self.seeded = seeded  # whether the estimator has a random_state

    def fitted(self, random_state=0):
        return self.fit(self.make(random_state))

    def __repr__(self):
        return self.name


def _fit_regressor(est):
    X, y = _sequences()
    return est.fit(X, y)


def _fit_classifier(est):
    X, y = _sequences()
    return est.fit(X, np.where(y > 0, "up", "down"))


def _fit_ragged(est):
    X = _ragged()
    return est.fit(X, [s.sum() > 0 for s in X])


def _fit_tokens(est):
    X = np.random.RandomState(3).randint(0, 9, size=(40, 5))
    return est.fit(X, X[:, -1] * 0.5)


WORDS = ["abc", "ba", "cab", "a", "bca", "cc", "acb", "b"] * 4


def _fit_words(est):
    return est.fit(WORDS, [w[::-1] for w in WORDS])


def _fit_numeric_seq2seq(est):
    X, _ = _sequences()
    return est.fit(X, np.cumsum(X[:, -3:], axis=1))


def _fit_vector_seq2seq(est):
    # One vector in, a sequence out (vector-to-sequence).
    X, _ = _sequences()
    return est.fit(X, np.cumsum(X[:, -3:], axis=1))


def _fit_forecaster(est):
    y = _series()
    return est.fit(y.to_frame().iloc[:, :0], y)


def _panel():
    """Three series of different lengths, each with a static size."""
    ys, sizes = [], []
    for k, n in enumerate([40, 34, 28]):
        y = _series().iloc[:n] * (1 + k)
        index = pd.MultiIndex.from_arrays(
            [[f"s{k}"] * n, y.index], names=["store", "month"]
        )
        ys.append(pd.Series(y.to_numpy(), index=index, name="sales"))
        sizes.append(np.full(n, 10.0 * (k + 1)))
    y = pd.concat(ys)
    return pd.DataFrame({"size": np.concatenate(sizes)}, index=y.index), y


def _fit_panel(est):
    X, y = _panel()
    return est.fit(X, y)


def _fit_panel_arrays(est):
    y = _series().to_numpy()
    X = np.column_stack([np.arange(60) % 12 == 0, np.arange(60) / 60.0])
    return est.fit(X, y)


def _next_rows():
    return np.column_stack([np.arange(60, 66) % 12 == 0, np.arange(60, 66) / 60.0])


CASES = [
    Case(
        "RNNRegressor",
        lambda rs: RNNRegressor(random_state=rs, **TINY),
        _fit_regressor,
        lambda est: est.predict(_sequences()[0]),
    ),
    Case(
        "RNNClassifier",
        lambda rs: RNNClassifier("gru", dropout=0.2, random_state=rs, **TINY),
        _fit_classifier,
        lambda est: est.predict_proba(_sequences()[0]),
    ),
    Case(
        "RNNClassifier-ragged-earlystop",
        lambda rs: RNNClassifier(
            "rnn",
            early_stopping=True,
            validation_split="stratified",
            class_weight="balanced",
            random_state=rs,
            **TINY,
        ),
        _fit_ragged,
        lambda est: est.predict_proba(_ragged()),
    ),
    Case(
        "RNNRegressor-tokens",
        lambda rs: RNNRegressor(
            embedding_dim=3, bidirectional=True, random_state=rs, **TINY
        ),
        _fit_tokens,
        lambda est: est.predict(np.arange(15).reshape(3, 5) % 9),
    ),
    Case(
        "RNNForecaster",
        lambda rs: RNNForecaster(
            RNNRegressor(random_state=rs, **TINY), window=6, horizon=3
        ),
        _fit_forecaster,
        lambda est: est.forecast(5).to_numpy(),
    ),
    Case(
        "PanelForecaster",
        lambda rs: PanelForecaster(
            RNNRegressor(**TINY),
            window=[6, 8],
            horizon=3,
            n_estimators=2,
            static_covariates=["size"],
            random_state=rs,
        ),
        _fit_panel,
        lambda est: est.forecast()[["forecast", "lower", "upper"]].to_numpy(),
    ),
    Case(
        "PanelForecaster-arrays",
        lambda rs: PanelForecaster(
            RNNRegressor(**TINY), window=6, horizon=3, random_state=rs
        ),
        _fit_panel_arrays,
        lambda est: est.predict(_next_rows()),
    ),
    Case(
        "Seq2SeqTransformer",
        lambda rs: Seq2SeqTransformer(
            "gru", attention="luong", random_state=rs, **TINY
        ),
        _fit_words,
        # The encoder's representation, and the beam's decoded strings' lengths.
        lambda est: np.column_stack(
            [
                est.transform(["abc", "ca", "zz"]),
                [len(w) for w in est.set_params(decoding="beam").predict(
                    ["abc", "ca", "zz"]
                )],
            ]
        ),
    ),
    Case(
        "Seq2SeqTransformer-numeric",
        lambda rs: Seq2SeqTransformer(
            "lstm", attention="bahdanau", random_state=rs, **TINY
        ),
        _fit_numeric_seq2seq,
        lambda est: est.predict(_sequences()[0]),
    ),
    Case(
        "Seq2SeqTransformer-vector",
        lambda rs: Seq2SeqTransformer(input_type="vector", random_state=rs, **TINY),
        _fit_vector_seq2seq,
        lambda est: est.predict(_sequences()[0]),
    ),
    Case(
        "SlidingWindowTransformer",
        lambda rs: SlidingWindowTransformer(window=3, stride=2),
        lambda est: est.fit(_series().to_frame()),
        lambda est: np.asarray(est.transform(_series().to_frame())),
        seeded=False,
    ),
    Case(
        "NeuralLanguageModel-lstm",
        lambda rs: NeuralLanguageModel(
            backbone="lstm", hidden_size=8, embedding_dim=4, max_epochs=2,
            random_state=rs,
        ),
        lambda est: est.fit(TEXT),
        lambda est: est.predict_proba(["the cat", "a", "unseen words"]),
    ),
    Case(
        "NeuralLanguageModel-mlp",
        lambda rs: NeuralLanguageModel(
            backbone="mlp", hidden_size=8, embedding_dim=4, max_epochs=2,
            random_state=rs,
        ),
        lambda est: est.fit(TEXT),
        lambda est: est.predict_proba(["the cat", "a", "unseen words"]),
    ),
    Case(
        "SequenceScaler",
        lambda rs: SequenceScaler(),
        lambda est: est.fit(_ragged()),
        lambda est: np.concatenate(est.transform(_ragged())),
        seeded=False,
    ),
    Case(
        "NGramLanguageModel",
        lambda rs: NGramLanguageModel(order=3),
        lambda est: est.fit(TEXT),
        lambda est: est.predict_proba(["the cat", "a", "unseen words"]),
        seeded=False,
    ),
    Case(
        "InterpolatedLanguageModel",
        lambda rs: InterpolatedLanguageModel(
            [
                ("bigram", NGramLanguageModel(order=2, smoothing="mle")),
                ("unigram", NGramLanguageModel(order=1)),
            ]
        ),
        lambda est: est.fit(TEXT, X_val=["the cat sat on the log"]),
        lambda est: est.predict_proba(["the cat", "a", "unseen words"]),
        seeded=False,
    ),
]
