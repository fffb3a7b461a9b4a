# SPDX-License-Identifier: BSD-3-Clause
"""``python -m sklearn_rnn --csv long.csv --id-column store ...``: a panel."""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_rnn.forecasting._estimator import PanelForecaster, _default_regressor
from sklearn_rnn.forecasting._metrics import mase, smape
from sklearn_rnn.forecasting._panel import check_panel, to_panel


def _read(args):
    try:
        frame = pd.read_csv(args.csv)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"cannot read --csv {args.csv}: {exc}")
    for option, column in (
        ("--id-column", args.id_column),
        ("--date-column", args.date_column),
        ("--target", args.target),
    ):
        if column is None:
            raise SystemExit(
                f"--id-column needs {option}; columns of {args.csv}: "
                f"{list(frame.columns)}"
            )
        if column not in frame.columns:
            raise SystemExit(
                f"{option} must name a column of {args.csv}; columns: "
                f"{list(frame.columns)}"
            )
    roles = {
        "--id-column": args.id_column,
        "--date-column": args.date_column,
        "--target": args.target,
    }
    if len(set(roles.values())) < len(roles):
        raise SystemExit(
            "--id-column, --date-column and --target must name three different "
            f"columns; got {roles}"
        )
    covariates = _covariate_columns(args, frame)
    frame = frame[[args.id_column, args.date_column, args.target, *covariates]]
    if args.date_format is not None:
        try:
            dates = pd.to_datetime(
                frame[args.date_column].astype(str), format=args.date_format
            )
        except (ValueError, TypeError) as exc:
            raise SystemExit(f"column {args.date_column!r} is not dates: {exc}")
        frame = frame.assign(**{args.date_column: dates})
    try:
        X, y = to_panel(
            frame,
            id_column=args.id_column,
            date_column=args.date_column,
            target=args.target,
        )
        y = pd.to_numeric(y).astype("float64")
        check_panel(y)
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"cannot read the panel in {args.csv}: {exc}")
    return X, y


def _covariate_columns(args, frame):
    """The columns named by --past-covariates and --static-covariates."""
    if args.id_column is None:
        return []
    named = [*(args.past_covariates or []), *(args.static_covariates or [])]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise SystemExit(
            f"covariates {missing} are not columns of {args.csv}; columns: "
            f"{list(frame.columns)}"
        )
    return list(dict.fromkeys(named))


def _model(args, seed=0):
    """The default PanelForecaster, with the options given; progress on a tty."""
    # PanelForecaster's default network, changed only where an option says.
    optional = {"hidden_size": args.hidden_size, "max_epochs": args.epochs}
    regressor = _default_regressor().set_params(
        cell=args.cell,
        weight_decay=args.weight_decay,
        verbose=int(sys.stderr.isatty()),
        **{name: value for name, value in optional.items() if value is not None},
    )
    return PanelForecaster(
        regressor,
        window=args.window if args.window is not None else PanelForecaster().window,
        horizon=args.horizon,
        strategy=args.strategy,
        seasonal_period=args.season if args.season is not None else "auto",
        n_estimators=args.seeds,
        past_covariates=args.past_covariates,
        static_covariates=args.static_covariates,
        random_state=seed,
    )


def _split_last(y, h):
    """Each series' values but its last ``h``, and those; a series of no more
    than ``h`` values is refused, naming it."""
    keys = y.index.get_level_values(0)
    sizes = y.groupby(keys, sort=False).size()
    if (sizes <= h).any():
        short = sizes[sizes <= h]
        raise SystemExit(
            f"series {short.index[0]!r} has {short.iloc[0]} rows ({len(short)} "
            f"series have no more than --horizon {h}): the hold-out needs "
            "values before its last --horizon; lower --horizon or drop the "
            "series"
        )
    position = y.groupby(keys, sort=False).cumcount(ascending=False).to_numpy()
    return y[position >= h], y[position < h]


def _plot(y, future, path, n_series=4):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ids = list(dict.fromkeys(future.iloc[:, 0]))[:n_series]
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 2.5 * len(ids)), squeeze=False)
    for ax, key in zip(axes[:, 0], ids):
        past = y.xs(key)
        rows = future[future.iloc[:, 0] == key]
        ax.plot(
            past.index.to_timestamp()
            if hasattr(past.index, "to_timestamp")
            else past.index,
            past.to_numpy(),
            color="black",
            lw=1,
        )
        when = pd.Index(rows.iloc[:, 1])
        when = when.to_timestamp() if isinstance(when, pd.PeriodIndex) else when
        ax.plot(when, rows["forecast"], color="tab:blue")
        ax.fill_between(when, rows["lower"], rows["upper"], alpha=0.2)
        ax.set_title(str(key), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def main_panel(args):
    """Hold out each series' last ``--horizon`` periods, score, refit, write."""
    start = time.perf_counter()
    X_all, y = _read(args)
    X_all = X_all if X_all.shape[1] else None
    h = args.horizon
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, held = _split_last(y, h)
    X_train = None if X_all is None else X_all.loc[train.index]
    try:
        model = _model(args).fit(X_train, train)
    except ValueError as exc:
        raise SystemExit(f"cannot forecast the panel: {exc}")
    season = model.season_ or 1
    X = held.to_frame().iloc[:, :0]
    pred = pd.Series(model.predict(X), index=held.index)
    rows = []
    for key, truth in held.groupby(level=0, sort=False):
        hist = train.xs(key).to_numpy()
        naive = np.resize(hist[-season:], len(truth))
        rows.append(
            (
                smape(truth, pred.loc[key]),
                mase(truth, pred.loc[key], hist, season),
                smape(truth, naive),
                mase(truth, naive, hist, season),
            )
        )
    s, m, s0, m0 = np.mean(rows, axis=0)
    try:
        future = _model(args).fit(X_all, y).forecast(h)
    except ValueError as exc:
        raise SystemExit(f"cannot forecast the panel: {exc}")
    future.to_csv(out / "forecast.csv", index=False)
    plotted = _plot(y, future, out / "forecast.png")
    n_series = y.index.get_level_values(0).nunique()
    print(f"panel: {n_series} series, {len(y)} rows; hold-out: last {h} of each")
    print(f"season {season}" + (" (--season)" if args.season else " (from the dates)"))
    for role in ("past", "static"):
        columns = getattr(args, f"{role}_covariates")
        if columns:
            print(f"{role} covariates: {', '.join(columns)}")
    print(f"{'model':32s} {'sMAPE %':>8s} {'MASE':>7s}")
    print(f"{'PanelForecaster':32s} {s:8.2f} {m:7.3f}")
    print(f"{'seasonal naive':32s} {s0:8.2f} {m0:7.3f}")
    print(f"wrote {out / 'forecast.csv'}" + (" and forecast.png" if plotted else ""))
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0
