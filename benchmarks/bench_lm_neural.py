# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent language models against Kneser-Ney, at the word and character level.

**Word level** (``--part word``): the Python documentation corpus
(``../shared/data/python_docs_corpus``), the whole training split, the
vocabulary of ``bench_ngram.py`` (tokens seen at least twice, the others
``<unk>``) and the same scored events: every token and end symbol of the
test split. The n-gram models are fitted on the training split. The LSTM
trains on the training split within a time budget (``--budget``, seconds),
early stopping and the learning-rate schedule watching the validation split;
the interpolated model mixes it with the 5-gram, its weight tuned on the
validation split by EM. The test split is scored once, at the end, for
every model: nothing is chosen on it.

**Character level** (``--part char``): the standard library's own source
(:func:`sklearn_rnn.datasets.load_python_source`: 1 MB of training files,
43 KB of validation files), a character 7-gram with modified Kneser-Ney
against a character LSTM under the same budget. The LSTM's early stopping
holds out a tenth of the training blocks; the held-out files are scored at
the end.

**Overhead** (``--part overhead``): tokens per second of training of
``NeuralLanguageModel`` against a plain PyTorch loop that trains the same
network (embedding, LSTM, adaptive softmax, Adam, gradient clipping) on the
same sentences in batches cut the same way (length buckets, padding, the
loss on real steps only), one epoch each, alternated over ``--repeats``.

Peak memory is the process's maximum resident set size after the LSTM's
training (``ru_maxrss``). The validation curve is skorch's epoch loss
(a mean over batches weighted by their number of sentences: close to, not
exactly, the per-token perplexity printed at the end).

Run (each part prints its table; ``--json`` writes the results)::

    OMP_NUM_THREADS=1 python benchmarks/bench_lm_neural.py --part word
    OMP_NUM_THREADS=1 python benchmarks/bench_lm_neural.py --part char
    OMP_NUM_THREADS=1 python benchmarks/bench_lm_neural.py --part overhead
    python benchmarks/bench_lm_neural.py --part word --device cuda   # on a GPU
    python benchmarks/bench_lm_neural.py --part word --budget 60 \\
        --train-sentences 2000                                  # a quick check
"""

import argparse
import json
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator

from sklearn_rnn import (
    InterpolatedLanguageModel,
    NeuralLanguageModel,
    NGramLanguageModel,
)
from sklearn_rnn.datasets import load_python_source

DATA = Path(
    os.environ.get(
        "SKLEARN_RNN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)

# The recipes, fixed before any test score was seen: a one-layer LSTM with
# the adaptive softmax (words) or a full one (characters), variational and
# embedding dropout, Adam with the plateau schedule, gradient clipping.
WORD_LSTM = dict(
    backbone="lstm",
    min_count=2,
    embedding_dim=256,
    hidden_size=512,
    softmax="adaptive",
    dropout=0.3,
    variational_dropout=True,
    embedding_dropout=0.1,
    bptt=64,
    batch_size=64,
    lr=2e-3,
    lr_schedule="plateau",
    clip_grad_norm=1.0,
    early_stopping=True,
    n_iter_no_change=3,
    max_epochs=100,
    random_state=0,
)
# The first character recipe (dropout 0.2, the last tenth of the blocks
# held out, patience 3) stopped after 12 of its 60 minutes on a validation
# curve that jumped between 4.2 and 7.3 from one epoch to the next, with the
# training loss well below: the held-out blocks are now a random tenth (the
# last files of the alphabet are not like the others), the patience longer
# and the dropout higher. Its held-out files scored 4.13 (see the README).
# That second recipe swung just the same (1.49, 1.85, 1.31, 1.56 nats in
# epochs 2-5): the batches, not the held-out blocks, were at fault (see
# TokenStreamDataset.bucketed); it was stopped and run again once fixed.
# A first fix (long documents in random order) still swung (1.74, 1.74,
# 1.77, 1.48): epochs ended on a few lanes of the longest documents. Long
# documents are now dealt longest first: the fourth run, with a 50-minute
# budget (--budget 3000) for lack of time, is the result.
CHAR_LSTM = dict(
    backbone="lstm",
    tokenizer="chars",
    embedding_dim=64,
    hidden_size=512,
    dropout=0.3,
    bptt=128,
    batch_size=32,
    lr=2e-3,
    lr_schedule="plateau",
    clip_grad_norm=1.0,
    early_stopping=True,
    validation_split="shuffle",
    n_iter_no_change=6,
    max_epochs=100,
    random_state=0,
)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def curve(lm):
    """(seconds since the start of training, validation perplexity) per epoch."""
    rows = [row for row in lm.net_.history if "valid_loss" in row]
    seconds = np.cumsum([row["dur"] for row in rows])
    return [
        (float(t), float(np.exp(row["valid_loss"]))) for t, row in zip(seconds, rows)
    ]


def train_lstm(params, train, budget, n_events, device="cpu", **fit_params):
    lm = NeuralLanguageModel(**params, max_time=budget, verbose=2, device=device)
    start = time.perf_counter()
    lm.fit(train, **fit_params)
    seconds = time.perf_counter() - start
    info = dict(
        fit_s=seconds,
        epochs=lm.n_iter_,
        s_per_epoch=seconds / lm.n_iter_,
        tokens_per_s=n_events * lm.n_iter_ / seconds,
        peak_rss_mb=peak_rss_mb(),
        validation_curve=curve(lm),
    )
    print(
        f"LSTM: {lm.n_iter_} epochs in {seconds:.0f} s ({info['s_per_epoch']:.0f} "
        f"s/epoch, {info['tokens_per_s']:,.0f} tokens/s), peak RSS "
        f"{info['peak_rss_mb']:,.0f} MB",
        flush=True,
    )
    return lm, info


def word_part(args):
    root = DATA / "python_docs_corpus"
    train, valid, test = (
        (root / f"{split}.txt").read_text().splitlines()
        for split in ("train", "valid", "test")
    )
    train = train[: args.train_sentences]
    n_events = sum(len(s.split()) + 1 for s in train)
    print(
        f"training: {len(train):,} sentences ({n_events:,} tokens and end "
        f"symbols); validation {len(valid):,}, test {len(test):,} sentences",
        flush=True,
    )
    lstm, info = train_lstm(
        WORD_LSTM, train, args.budget, n_events, args.device, X_val=valid
    )
    results = [dict(model="LSTM", **info)]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ngrams = {
            order: NGramLanguageModel(
                order=order, smoothing="modified_kneser_ney", min_count=2
            ).fit(train)
            for order in (3, 5)
        }
    assert all((lm.classes_ == lstm.classes_).all() for lm in ngrams.values())
    # The members are fitted already: frozen, the mixture only tunes the
    # weights, on the validation split.
    mixture = InterpolatedLanguageModel(
        [("lstm", FrozenEstimator(lstm)), ("kn5", FrozenEstimator(ngrams[5]))]
    ).fit(train, X_val=valid)
    models = {
        "3-gram modified KN": ngrams[3],
        "5-gram modified KN": ngrams[5],
        "LSTM": lstm,
        f"LSTM + 5-gram (weights {np.round(mixture.weights_, 3).tolist()})": mixture,
    }
    print(f"\n{'model':44s} {'valid ppl':>10s} {'test ppl':>10s}")
    for name, lm in models.items():
        row = dict(
            model=name, valid_ppl=lm.perplexity(valid), test_ppl=lm.perplexity(test)
        )
        print(f"{name:44s} {row['valid_ppl']:10.2f} {row['test_ppl']:10.2f}")
        results.append(row)
    print("\nvalidation curve (seconds, perplexity):")
    print(", ".join(f"({t:.0f}, {p:.1f})" for t, p in info["validation_curve"]))
    target = ngrams[5].perplexity(valid)
    reached = [t for t, p in info["validation_curve"] if p < target]
    print(
        f"time to reach the 5-gram's validation perplexity ({target:.1f}): "
        + (f"{reached[0]:.0f} s" if reached else "not reached")
    )
    return results


def char_part(args):
    train, valid = load_python_source()
    n_events = sum(len(b) + 1 for b in train)
    print(f"training: {len(train):,} blocks ({n_events:,} characters and ends)")
    lstm, info = train_lstm(CHAR_LSTM, train, args.budget, n_events, args.device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        ngram = NGramLanguageModel(
            order=7, smoothing="modified_kneser_ney", tokenizer="chars"
        ).fit(train)
        ngram_s = time.perf_counter() - start
    results = [dict(model="char LSTM", **info, valid_ppl=lstm.perplexity(valid))]
    results.append(
        dict(model="char 7-gram", fit_s=ngram_s, valid_ppl=ngram.perplexity(valid))
    )
    print(f"\n{'model':20s} {'fit s':>8s} {'held-out ppl/char':>18s}")
    for row in results:
        print(f"{row['model']:20s} {row['fit_s']:8.0f} {row['valid_ppl']:18.3f}")
    print("\nvalidation curve (seconds, perplexity):")
    print(", ".join(f"({t:.0f}, {p:.2f})" for t, p in info["validation_curve"]))
    return results


def overhead_part(args):
    from _plain_lm_loop import plain_epoch

    root = DATA / "python_docs_corpus"
    train = (root / "train.txt").read_text().splitlines()[: args.train_sentences]
    params = {
        **WORD_LSTM,
        "early_stopping": False,
        "lr_schedule": None,
        "max_epochs": 1,
        "dropout": 0.0,
        "embedding_dropout": 0.0,
    }
    n_events = sum(len(s.split()) + 1 for s in train)
    ours, plain = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        lm = NeuralLanguageModel(**params).fit(train)
        ours.append(time.perf_counter() - start)
        plain.append(plain_epoch(train, lm, params))
    ratio = np.median(ours) / np.median(plain)
    print(
        f"{len(train):,} sentences, {n_events:,} tokens, one epoch: "
        f"NeuralLanguageModel {n_events / np.median(ours):,.0f} tokens/s, plain "
        f"PyTorch loop {n_events / np.median(plain):,.0f} tokens/s; time ratio "
        f"{ratio:.2f}x (median of {args.repeats})"
    )
    return [dict(ours_s=ours, plain_s=plain, ratio=float(ratio))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["word", "char", "overhead"], required=True)
    parser.add_argument("--budget", type=float, default=3600.0)
    parser.add_argument("--train-sentences", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--device", default="cpu", help='torch device of the LSTMs ("cuda")'
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.part == "overhead" and args.train_sentences is None:
        args.train_sentences = 10_000
    results = {"word": word_part, "char": char_part, "overhead": overhead_part}[
        args.part
    ](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
