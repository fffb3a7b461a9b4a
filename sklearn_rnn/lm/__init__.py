# SPDX-License-Identifier: BSD-3-Clause
"""Language models: counted n-grams (numpy only) and neural networks (torch).

Each is imported on first use (PEP 562): the n-gram model never loads torch.
"""

from sklearn_rnn.utils._lazy import lazy_loader

__all__ = ["NGramLanguageModel", "NeuralLanguageModel"]

__getattr__, __dir__ = lazy_loader(__name__, __all__)
