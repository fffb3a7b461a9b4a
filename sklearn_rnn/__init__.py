# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural networks as first-class scikit-learn estimators."""

from sklearn_rnn._classifier import RNNClassifier
from sklearn_rnn._forecaster import RNNForecaster
from sklearn_rnn._regressor import RNNRegressor
from sklearn_rnn._seq2seq import Seq2SeqTransformer
from sklearn_rnn._version import __version__
from sklearn_rnn.lm import NGramLanguageModel
from sklearn_rnn.windowing import SlidingWindowTransformer, make_windows

__all__ = [
    "NGramLanguageModel",
    "RNNClassifier",
    "RNNForecaster",
    "RNNRegressor",
    "Seq2SeqTransformer",
    "SlidingWindowTransformer",
    "make_windows",
    "__version__",
]
