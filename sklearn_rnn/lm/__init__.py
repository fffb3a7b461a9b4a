# SPDX-License-Identifier: BSD-3-Clause
"""Language models: counted n-grams (numpy only) and neural networks (torch).

Each is imported on first use (PEP 562): the n-gram model never loads torch.
"""

import importlib

_LAZY = {
    "NGramLanguageModel": "sklearn_rnn.lm._ngram",
    "NeuralLanguageModel": "sklearn_rnn.lm._neural_lm",
}

__all__ = ["NGramLanguageModel", "NeuralLanguageModel"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sklearn_rnn.lm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
