# SPDX-License-Identifier: BSD-3-Clause
"""Count-based language models (numpy only, no torch)."""

from sklearn_rnn.lm._ngram import NGramLanguageModel

__all__ = ["NGramLanguageModel"]
