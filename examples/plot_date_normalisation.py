# SPDX-License-Identifier: BSD-3-Clause
"""
======================================================================
Date normalisation: human-written dates to ISO 8601
======================================================================

Dates written by people come in many formats: ``"April 22, 2019"``,
``"22/04/19"``, ``"Mon 22 Apr 2019"``, ``"2019.04.22"``, ``"April 22nd,
2019"``... This example trains :class:`~sklearn_rnn.Seq2SeqTransformer` to
rewrite them all as ``"2019-04-22"``, character by character, the task of
Andrew Ng's "neural machine translation" exercise. The 16 formats and the
rule for two-digit years are those of
:func:`~sklearn_rnn.datasets.make_date_pairs`.

The model reads the characters with a bidirectional GRU encoder (64 units per
direction) and writes the ISO date with a GRU decoder that attends over the
encoder's outputs (Luong attention): to write the month it must find the
month, wherever the format put it. Accuracy is exact match on held-out dates,
with greedy decoding and with beam search.

Results measured with ``OMP_NUM_THREADS=1 python
examples/plot_date_normalisation.py`` (full mode: 20,000 training dates,
2,000 held out; torch 2.13 CPU, one thread of a 2-core machine running the
addition example on the other core; re-run after beam search began keeping
finished hypotheses aside, with the same accuracies as before)::

    training: 15 epochs in 117 s
    greedy decoding: exact match on 2000 held-out dates 100.00% (0.3 s)
      beam decoding: exact match on 2000 held-out dates 100.00% (1.0 s)

Every held-out date is normalised exactly, in every format, with either
decoding; ``benchmarks/bench_seq2seq_decoding.py`` compares the two on less
trained models, where they differ.

Set ``SKLEARN_RNN_EXAMPLE_FAST=1`` to run a much smaller version (1,000
dates, 2 epochs) that only checks that the code runs.
"""

# %%
# The data
# --------
import os
import time
from collections import defaultdict

import matplotlib.pyplot as plt
import torch

from sklearn_rnn import Seq2SeqTransformer
from sklearn_rnn.datasets import make_date_pairs

FAST = os.environ.get("SKLEARN_RNN_EXAMPLE_FAST") == "1"
n_train, n_test = (1_000, 200) if FAST else (20_000, 2_000)
torch.set_num_threads(1)  # small recurrent models gain nothing from more

X, y = make_date_pairs(n_train + n_test, random_state=0)
X_train, y_train = X[:n_train], y[:n_train]
X_test, y_test = X[n_train:], y[n_train:]
for date, iso in zip(X_train[:6], y_train[:6]):
    print(f"{date!r:>32} -> {iso}")

# %%
# Training
# --------
model = Seq2SeqTransformer(
    "gru",
    64,
    attention="luong",
    bidirectional=True,
    lr=3e-3,
    batch_size=128,
    max_epochs=2 if FAST else 40,
    early_stopping=True,
    validation_split="shuffle",
    n_iter_no_change=4,
    random_state=0,
)
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"training: {model.n_iter_} epochs in {time.perf_counter() - start:.0f} s")

# %%
# Greedy decoding and beam search
# -------------------------------
for decoding in ("greedy", "beam"):
    model.set_params(decoding=decoding, beam_width=5)
    start = time.perf_counter()
    accuracy = model.score(X_test, y_test)
    elapsed = time.perf_counter() - start
    print(
        f"{decoding:>6} decoding: exact match on {n_test} held-out dates "
        f"{accuracy:.2%} ({elapsed:.1f} s)"
    )

# %%
# Which formats are hardest?
# --------------------------
# The errors, grouped by the shape of the input (digits as 9, letters as a).
model.set_params(decoding="greedy")
predictions = model.predict(X_test)
errors, counts = defaultdict(int), defaultdict(int)
for date, iso, pred in zip(X_test, y_test, predictions):
    shape = "".join(
        "9" if c.isdigit() else "a" if c.isalpha() else c for c in date
    )
    counts[shape] += 1
    errors[shape] += iso != pred
worst = sorted(counts, key=lambda s: errors[s] / counts[s], reverse=True)[:5]
for shape in worst:
    if errors[shape]:
        print(f"{shape:>32}: {errors[shape]} errors in {counts[shape]}")
wrong = [(d, p) for d, t, p in zip(X_test, y_test, predictions) if t != p]
print(f"{len(wrong)} errors in {n_test} dates, for example:", wrong[:5])

# %%
# Learning curve
# --------------
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(model.loss_curve_, label="training")
ax.plot(model.validation_scores_, label="validation")
ax.set(xlabel="epoch", ylabel="cross-entropy per character", yscale="log")
ax.legend()
plt.tight_layout()
plt.show()
