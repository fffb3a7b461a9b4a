# SPDX-License-Identifier: BSD-3-Clause
"""Command line: forecast a monthly (or any regular) series with an RNN.

``python -m sklearn_rnn`` forecasts the bundled airline passenger series;
``python -m sklearn_rnn --csv data.csv --target sales --date-column date``
forecasts a column of a CSV file. The last ``--horizon`` periods are held
out: the model is trained on the rest, its forecast of the hold-out is
scored (MAPE, RMSE) against the seasonal-naive baseline, then the model is
refitted on the whole series and forecasts the next ``--horizon`` periods.
The forecasts are written to CSV (and PNG when matplotlib is installed).

Method: the series is log-transformed (when positive) and differenced;
an RNN reads a window of past differences and predicts the next ``horizon``
differences at once (direct multi-output strategy); the forecast is their
cumulative sum added to the last observed level. An ensemble of
``--seeds`` networks is averaged, and their spread gives a rough interval.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sklearn_rnn import RNNRegressor
from sklearn_rnn.datasets import load_airline_passengers
from sklearn_rnn.utils._pandas import infer_freq


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_rnn",
        description="Forecast a time series with a recurrent neural network.",
    )
    parser.add_argument("--csv", help="CSV file (default: bundled airline data)")
    parser.add_argument("--target", help="column to forecast")
    parser.add_argument("--date-column", help="column holding the dates")
    parser.add_argument("--horizon", type=int, default=36, help="periods ahead")
    parser.add_argument("--window", type=int, default=24, help="input window")
    parser.add_argument("--season", type=int, default=12, help="season length")
    parser.add_argument("--cell", default="gru", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5, help="ensemble size")
    parser.add_argument("--output-dir", default="forecast_output")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (batches of 16 short windows gain nothing from "
        "more, and extra threads slow down badly when the cores are shared)",
    )
    return parser.parse_args(argv)


def _load(args):
    if args.csv is None:
        return load_airline_passengers()["passengers"]
    frame = pd.read_csv(args.csv)
    if args.target is None or args.target not in frame.columns:
        raise SystemExit(
            f"--target must name a column of {args.csv}; columns: {list(frame.columns)}"
        )
    if args.date_column is not None:
        frame = frame.set_index(pd.to_datetime(frame[args.date_column]))
    series = frame[args.target].astype("float64")
    if series.isna().any():
        raise SystemExit(f"column {args.target!r} has missing values")
    return series


class _Forecaster:
    """Log, difference, window, and fit an ensemble of RNN regressors."""

    def __init__(self, args):
        self.args = args

    def fit(self, values):
        args = self.args
        self.log_ = bool(np.all(values > 0))
        level = np.log(values) if self.log_ else values.astype(float)
        diffs = np.diff(level)
        width = args.window + args.horizon
        if len(diffs) < width + 1:
            raise SystemExit(
                f"series too short: {len(values)} points for window "
                f"{args.window} + horizon {args.horizon}"
            )
        windows = np.lib.stride_tricks.sliding_window_view(diffs, width)
        X, Y = windows[:, : args.window], windows[:, args.window :]
        self.models_ = [
            RNNRegressor(
                args.cell,
                32,
                max_epochs=args.epochs,
                lr=3e-3,
                batch_size=16,
                random_state=seed,
            ).fit(X, Y)
            for seed in range(args.seeds)
        ]
        self.last_level_ = level[-1]
        self.last_diffs_ = diffs[-args.window :]
        return self

    def predict(self):
        """Return the mean forecast and the ensemble's 5-95 % range.

        The range shows how much the networks disagree; it is narrower than
        a prediction interval, which would also cover the noise of the series.
        """
        paths = []
        for model in self.models_:
            steps = model.predict(self.last_diffs_[None])[0]
            path = self.last_level_ + np.cumsum(steps)
            paths.append(np.exp(path) if self.log_ else path)
        paths = np.array(paths)
        lower, upper = np.percentile(paths, [5, 95], axis=0)
        return paths.mean(axis=0), lower, upper


def _future_index(index, horizon):
    if isinstance(index, pd.DatetimeIndex):
        freq = infer_freq(index)
        if freq is not None:
            return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
    return pd.RangeIndex(len(index), len(index) + horizon)


def _plot(series, holdout, future, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(series.index, series.to_numpy(), color="black", label="history")
    ax.plot(
        holdout.index,
        holdout["forecast"],
        color="tab:orange",
        label="hold-out forecast",
    )
    ax.plot(
        holdout.index,
        holdout["seasonal_naive"],
        color="tab:gray",
        linestyle=":",
        label="seasonal naive",
    )
    ax.plot(future.index, future["forecast"], color="tab:blue", label="forecast")
    ax.fill_between(
        future.index,
        future["lower"],
        future["upper"],
        color="tab:blue",
        alpha=0.2,
        label="ensemble 5-95 %",
    )
    ax.set_title(f"{series.name}: RNN forecast")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _metrics(truth, pred):
    mape = float(np.mean(np.abs(pred - truth) / np.abs(truth)) * 100)
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    return mape, rmse


def main(argv=None):
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    series = _load(args)
    series.name = series.name or "series"
    values = series.to_numpy()
    h = args.horizon
    if len(values) <= h + args.season:
        raise SystemExit(f"series too short for horizon {h}")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    # Hold-out evaluation: the model never sees the last `horizon` values.
    train, truth = values[:-h], values[-h:]
    forecast, lower, upper = _Forecaster(args).fit(train).predict()
    reps = -(-h // args.season)
    naive = np.tile(train[-args.season :], reps)[:h]
    holdout = pd.DataFrame(
        {
            "truth": truth,
            "forecast": forecast,
            "lower": lower,
            "upper": upper,
            "seasonal_naive": naive,
        },
        index=series.index[-h:],
    )
    rnn_mape, rnn_rmse = _metrics(truth, forecast)
    naive_mape, naive_rmse = _metrics(truth, naive)

    # Final model on the whole series, forecasting the unknown future.
    forecast, lower, upper = _Forecaster(args).fit(values).predict()
    future = pd.DataFrame(
        {"forecast": forecast, "lower": lower, "upper": upper},
        index=_future_index(series.index, h),
    )
    future.index.name = series.index.name or "index"
    future.to_csv(out / "forecast.csv")
    holdout.to_csv(out / "holdout.csv")
    plotted = _plot(series, holdout, future, out / "forecast.png")
    elapsed = time.perf_counter() - start

    print(f"series: {series.name}, {len(values)} points; hold-out: last {h}")
    print(f"{'model':32s} {'MAPE %':>8s} {'RMSE':>9s}")
    label = f"RNN ({args.cell}, ensemble of {args.seeds})"
    print(f"{label:32s} {rnn_mape:8.2f} {rnn_rmse:9.2f}")
    print(f"{'seasonal naive':32s} {naive_mape:8.2f} {naive_rmse:9.2f}")
    print(f"wrote {out / 'forecast.csv'} and {out / 'holdout.csv'}")
    if plotted:
        print(f"wrote {out / 'forecast.png'}")
    else:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
    print(f"total time {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
