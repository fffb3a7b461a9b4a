# SPDX-License-Identifier: BSD-3-Clause
"""N-gram language models on the Python documentation corpus, against nltk.lm.

For orders 2 to 5 and every smoothing of ``NGramLanguageModel`` it reports
fit speed (training tokens per second), peak memory allocated during fit
(tracemalloc), scoring speed (test n-grams per second) and test perplexity
(vocabulary: tokens seen at least twice, the rest mapped to ``<unk>``).

nltk.lm runs in the same process on what it can finish: order 3, fitted on
the first ``--nltk-sentences`` training sentences and scored on the first
``--nltk-ngrams`` test n-grams (its Kneser-Ney scores about ten n-grams per
second). ``NGramLanguageModel`` is run on exactly the same subset for the
speed and memory ratios, and the two Kneser-Ney models' perplexities on it
are compared (``tests/test_ngram.py`` compares their probabilities n-gram by
n-gram).

Run::

    python benchmarks/bench_ngram.py                  # ~3 min
    python benchmarks/bench_ngram.py --orders 3       # quicker
"""

import argparse
import gc
import json
import os
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

from sklearn_rnn import NGramLanguageModel

SMOOTHINGS = ["mle", "add_k", "kneser_ney", "modified_kneser_ney", "stupid_backoff"]
DATA = Path(
    os.environ.get(
        "SKLEARN_RNN_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


def timed_peak(fn):
    """Time ``fn`` alone, then run it again under tracemalloc for its peak.

    tracemalloc slows allocation-heavy code down, so the two are measured in
    separate runs.
    """
    gc.collect()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak


def n_ngrams(sentences):
    return sum(len(s.split()) + 1 for s in sentences)  # each token and </s>


def ours(train, test, order, smoothing):
    lm, fit_s, peak = timed_peak(
        lambda: NGramLanguageModel(order=order, smoothing=smoothing, min_count=2).fit(
            train
        )
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stupid backoff warns: not normalised
        lm.score(test)
    score_s = time.perf_counter() - start
    ppl = lm.perplexity(test) if smoothing != "stupid_backoff" else float("nan")
    return lm, fit_s, peak, score_s, ppl


def nltk_run(train, test, order, kind):
    from nltk.lm import MLE, KneserNeyInterpolated, Laplace
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
    from nltk.lm.vocabulary import Vocabulary

    tokens = [s.split() for s in train]
    # The padding symbols belong to the vocabulary, or nltk reads <s> and
    # </s> as <UNK> (as ours counts them).
    vocab = Vocabulary(
        (w for s in tokens for w in pad_both_ends(s, n=order)), unk_cutoff=2
    )
    Model = {"mle": MLE, "add_k": Laplace, "kneser_ney": KneserNeyInterpolated}[kind]
    kwargs = {"discount": 0.75} if kind == "kneser_ney" else {}

    def fit():
        model = Model(order, vocabulary=vocab, **kwargs)
        ngrams, _ = padded_everygram_pipeline(order, tokens)
        model.fit(ngrams)
        return model

    lm, fit_s, peak = timed_peak(fit)
    queries = []
    for s in test:
        words = ["<s>"] * (order - 1) + s.split() + ["</s>"]
        for i in range(order - 1, len(words)):
            queries.append((words[i], words[i - order + 1 : i]))
    start = time.perf_counter()
    logs = [lm.logscore(w, ctx) for w, ctx in queries]
    score_s = time.perf_counter() - start
    return lm, fit_s, peak, score_s, len(queries), np.array(logs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 3, 4, 5])
    parser.add_argument("--nltk-sentences", type=int, default=3000)
    parser.add_argument("--nltk-ngrams", type=int, default=300)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    root = DATA / "python_docs_corpus"
    train = (root / "train.txt").read_text().splitlines()
    test = (root / "test.txt").read_text().splitlines()
    n_train_tokens = sum(len(s.split()) for s in train)
    print(
        f"train {len(train):,} sentences, {n_train_tokens:,} tokens; "
        f"test {n_ngrams(test):,} n-grams"
    )

    results = {"full": [], "subset": {}}
    header = f"{'order':>5s} {'smoothing':20s} {'fit Mtok/s':>10s} {'peak MB':>8s} "
    print(header + f"{'score Mngram/s':>14s} {'test ppl':>9s}")
    for order in args.orders:
        for smoothing in SMOOTHINGS:
            _, fit_s, peak, score_s, ppl = ours(train, test, order, smoothing)
            row = dict(
                order=order,
                smoothing=smoothing,
                fit_tokens_per_s=n_train_tokens / fit_s,
                peak_mb=peak / 2**20,
                score_ngrams_per_s=n_ngrams(test) / score_s,
                perplexity=ppl,
            )
            results["full"].append(row)
            print(
                f"{order:5d} {smoothing:20s} {row['fit_tokens_per_s'] / 1e6:10.2f} "
                f"{row['peak_mb']:8.0f} {row['score_ngrams_per_s'] / 1e6:14.2f} "
                f"{ppl:9.1f}",
                flush=True,
            )

    try:
        import nltk  # noqa: F401
    except ImportError:
        print("nltk is not installed: no comparison (pip install nltk)")
        return
    sub_train = train[: args.nltk_sentences]
    sub_tokens = sum(len(s.split()) for s in sub_train)
    # Test sentences until about --nltk-ngrams n-grams.
    sub_test, total = [], 0
    for s in test:
        if total >= args.nltk_ngrams:
            break
        sub_test.append(s)
        total += len(s.split()) + 1
    print(
        f"\nnltk.lm comparison, order 3, on a subset (nltk is too slow for the "
        f"full corpus): {len(sub_train):,} training sentences ({sub_tokens:,} "
        f"tokens), {total} test n-grams"
    )
    print(
        f"{'smoothing':12s} {'':8s} {'fit tok/s':>11s} {'peak MB':>8s} "
        f"{'score ngram/s':>14s}"
    )
    for kind in ["mle", "add_k", "kneser_ney"]:
        lm_n, fit_n, peak_n, score_n, nq, logs_n = nltk_run(
            sub_train, sub_test, 3, kind
        )
        lm_o = NGramLanguageModel(
            order=3,
            smoothing=kind,
            min_count=2,
            discount=0.75 if kind == "kneser_ney" else None,
        )
        _, fit_o, peak_o = timed_peak(lambda: lm_o.fit(sub_train))
        start = time.perf_counter()
        lm_o.score(sub_test)
        score_o = time.perf_counter() - start
        for name, f, p, s in [
            ("nltk.lm", fit_n, peak_n, score_n),
            ("ours", fit_o, peak_o, score_o),
        ]:
            print(
                f"{kind:12s} {name:8s} {sub_tokens / f:11,.0f} {p / 2**20:8.1f} "
                f"{nq / s:14,.0f}"
            )
        print(
            f"{'':12s} {'ratio':8s} {fit_n / fit_o:10.1f}x {peak_n / peak_o:7.1f}x "
            f"{score_n / score_o:13.1f}x  (nltk time or memory / ours)"
        )
        results["subset"][kind] = dict(
            nltk_fit_s=fit_n,
            ours_fit_s=fit_o,
            nltk_peak=peak_n,
            ours_peak=peak_o,
            nltk_score_s=score_n,
            ours_score_s=score_o,
            n_ngrams=nq,
            nltk_inf_logscores=int(np.sum(~np.isfinite(logs_n))),
        )
        if kind == "kneser_ney":
            n_inf = int(np.sum(~np.isfinite(logs_n)))
            nltk_ppl = "inf" if n_inf else f"{2 ** -np.mean(logs_n):.1f}"
            print(
                f"{'':12s} perplexity on these n-grams: nltk {nltk_ppl} ({n_inf} "
                f"at -inf), ours {lm_o.perplexity(sub_test):.1f}"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
