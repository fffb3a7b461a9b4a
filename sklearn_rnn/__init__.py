# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural networks as first-class scikit-learn estimators.

The public names are imported on first use (PEP 562), so that ``import
sklearn_rnn`` stays light: torch is loaded by the first neural estimator
touched, never by :class:`NGramLanguageModel`.
"""

from sklearn_rnn._version import __version__
from sklearn_rnn.utils._lazy import lazy_loader

__all__ = [
    "InterpolatedLanguageModel",
    "NGramLanguageModel",
    "NeuralLanguageModel",
    "PanelForecaster",
    "RNNClassifier",
    "RNNForecaster",
    "RNNRegressor",
    "Seq2SeqTransformer",
    "SequenceScaler",
    "SlidingWindowTransformer",
    "make_windows",
    "__version__",
]

__getattr__, __dir__ = lazy_loader(__name__, __all__[:-1])
