# SPDX-License-Identifier: BSD-3-Clause
"""Command line: forecast a monthly (or any regular) series with an RNN.

``python -m sklearn_rnn`` forecasts the bundled airline passenger series;
``python -m sklearn_rnn --csv data.csv --target sales --date-column date``
forecasts a column of a CSV file. The last ``--horizon`` periods are held
out: the model is trained on the rest, its forecast of the hold-out is
scored (MAPE, RMSE) against the seasonal-naive baseline, then the model is
refitted on the whole series and forecasts the next ``--horizon`` periods.
The forecasts are written to CSV (and PNG when matplotlib is installed).

Method (:class:`~sklearn_rnn.RNNForecaster`): the series is log-transformed
(when positive) and differenced at the seasonal lag (``--season``), so that
the network models year-over-year growth; an LSTM reads a window of past values
and predicts one step at a time, fed its own predictions (``--strategy
recursive``). ``--seeds`` networks are trained (``n_estimators``) and their
outputs averaged. The interval comes from out-of-sample residuals: a copy
of the ensemble trained without the last values of the series forecasts
them from 20 origins (``calibration="auto"``, which falls back to in-sample
residuals on a series too short for that copy; the report names which);
the hold-out report says how many hold-out values the interval covered.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sklearn_rnn import RNNForecaster
from sklearn_rnn._forecaster import _DEFAULT_NETWORK, _default_regressor
from sklearn_rnn.datasets import load_airline_passengers
from sklearn_rnn.forecasting import PanelForecaster
from sklearn_rnn.forecasting._calendar import (
    calendar_periods,
    first_irregularity,
    index_season,
)
from sklearn_rnn.utils._pandas import infer_freq

# The recipe is RNNForecaster's defaults (chosen on the airline training
# months by the architecture grid of benchmarks/select_airline.py; three
# later selections on the training months, more regularised networks and
# seasonal indices, did worse on the test months, see the README's
# "Measured" table). The options below only change what they name.
_DEFAULTS = RNNForecaster().get_params()
HIDDEN_SIZE = _DEFAULT_NETWORK["hidden_size"]
WEIGHT_DECAY = 0.0
EPOCHS = _DEFAULT_NETWORK["max_epochs"]
INTERVAL = _DEFAULTS["interval"]


_EPILOG = """\
A CSV file needs --target, the column to forecast (numbers, none missing),
and usually --date-column: dates give the forecast its dates, and must be
regularly spaced (one per period, none missing). Other columns are ignored.
Without --date-column the rows are read as consecutive periods; with it, they
are sorted by date. Outputs: forecast.csv (the next --horizon periods
with the interval), holdout.csv (the last --horizon periods forecast by a
model that did not see them, and the seasonal-naive baseline) and
forecast.png, in --output-dir; with --id-column, forecast.csv (every series)
and forecast.png (a few), the hold-out scores being printed.
"""


# long: one add_argument call per command-line option, nothing else
def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_rnn",
        description="Forecast a time series with a recurrent neural network.",
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--csv", help="CSV file (default: bundled airline data)")
    parser.add_argument("--target", help="column to forecast (with --csv)")
    parser.add_argument("--date-column", help="column holding the dates (with --csv)")
    parser.add_argument(
        "--date-format",
        help="strftime format of the dates, e.g. %%d/%%m/%%Y (day first) or %%Y "
        "(years written as numbers); default: guessed by pandas",
    )
    parser.add_argument("--horizon", type=int, default=36, help="periods ahead")
    parser.add_argument(
        "--window",
        type=int,
        help="input window (default: RNNForecaster's window='auto': 24, less "
        "on a short series, said in the report)",
    )
    parser.add_argument(
        "--season",
        type=int,
        help="season length (1: no season); default: from the dates' frequency "
        "(12 for months, 4 for quarters, 7 for days, none for years or rows "
        "without dates), said in the report",
    )
    parser.add_argument(
        "--id-column",
        help="column of series ids (with --csv): a long file of many series, "
        "forecast by one network (PanelForecaster)",
    )
    parser.add_argument(
        "--past-covariates",
        nargs="+",
        metavar="COLUMN",
        help="with --id-column: columns known up to each forecast origin only "
        "(PanelForecaster's past_covariates); other columns are ignored",
    )
    parser.add_argument(
        "--static-covariates",
        nargs="+",
        metavar="COLUMN",
        help="with --id-column: columns holding one value per series",
    )
    parser.add_argument(
        "--strategy",
        choices=["recursive", "direct"],
        help="one step fed back, or all steps at once (default: "
        f"{_DEFAULTS['strategy']}, RNNForecaster's; {_PANEL_STRATEGY} with "
        "--id-column, PanelForecaster's)",
    )
    parser.add_argument(
        "--seasonal",
        choices=["difference", "indices", "factors"],
        help="how the season is removed (RNNForecaster's seasonal; default: "
        f"{_DEFAULTS['seasonal']}; a panel divides each series by its seasonal "
        "factors)",
    )
    parser.add_argument(
        "--log",
        choices=["auto", "true", "false"],
        help="model the logarithm (default: auto, when the series is positive; "
        "not with --id-column)",
    )
    parser.add_argument(
        "--difference",
        type=int,
        choices=[0, 1],
        help="first differences (default: RNNForecaster's difference='auto': "
        "none with a season, 1 without)",
    )
    parser.add_argument(
        "--cell",
        choices=["lstm", "gru", "rnn"],
        help=f"RNN cell (default: {_DEFAULT_NETWORK['cell']}; gru with --id-column)",
    )
    parser.add_argument(
        "--hidden-size",
        type=int,
        help=f"units per layer (default: {HIDDEN_SIZE}; 128 with --id-column)",
    )
    parser.add_argument(
        "--weight-decay", type=float, default=WEIGHT_DECAY, help="L2 penalty"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help=f"training epochs per network (default: {EPOCHS}; 6 with --id-column)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=_DEFAULTS["n_estimators"],
        help="networks averaged (n_estimators)",
    )
    parser.add_argument(
        "--output-dir", default="forecast_output", help="where the outputs go"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (batches of 16 short windows gain nothing from "
        "more, and extra threads slow down badly when the cores are shared)",
    )
    args = parser.parse_args(argv)
    positive = ["horizon", "window", "season", "hidden_size", "epochs", "seeds"]
    for name in [*positive, "threads"]:
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.csv is None:
        _require(parser, args, _CSV_ONLY, "--csv, the file to read")
    if args.id_column is None:
        _require(parser, args, _PANEL_ONLY, "--id-column, a panel")
        defaults = dict(cell=_DEFAULT_NETWORK["cell"], strategy=_DEFAULTS["strategy"])
    else:
        _refuse(parser, args, _SINGLE_ONLY)
        defaults = dict(cell="gru", strategy=_PANEL_STRATEGY)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _require(parser, args, names, what):
    """A usage error if any option of ``names`` is given without ``what``."""
    given = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n)]
    if given:
        verb = "needs" if len(given) == 1 else "need"
        parser.error(f"{', '.join(given)} {verb} {what}")


def _refuse(parser, args, names):
    """A usage error if any option of ``names`` is given with --id-column."""
    given = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is not None]
    if given:
        parser.error(
            f"{', '.join(given)} transform{'s' if len(given) == 1 else ''} one "
            "series (RNNForecaster); with --id-column each series is divided "
            "by its seasonal factors and every window by its level"
        )


_PANEL_ONLY = ["past_covariates", "static_covariates"]
_SINGLE_ONLY = ["seasonal", "log", "difference"]
_PANEL_STRATEGY = PanelForecaster().strategy
_CSV_ONLY = ["target", "date_column", "date_format", "id_column", *_PANEL_ONLY]


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Defaults in the help (those that are set), and the epilog as written."""

    def _get_help_string(self, action):
        if action.default is None or action.default == argparse.SUPPRESS:
            return action.help
        return f"{action.help} (default: %(default)s)"


def _load(args):
    if args.csv is None:
        return load_airline_passengers()["passengers"]
    try:
        frame = pd.read_csv(args.csv)
    except (OSError, ValueError) as exc:  # missing file, not a CSV...
        raise SystemExit(f"cannot read --csv {args.csv}: {exc}")
    if args.target is None:
        raise SystemExit(
            f"--csv needs --target, the column to forecast; columns of {args.csv}: "
            f"{list(frame.columns)}"
        )
    if args.target not in frame.columns:
        raise SystemExit(
            f"--target must name a column of {args.csv}; columns: {list(frame.columns)}"
        )
    if args.date_column is not None:
        if args.date_column not in frame.columns:
            raise SystemExit(
                f"--date-column must name a column of {args.csv}; columns: "
                f"{list(frame.columns)}"
            )
        dates = _dates(frame[args.date_column], args.date_format)
        # Files exported newest first are common: oldest first is needed.
        frame = frame.set_index(dates).sort_index()
        if frame.index.has_duplicates:
            raise SystemExit(f"column {args.date_column!r} has duplicated dates")
        frame.index = _regular_index(frame.index, args.date_column)
    try:
        series = pd.to_numeric(frame[args.target]).astype("float64")
    except (ValueError, TypeError):
        raise SystemExit(
            f"column {args.target!r} is not numeric (text, or numbers written "
            "with thousands separators?): --target must name a column of numbers"
        ) from None
    if series.isna().any():
        raise SystemExit(f"column {args.target!r} has missing values")
    return series


def _dates(column, date_format):
    """Parse the date column, refusing numbers read as nanoseconds."""
    name = column.name
    if date_format is None and pd.api.types.is_numeric_dtype(column):
        raise SystemExit(
            f"column {name!r} holds numbers, not dates; dates written as numbers "
            "need --date-format: %Y for years (1871), %Y%m%d for 20200131"
        )
    if date_format is not None:
        column = column.astype(str)
    try:
        return pd.to_datetime(column, format=date_format)
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"column {name!r} is not dates: {exc}")


def _regular_index(dates, name):
    """The dates as the forecast reads them, or a clear refusal.

    Regular dates (a pandas frequency) are kept. Dates without one that
    still fill consecutive calendar periods, one row each, such as the 15th
    of each month, become a ``PeriodIndex`` of that calendar, which dates the
    forecast in the same periods (timezone-aware dates are not relabelled:
    their calendar day depends on the zone). Anything else is refused,
    naming the first two rows that share a period or the first gap.
    """
    if len(dates) < 3 or infer_freq(dates) is not None:
        return dates
    freq, periods = calendar_periods(dates)
    where = first_irregularity(dates, periods, freq)
    if where is None and dates.tz is None:
        if freq == "B":  # pandas is retiring business-day periods
            first = dates[0].normalize()
            return pd.bdate_range(first, periods=len(dates), name=dates.name)
        return periods  # one row per period, e.g. monthly on the 15th
    if where is None:
        where = (
            f"they are one per {freq!r} period only in UTC, and a timezone-aware "
            "date's period depends on its zone"
        )
    raise SystemExit(
        f"the dates in column {name!r} are not regularly spaced: {where} (a "
        "missing or extra row, holidays, or day and month read the wrong way "
        "round: see --date-format). The forecast needs one row per period; "
        "without --date-column the rows are read as consecutive periods."
    )


def _forecaster(args):
    """RNNForecaster's default recipe, changed only where an option says."""
    season = 12 if args.season is None else args.season  # main() infers it
    network = _default_regressor(args.strategy).set_params(
        cell=args.cell,
        hidden_size=args.hidden_size or HIDDEN_SIZE,
        max_epochs=args.epochs or EPOCHS,
        n_iter_no_change=args.epochs or EPOCHS,  # every epoch: no plateau stop
        verbose=_progress(),
        weight_decay=args.weight_decay,
        random_state=0,
    )
    optional = {"window": args.window, "difference": args.difference}
    return RNNForecaster(
        network,
        horizon=args.horizon,
        strategy=args.strategy,
        seasonal_period=season if season > 1 else None,
        seasonal=args.seasonal or _DEFAULTS["seasonal"],
        log={None: _DEFAULTS["log"], "auto": "auto", "true": True, "false": False}[
            args.log
        ],
        n_estimators=args.seeds,
        interval=INTERVAL,
        **{name: value for name, value in optional.items() if value is not None},
    )


def _plot(series, holdout, future, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from sklearn_rnn.plotting import plot_forecast

    fig, ax = plt.subplots(figsize=(10, 4.5))
    plot_forecast(series, future, ax=ax, label="forecast")
    ax.plot(
        holdout.index,
        holdout["forecast"],
        color="tab:orange",
        label="hold-out forecast",
    )
    ax.fill_between(
        holdout.index,
        holdout["lower"],
        holdout["upper"],
        color="tab:orange",
        alpha=0.15,
        label="hold-out interval",
    )
    ax.plot(
        holdout.index,
        holdout["seasonal_naive"],
        color="tab:gray",
        linestyle=":",
        label="seasonal naive",
    )
    ax.set_title(f"{series.name}: RNN forecast, {INTERVAL:.0%} interval")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _metrics(truth, pred):
    mape = float(np.mean(np.abs(pred - truth) / np.abs(truth)) * 100)
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    return mape, rmse


def _progress():
    """1 (a progress bar per network) on a terminal, 0 when piped."""
    return int(sys.stderr.isatty())


def _choose_season(args, index):
    """``--season``, or the one the dates' frequency implies; said."""
    if args.season is not None:
        return args.season, f"season {args.season} (--season)"
    season = index_season(index)
    if season is None:
        return 1, "no season (none implied by the dates; --season N sets one)"
    return season, f"season {season} (from the dates' frequency; --season to change)"


def main(argv=None):
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    if args.id_column is not None:
        from sklearn_rnn.forecasting._cli import main_panel

        return main_panel(args)
    series = _load(args)
    series.name = series.name or "series"
    args.season, season_note = _choose_season(args, series.index)
    values = series.to_numpy()
    h = args.horizon
    if len(values) <= h + args.season:
        raise SystemExit(f"series too short for horizon {h}")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    # Hold-out evaluation: the models never see the last `horizon` values.
    X = series.to_frame().iloc[:, :0]  # no covariates: only the time index
    try:
        model = _forecaster(args).fit(X.iloc[:-h], series.iloc[:-h])
    except ValueError as exc:  # too short for the window, say: the reason
        raise SystemExit(
            f"cannot forecast {series.name!r} (training on all but the last "
            f"{h} values): {exc} A smaller --window or --horizon may do."
        )
    held = model.forecast(h)
    train, truth = values[:-h], values[-h:]
    reps = -(-h // args.season)
    naive = np.tile(train[-args.season :], reps)[:h]
    holdout = pd.DataFrame(
        {
            "truth": truth,
            "forecast": held["forecast"].to_numpy(),
            "lower": held["lower"].to_numpy(),
            "upper": held["upper"].to_numpy(),
            "seasonal_naive": naive,
        },
        index=series.index[-h:],
    )
    rnn_mape, rnn_rmse = _metrics(truth, holdout["forecast"].to_numpy())
    naive_mape, naive_rmse = _metrics(truth, naive)
    covered = int(((holdout["lower"] <= truth) & (truth <= holdout["upper"])).sum())

    # The final model, on the whole series, forecasts the unknown future.
    future = _forecaster(args).fit(X, series).forecast(h)
    future.index.name = holdout.index.name = series.index.name or "index"
    future.to_csv(out / "forecast.csv")
    holdout.to_csv(out / "holdout.csv")
    plotted = _plot(series, holdout, future, out / "forecast.png")
    elapsed = time.perf_counter() - start

    print(f"series: {series.name}, {len(values)} points; hold-out: last {h}")
    print(season_note)
    print(f"window {model.window_}" + ("" if args.window else " (window='auto')"))
    print(f"{'model':32s} {'MAPE %':>8s} {'RMSE':>9s}")
    networks = f"{args.seeds} network{'s' if args.seeds > 1 else ''}"
    label = f"RNNForecaster ({args.cell.upper()}, {networks})"
    print(f"{label:32s} {rnn_mape:8.2f} {rnn_rmse:9.2f}")
    print(f"{'seasonal naive':32s} {naive_mape:8.2f} {naive_rmse:9.2f}")
    print(
        f"{INTERVAL:.0%} interval ({model.calibration_} errors) covered "
        f"{covered} of the {h} hold-out values"
    )
    print(f"wrote {out / 'forecast.csv'} and {out / 'holdout.csv'}")
    if plotted:
        print(f"wrote {out / 'forecast.png'}")
    else:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
    print(f"total time {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
