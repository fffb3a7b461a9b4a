# SPDX-License-Identifier: BSD-3-Clause
"""
======================================================================
A character-level LSTM writes fake Python: the standard library as corpus
======================================================================

Every Python installation ships the source of its own standard library, so
this example needs no download: it reads a megabyte of ``.py``
files, trains a character-level language model on them and samples "fake
Python code" from it, next to a character n-gram model trained on the same
text.

Both models share one interface: ``tokenizer="chars"`` makes every
character (spaces and newlines included) a token, for the counted n-grams
of :class:`~sklearn_rnn.NGramLanguageModel` and for
:class:`~sklearn_rnn.NeuralLanguageModel`, whose ``backbone="lstm"`` reads
everything since the start of its "sentence". Here a sentence is one
top-level block of a file (the text from one unindented statement to the
next), often thousands of characters long: the LSTM is trained on them with
truncated backpropagation through time, in chunks of ``bptt`` characters
with the state carried from chunk to chunk.

The files are picked deterministically: the standard library's top-level
modules between 4 and 40 KB, in alphabetical order, every tenth one held out
for validation. The validation perplexity of both models is printed (per
character, end symbols included); the samples are drawn at three
temperatures, lower ones keeping to the most likely characters.

What to expect
--------------
The full run (``OMP_NUM_THREADS=1``, one CPU thread: 1.0 MB of training
text in 1,408 blocks, 43 KB of validation text in 70 blocks) trains the LSTM
for its 8 epochs in about five and a half minutes (326 s) and gives these
validation perplexities per character:

=====================================  ==========
model                                  perplexity
=====================================  ==========
7-gram, interpolated modified KN       3.90
LSTM, 256 units, 8 epochs              4.41
=====================================  ==========

With this little training **the 7-gram model is still the better predictor
of unseen files**; the 512-unit LSTM of ``benchmarks/bench_lm_neural.py
--part char``, trained for up to 50 minutes, is compared with it in the
README. In the samples the LSTM keeps the shape of Python (``__all__``
lists, docstrings, ``def`` lines that return) while inventing words, and
the 7-gram copies longer fragments of real code whose lines and indentation
drift from one context to the next. Both generate three to four thousand
characters per second.

Set ``SKLEARN_RNN_EXAMPLE_FAST=1`` for a run of a few seconds (tiny data and
network: the samples are then gibberish).
"""

import os
import time
import warnings

import matplotlib.pyplot as plt

from sklearn_rnn import NeuralLanguageModel, NGramLanguageModel
from sklearn_rnn.datasets import load_python_source

FAST = os.environ.get("SKLEARN_RNN_EXAMPLE_FAST") == "1"
TRAIN_CHARS = 3_000 if FAST else 1_000_000
VALID_CHARS = 1_000 if FAST else 40_000

# %%
# The corpus: the standard library's own source
# ---------------------------------------------
# :func:`~sklearn_rnn.datasets.load_python_source` reads the top-level
# modules of 4 to 40 KB in alphabetical order, holds out every tenth file for
# validation and cuts each file into blocks: the text from one unindented
# statement after a blank line to the next.
train, valid = load_python_source(TRAIN_CHARS, VALID_CHARS)
print(
    f"training: {sum(map(len, train)):,} characters in {len(train)} blocks; "
    f"validation: {sum(map(len, valid)):,} characters in {len(valid)} blocks"
)

# %%
# A character n-gram model
# ------------------------
# Order 7: each character is predicted from the six before it, with
# interpolated modified Kneser-Ney smoothing. (Where an order's
# count-of-counts cannot give the three discounts, the model says so and uses
# KenLM's fallback discounts there.)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The count-of-counts", UserWarning)
    ngram = NGramLanguageModel(
        order=7, smoothing="modified_kneser_ney", tokenizer="chars"
    ).fit(train)
print(f"7-gram model fitted in {time.perf_counter() - start:.1f} s")

# %%
# A character LSTM
# ----------------
# One layer of 256 units over 64-dimensional character embeddings, trained
# with Adam in chunks of 128 characters, 32 blocks side by side, with
# dropout on its outputs and the learning rate halved whenever the loss on a
# random tenth of the training blocks stops improving.
lstm = NeuralLanguageModel(
    backbone="lstm",
    tokenizer="chars",
    embedding_dim=64 if not FAST else 8,
    hidden_size=256 if not FAST else 16,
    dropout=0.2,
    bptt=128,
    batch_size=32,
    lr=2e-3,
    lr_schedule="plateau",
    early_stopping=not FAST,  # the fast run has too few blocks to hold out
    validation_split="shuffle",
    n_iter_no_change=3,
    max_epochs=8 if not FAST else 1,
    clip_grad_norm=1.0,
    random_state=0,
)
start = time.perf_counter()
lstm.fit(train)
print(
    f"LSTM trained in {time.perf_counter() - start:.0f} s ({lstm.n_iter_} epochs, "
    f"{len(lstm.classes_)} characters in the vocabulary)"
)

# %%
# Validation perplexity
# ---------------------
# Unseen characters are scored as ``<unk>``, so both perplexities are finite.
ppl = {
    "7-gram (modified Kneser-Ney)": ngram.perplexity(valid),
    "LSTM": lstm.perplexity(valid),
}
for name, value in ppl.items():
    print(f"validation perplexity per character, {name}: {value:.2f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(1, lstm.n_iter_ + 1), lstm.loss_curve_, marker="o", label="LSTM")
ax.axhline(-ngram.score(train), ls="--", c="gray", label="7-gram, training")
ax.set_xlabel("epoch")
ax.set_ylabel("training cross-entropy (nats/char)")
ax.legend()
fig.tight_layout()


# %%
# Fake Python
# -----------
def render(tokens):
    # The end symbol closes a block; blocks end with their blank lines.
    return "".join(t for t in tokens if t != "</s>")


n_chars = 80 if FAST else 600
seed = "def "
for temperature in (0.5, 0.8, 1.0):
    for name, model in (("LSTM", lstm), ("7-gram", ngram)):
        start = time.perf_counter()
        tokens = model.generate(
            n_chars, seed=seed, temperature=temperature, random_state=0
        )
        speed = n_chars / (time.perf_counter() - start)
        print(
            f"\n----- {name}, temperature {temperature} ({speed:,.0f} "
            f"characters/s) -----\n{seed}{render(tokens)}"
        )
plt.show()
