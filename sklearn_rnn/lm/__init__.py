# SPDX-License-Identifier: BSD-3-Clause
"""Language models: counted n-grams (numpy) and neural backbones (torch,
imported only when a neural backbone is fitted)."""

from sklearn_rnn.lm._ngram import NGramLanguageModel

__all__ = ["NGramLanguageModel"]
