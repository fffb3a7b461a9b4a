# SPDX-License-Identifier: BSD-3-Clause
"""Where each public name is defined, and the lazy loading that uses it.

The table is plain data at the bottom of the package, so the packages'
``__init__`` files (which load a name on first use, PEP 562) and the
persistence layer (which imports the module of a public estimator named in a
file, and nothing else) read it without importing anything above them.
"""

import importlib

# Public name -> the module that defines it.
PUBLIC_NAMES = {
    "InterpolatedLanguageModel": "sklearn_rnn.lm._interpolated",
    "NGramLanguageModel": "sklearn_rnn.lm._ngram",
    "NeuralLanguageModel": "sklearn_rnn.lm._neural_lm",
    "PanelForecaster": "sklearn_rnn.forecasting._estimator",
    "RNNClassifier": "sklearn_rnn._classifier",
    "RNNForecaster": "sklearn_rnn._forecaster",
    "RNNRegressor": "sklearn_rnn._regressor",
    "Seq2SeqTransformer": "sklearn_rnn._seq2seq",
    "SequenceScaler": "sklearn_rnn.preprocessing",
    "SlidingWindowTransformer": "sklearn_rnn.windowing",
    "make_windows": "sklearn_rnn.windowing",
}


def lazy_loader(package, names):
    """``__getattr__`` and ``__dir__`` for a package exporting ``names`` lazily."""
    namespace = vars(importlib.import_module(package))

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(PUBLIC_NAMES[name]), name)
        namespace[name] = value  # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
