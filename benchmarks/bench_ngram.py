# SPDX-License-Identifier: BSD-3-Clause
"""NGramLanguageModel beside KenLM on the Python documentation corpus.

For word orders 3 to 5 and character order 5 (modified Kneser-Ney, the
smoothing both implement) it prints, for ``NGramLanguageModel`` and for
KenLM (``lmplz`` to estimate, the ``kenlm`` Python module to query):

- test perplexity (each sentence's end symbol included, unknown words
  scored as ``<unk>`` by both);
- fit time and peak memory: each fit runs in a fresh process whose peak RSS
  is read with ``os.wait4`` (ours: Python, numpy and the corpus included;
  KenLM: ``lmplz`` writing its ARPA file, with ``-S`` sorting memory);
- scoring speed, in n-grams (tokens + end symbols) per second: one sentence
  per call (``score_samples([s])`` against ``Model.score(s)``) and the whole
  test corpus (one ``score_samples`` call against a ``Model.score`` loop).

Then the import time and peak RSS of ``import sklearn_rnn`` alone, with an
n-gram fit and score, and with a neural estimator touched.

KenLM is benchmark-only, never a dependency: ``pip install kenlm`` gives the
query module; ``lmplz`` comes from building https://github.com/kpu/kenlm
(cmake, boost) -- pass ``--lmplz PATH`` or put it on the PATH. Without them
the KenLM columns are skipped.

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_ngram.py             # ~5 min
    python benchmarks/bench_ngram.py --words 3 --no-chars --one-sentence 500
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmark this checkout, not an installed copy
# $SKLEARN_RNN_DATA, else the shared/data folder beside the checkout (or
# beside the folder of worktrees).
_DEFAULT_DATA = next(
    (p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
DATA = Path(os.environ.get("SKLEARN_RNN_DATA", _DEFAULT_DATA)) / "python_docs_corpus"

_FIT_OURS = """
import sys, time
sys.path.insert(0, {root!r})
from sklearn_rnn import NGramLanguageModel
train = open({train!r}).read().splitlines()
start = time.perf_counter()
lm = NGramLanguageModel({order}, smoothing="modified_kneser_ney", tokenizer={tok!r})
lm.fit(train)
print(time.perf_counter() - start)
"""


# Runs a command and reports its peak RSS. On Linux a child inherits the RSS
# its parent had when it forked as its starting maximum, so the command is
# forked from this small launcher, not from the benchmark (hundreds of MB).
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\nPEAK_RSS_KB {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_run(cmd, stdin=None, stdout=subprocess.PIPE):
    """Run ``cmd``; return its stdout, wall time and peak RSS in MiB."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode()
    if proc.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {err[-2000:]}")
    peak_kb = int(err.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    out = proc.stdout.decode() if stdout is subprocess.PIPE else ""
    return out, elapsed, peak_kb / 1024


def spaced(lines):
    """Characters as space-separated tokens for KenLM ("_" for a space)."""
    return [" ".join("_" if c == " " else c for c in s) for s in lines]


def best_time(fn, repeat):
    """Shortest of ``repeat`` timings of ``fn()`` (the machine may be busy)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def ours(train_file, test, order, tokenizer):
    """Fit in a fresh process (time, peak RSS), then here; return the model."""
    from sklearn_rnn import NGramLanguageModel

    out, _, rss = peak_run(
        [
            sys.executable,
            "-c",
            _FIT_OURS.format(
                root=str(ROOT), train=str(train_file), order=order, tok=tokenizer
            ),
        ]
    )
    train = Path(train_file).read_text().splitlines()
    lm = NGramLanguageModel(order, smoothing="modified_kneser_ney", tokenizer=tokenizer)
    lm.fit(train)
    stats = dict(ppl=lm.perplexity(test), fit_s=float(out.split()[-1]), rss_mb=rss)
    return lm, stats


def kenlm_fit(lmplz, memory, train_file, test, order, tmp):
    """Run lmplz (time, peak RSS) and load its ARPA file with kenlm."""
    import kenlm

    arpa = Path(tmp) / f"o{order}.arpa"
    with open(train_file) as fin, open(arpa, "w") as fout:
        _, fit_s, rss = peak_run(
            [lmplz, "-o", str(order), "-S", memory, "-T", tmp], stdin=fin, stdout=fout
        )
    model = kenlm.Model(str(arpa))
    total = sum(model.score(s, bos=True, eos=True) for s in test)
    n = sum(len(s.split()) + 1 for s in test)
    return model, dict(ppl=10 ** (-total / n), fit_s=fit_s, rss_mb=rss)


def scoring_times(lm, test, n_one, repeat=3):
    """Seconds for the whole test corpus and for n_one sentences one by one.

    ``lm`` is ours or a ``kenlm.Model``; both are timed by the caller in
    alternation, so that both see the same load of a shared machine.
    """
    if hasattr(lm, "score_samples"):
        corpus = lambda: lm.score_samples(test)  # noqa: E731
        one = lambda: [lm.score_samples([s]) for s in test[:n_one]]  # noqa: E731
    else:
        corpus = lambda: [lm.score(s, bos=True, eos=True) for s in test]  # noqa: E731
        one = lambda: [lm.score(s, bos=True, eos=True) for s in test[:n_one]]  # noqa: E731
    return dict(corpus_s=best_time(corpus, repeat), one_s=best_time(one, repeat))


def import_costs():
    """Time and peak RSS of importing sklearn_rnn, in a fresh process each."""
    cases = {
        "import sklearn_rnn": "import sklearn_rnn",
        "+ NGramLanguageModel fit/score": (
            "import sklearn_rnn\nlm = sklearn_rnn.NGramLanguageModel().fit(['a b c'])"
            "\nlm.score(['a b'])\nassert 'torch' not in sys.modules"
        ),
        "+ touch RNNRegressor (torch)": "import sklearn_rnn\nsklearn_rnn.RNNRegressor",
    }
    rows = {}
    for name, body in cases.items():
        code = (
            f"import sys, time\nsys.path.insert(0, {str(ROOT)!r})\n"
            f"start = time.perf_counter()\n{body}\n"
            "print(time.perf_counter() - start)"
        )
        times, rss = [], []
        for _ in range(3):
            out, _, peak = peak_run([sys.executable, "-c", code])
            times.append(float(out.split()[-1]))
            rss.append(peak)
        rows[name] = dict(seconds=min(times), rss_mb=min(rss))
    base, _, base_rss = peak_run([sys.executable, "-c", "pass"])
    rows["(python alone)"] = dict(seconds=0.0, rss_mb=base_rss)
    return rows


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, nargs="*", default=[3, 4, 5])
    parser.add_argument("--chars", type=int, nargs="*", default=[5])
    parser.add_argument("--one-sentence", type=int, default=3000,
                        help="test sentences scored one per call")
    parser.add_argument("--lmplz", default=os.environ.get("LMPLZ") or
                        shutil.which("lmplz"), help="path of KenLM's lmplz")
    parser.add_argument("--lmplz-memory", default="1G", help="lmplz -S")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args()


def kenlm_available(args):
    try:
        import kenlm  # noqa: F401
    except ImportError:
        print("KenLM columns skipped: pip install kenlm (query module) and build "
              "lmplz from https://github.com/kpu/kenlm (--lmplz PATH).")
        return False
    if not args.lmplz:
        print("KenLM columns skipped: lmplz not found; build it from "
              "https://github.com/kpu/kenlm and pass --lmplz PATH.")
        return False
    return True


def print_row(label, name, r, n_test, n_one):
    print(
        f"{label:8s} {name:6s} {r['ppl']:11.6f} {r['fit_s']:7.2f} {r['rss_mb']:8.0f} "
        f"{n_one / r['one_s'] / 1e6:11.3f} {n_test / r['corpus_s'] / 1e6:11.3f}",
        flush=True,
    )


def _faster(old, new):
    return {k: min(v, old.get(k, float("inf"))) for k, v in new.items()}


def print_ratio(o, k):
    print(
        f"{'':8s} {'ratio':6s} {abs(o['ppl'] / k['ppl'] - 1):11.1e} "
        f"{o['fit_s'] / k['fit_s']:6.2f}x {o['rss_mb'] / k['rss_mb']:7.2f}x "
        f"{k['one_s'] / o['one_s']:10.2f}x {k['corpus_s'] / o['corpus_s']:10.2f}x"
        "  (perplexity: relative gap; fit and memory: ours / KenLM; speed: "
        "ours / KenLM)"
    )


def main():
    args = parse_args()
    with_kenlm = kenlm_available(args)
    train = (DATA / "train.txt").read_text().splitlines()
    test = (DATA / "test.txt").read_text().splitlines()
    results = {"lmplz_memory": args.lmplz_memory, "models": []}
    print(f"train {len(train):,} sentences; test {len(test):,}; one-sentence calls "
          f"on the first {args.one_sentence:,}. Modified Kneser-Ney.")
    print(f"{'model':8s} {'':6s} {'perplexity':>11s} {'fit s':>7s} {'peak MB':>8s} "
          f"{'1-sent M/s':>11s} {'corpus M/s':>11s}")
    configs = [("whitespace", o) for o in args.words]
    configs += [("chars", o) for o in args.chars]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for tokenizer in {t for t, _ in configs}:
            lines = spaced(train) if tokenizer == "chars" else train
            files[tokenizer] = Path(tmp) / f"train-{tokenizer}.txt"
            files[tokenizer].write_text("\n".join(lines) + "\n")
        for tokenizer, order in configs:
            label = f"{'char' if tokenizer == 'chars' else 'word'} {order}"
            ours_test = test
            if tokenizer == "chars":  # the files KenLM reads spell spaces "_"
                ours_test = [s.replace(" ", "_") for s in test]
                fit_file = Path(tmp) / "train-chars-ours.txt"
                fit_file.write_text("\n".join(s.replace(" ", "_") for s in train))
            else:
                fit_file = files[tokenizer]
            tokens = [len(s) if tokenizer == "chars" else len(s.split()) for s in test]
            n_test = sum(tokens) + len(test)
            n_one = sum(tokens[: args.one_sentence]) + min(args.one_sentence, len(test))
            row = {"model": label}
            lm, row["ours"] = ours(fit_file, ours_test, order, tokenizer)
            if with_kenlm:
                k_test = spaced(test) if tokenizer == "chars" else test
                model, row["kenlm"] = kenlm_fit(
                    args.lmplz, args.lmplz_memory, files[tokenizer], k_test, order,
                    tmp,
                )
            for _ in range(2):  # alternate: both see the same machine load
                times = scoring_times(lm, ours_test, args.one_sentence)
                row["ours"].update(_faster(row["ours"], times))
                if with_kenlm:
                    times = scoring_times(model, k_test, args.one_sentence)
                    row["kenlm"].update(_faster(row["kenlm"], times))
            print_row(label, "ours", row["ours"], n_test, n_one)
            if with_kenlm:
                print_row("", "KenLM", row["kenlm"], n_test, n_one)
                print_ratio(row["ours"], row["kenlm"])
            results["models"].append(row)
    print("\nimport costs (fresh process each, best of 3)")
    results["imports"] = import_costs()
    for name, r in results["imports"].items():
        print(f"  {name:34s} {r['seconds']:6.2f} s {r['rss_mb']:7.0f} MB peak RSS")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
