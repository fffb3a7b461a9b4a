# SPDX-License-Identifier: BSD-3-Clause
"""Language models: counted n-grams (numpy only), neural networks (torch) and
their linear interpolation.

Each is imported on first use (PEP 562): the n-gram model, and a mixture of
n-gram models, never load torch.
"""

from sklearn_rnn.utils._lazy import lazy_loader

__all__ = ["InterpolatedLanguageModel", "NGramLanguageModel", "NeuralLanguageModel"]

__getattr__, __dir__ = lazy_loader(__name__, __all__)
