# SPDX-License-Identifier: BSD-3-Clause
"""NeuralLanguageModel's backbones beside the n-gram smoothings.

Word-level test perplexity on the Python documentation corpus of the
recurrent (LSTM, GRU, Elman RNN) and window (MLP) backbones and of the
Kneser-Ney n-gram models, all fitted on the same training sentences with the
same vocabulary (tokens seen at least twice, the rest mapped to ``<unk>``),
so that the perplexities are comparable. The full test split is scored.

Training the networks on the CPU is what limits the run: by default they see
the first 20,000 training sentences (about 310,000 tokens, a quarter of the
split) for a fixed number of epochs; the n-gram models are fitted on the same
subset, and for reference on the whole split (whose vocabulary is larger,
so that perplexity is not comparable with the others).

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_lm_neural.py    # ~15 min of CPU
    python benchmarks/bench_lm_neural.py --backbones mlp --epochs 1  # quick
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

from sklearn_rnn import NeuralLanguageModel, NGramLanguageModel

DATA = Path(
    os.environ.get(
        "SKLEARN_RNN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-sentences", type=int, default=20_000)
    parser.add_argument("--backbones", nargs="+", default=["mlp", "lstm", "gru", "rnn"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    root = DATA / "python_docs_corpus"
    train_all = (root / "train.txt").read_text().splitlines()
    test = (root / "test.txt").read_text().splitlines()
    train = train_all[: args.train_sentences]
    n_tokens = sum(len(s.split()) for s in train)
    n_test = sum(len(s.split()) + 1 for s in test)
    print(
        f"training on {len(train):,} of {len(train_all):,} sentences "
        f"({n_tokens:,} tokens); test: {len(test):,} sentences, {n_test:,} "
        "predictions (tokens and end symbols)"
    )
    results = []

    def report(name, lm, fit_s, note=""):
        ppl = lm.perplexity(test)
        results.append(dict(model=name, fit_s=fit_s, test_perplexity=ppl))
        print(f"{name:34s} {fit_s:9.1f} {ppl:9.1f}  {note}", flush=True)

    print(f"{'model':34s} {'fit s':>9s} {'test ppl':>9s}")
    for order in [2, 3, 4, 5]:
        for smoothing in ["kneser_ney", "modified_kneser_ney"]:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lm = NGramLanguageModel(
                    order=order, smoothing=smoothing, min_count=2
                ).fit(train)
            report(f"{order}-gram {smoothing}", lm, time.perf_counter() - start)
    vocabulary = lm.classes_

    for backbone in args.backbones:
        lm = NeuralLanguageModel(
            order=5,  # the window of the mlp: 4 previous words
            backbone=backbone,
            min_count=2,
            embedding_dim=args.embedding_dim,
            hidden_size=args.hidden_size,
            bptt=64,
            batch_size=32 if backbone != "mlp" else 256,
            lr=2e-3,
            max_epochs=args.epochs,
            clip_grad_norm=1.0,
            random_state=0,
        )
        start = time.perf_counter()
        lm.fit(train)
        fit_s = time.perf_counter() - start
        assert (lm.classes_ == vocabulary).all()
        label = f"{backbone} ({args.epochs} epochs)"
        if backbone == "mlp":
            label = f"mlp, 4-word window ({args.epochs} epochs)"
        report(label, lm, fit_s, f"train loss {lm.loss_curve_[-1]:.3f}")

    start = time.perf_counter()
    full = NGramLanguageModel(order=4, smoothing="modified_kneser_ney", min_count=2)
    full.fit(train_all)
    report(
        "4-gram mod. KN, whole training split",
        full,
        time.perf_counter() - start,
        f"(reference: vocabulary of {len(full.classes_):,} words, not "
        f"{len(vocabulary):,})",
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
