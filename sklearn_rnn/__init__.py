# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural networks as first-class scikit-learn estimators.

The public names are imported on first use (PEP 562), so that ``import
sklearn_rnn`` stays light: torch is loaded by the first neural estimator
touched, never by :class:`NGramLanguageModel`.
"""

import importlib

from sklearn_rnn._version import __version__

# Public name -> the module that defines it.
_LAZY = {
    "NGramLanguageModel": "sklearn_rnn.lm._ngram",
    "NeuralLanguageModel": "sklearn_rnn.lm._neural_lm",
    "RNNClassifier": "sklearn_rnn._classifier",
    "RNNForecaster": "sklearn_rnn._forecaster",
    "RNNRegressor": "sklearn_rnn._regressor",
    "Seq2SeqTransformer": "sklearn_rnn._seq2seq",
    "SlidingWindowTransformer": "sklearn_rnn.windowing",
    "make_windows": "sklearn_rnn.windowing",
}

__all__ = [
    "NGramLanguageModel",
    "NeuralLanguageModel",
    "RNNClassifier",
    "RNNForecaster",
    "RNNRegressor",
    "Seq2SeqTransformer",
    "SlidingWindowTransformer",
    "make_windows",
    "__version__",
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sklearn_rnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
