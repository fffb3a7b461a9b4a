# SPDX-License-Identifier: BSD-3-Clause
"""The command-line forecast (the README's main job), on a tiny budget."""

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn.__main__ import main


def test_forecast_command_writes_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["--epochs", "3", "--seeds", "2", "--horizon", "12"]
    assert main([*args, "--output-dir", str(out)]) == 0
    text = capsys.readouterr().out
    assert "seasonal naive" in text and "MAPE" in text
    forecast = pd.read_csv(out / "forecast.csv", index_col=0, parse_dates=True)
    assert len(forecast) == 12
    assert forecast.index[0] == pd.Timestamp("1961-01-01")
    assert (forecast["lower"] <= forecast["upper"]).all()
    holdout = pd.read_csv(out / "holdout.csv", index_col=0, parse_dates=True)
    assert holdout.index[-1] == pd.Timestamp("1960-12-01")
    # The hold-out truth is the real series, untouched.
    assert holdout["truth"].iloc[-1] == 432.0
    # The hold-out interval and the count of values it covered.
    truth, lower, upper = holdout["truth"], holdout["lower"], holdout["upper"]
    inside = int(((lower <= truth) & (truth <= upper)).sum())
    assert f"(holdout errors) covered {inside} of the 12 hold-out values" in text
    if importlib.util.find_spec("matplotlib") is not None:
        # Drawn with sklearn_rnn.plotting.plot_forecast.
        assert "wrote" in text and (out / "forecast.png").stat().st_size > 10_000


def test_forecast_command_on_a_csv(tmp_path, capsys):
    dates = pd.date_range("2020-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"day": dates, "sales": 100 + (dates.day_of_week * 5)})
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    args = ["--csv", str(path), "--target", "sales", "--date-column", "day"]
    args += ["--horizon", "7", "--window", "14", "--season", "7"]
    args += ["--epochs", "2", "--seeds", "1", "--output-dir", str(tmp_path)]
    assert main(args) == 0
    forecast = pd.read_csv(tmp_path / "forecast.csv", index_col=0, parse_dates=True)
    assert forecast.index[0] == pd.Timestamp("2020-03-01")
    with pytest.raises(SystemExit, match="--target must name a column"):
        main(["--csv", str(path), "--target", "nope"])
    with pytest.raises(SystemExit, match="--csv needs --target"):
        main(["--csv", str(path)])
    # A file exported newest first forecasts the same days after its last.
    frame.iloc[::-1].to_csv(path, index=False)
    assert main(args) == 0
    newest_first = pd.read_csv(tmp_path / "forecast.csv", index_col=0, parse_dates=True)
    pd.testing.assert_frame_equal(newest_first, forecast)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--date-column", "when"], "--date-column must name a column"),
        (["--date-column", "shipped"], "duplicated dates"),
        (["--season", "0"], "--season must be at least 1"),
        # The window of the old default: "auto" fits a shorter one.
        (
            ["--horizon", "30", "--window", "24"],
            "cannot forecast 'sales'.*needs? at least",
        ),
        (["--target", "region"], "'region' is not numeric"),
        (["--date-column", "units"], "'units' holds numbers, not dates"),
        (["--csv", "missing.csv"], "cannot read --csv missing.csv"),
        (["--threads", "0"], "--threads must be at least 1"),
    ],
)
def test_forecast_command_names_bad_options(tmp_path, options, message, capsys):
    dates = pd.date_range("2020-01-01", periods=60, freq="D")
    frame = pd.DataFrame(
        {
            "day": dates,
            "sales": [5] * 30 + [6] * 30,
            "units": range(60),
            "region": ["north", "south"] * 30,
            "shipped": list(dates[:30]) * 2,
        }
    )
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    args = ["--csv", str(path), "--target", "sales", "--date-column", "day"]
    args += ["--season", "7", "--epochs", "1", "--seeds", "1"]
    with pytest.raises(SystemExit) as exit:
        main([*args, *options, "--output-dir", str(tmp_path)])
    # Bad values of options are argparse's errors (on stderr, status 2).
    said = f"{exit.value.code} {capsys.readouterr().err}"
    assert re.search(message, said), said


def test_forecast_command_refuses_irregular_or_numeric_dates(tmp_path, capsys):
    dates = pd.date_range("1949-01-01", periods=48, freq="MS")
    frame = pd.DataFrame({"month": dates, "sales": range(100, 148)})
    path = tmp_path / "sales.csv"
    args = ["--csv", str(path), "--target", "sales", "--horizon", "6"]
    args += ["--epochs", "1", "--seeds", "1", "--output-dir", str(tmp_path)]
    # Two months missing: the forecast would be dated by row positions.
    frame.drop([29, 30]).to_csv(path, index=False)
    with pytest.raises(SystemExit, match="'M' period, 1951-05-01.*by 1951-08-01"):
        main([*args, "--date-column", "month"])
    # Two rows in one month are named as such, not as a gap between others.
    frame.assign(month=dates.where(dates != "1950-03-01", "1950-02-15")).to_csv(
        path, index=False
    )
    with pytest.raises(SystemExit, match="-01 00:00:00 and 1950-02-15.*same period"):
        main([*args, "--date-column", "month"])
    # The 15th of each month has no pandas frequency, but is one row per
    # month: the forecast is dated by month.
    frame.assign(month=dates + pd.Timedelta(days=14)).to_csv(path, index=False)
    assert main([*args, "--date-column", "month"]) == 0
    forecast = pd.read_csv(tmp_path / "forecast.csv", index_col=0)
    assert list(forecast.index[:2]) == ["1953-01", "1953-02"]
    # Day first: read month first, the dates are irregular, and said so;
    # --date-format reads them.
    frame.assign(month=dates.strftime("%d/%m/%Y")).to_csv(path, index=False)
    with pytest.raises(SystemExit, match="not regularly spaced"):
        main([*args, "--date-column", "month"])
    assert main([*args, "--date-column", "month", "--date-format", "%d/%m/%Y"]) == 0
    forecast = pd.read_csv(tmp_path / "forecast.csv", index_col=0, parse_dates=True)
    assert forecast.index[0] == pd.Timestamp("1953-01-01")
    # Years written as numbers.
    years = pd.DataFrame({"year": range(1871, 1919), "flow": range(48)})
    years["flow"] += 1000
    years.to_csv(path, index=False)
    args[3] = "flow"
    with pytest.raises(SystemExit, match="need --date-format: %Y for years"):
        main([*args, "--date-column", "year", "--season", "1"])
    options = ["--date-column", "year", "--season", "1", "--date-format", "%Y"]
    assert main([*args, *options]) == 0
    forecast = pd.read_csv(tmp_path / "forecast.csv", index_col=0, parse_dates=True)
    assert forecast.index[0] == pd.Timestamp("1919-01-01")
    holdout = pd.read_csv(tmp_path / "holdout.csv", index_col=0)
    assert holdout.index.name == forecast.index.name == "year"


def test_csv_options_need_a_csv(capsys):
    with pytest.raises(SystemExit):
        main(["--target", "sales"])
    assert "--target needs --csv" in capsys.readouterr().err


def test_business_days_and_zoned_dates_on_the_command_line(tmp_path):
    from sklearn_rnn.__main__ import _regular_index

    days = pd.bdate_range("2024-01-01", periods=30)
    # A holiday is named as the gap, on the business-day calendar.
    with pytest.raises(SystemExit, match="'B' period, 2024-01-12.*by 2024-01-16"):
        _regular_index(days.delete(10), "day")
    # Business days at varying times are business days.
    timed = days + pd.to_timedelta(range(30), unit="min")
    pd.testing.assert_index_equal(_regular_index(timed, "day"), days)
    # UTC times of local midnights are not relabelled with UTC's days.
    zoned = pd.date_range("2024-03-25", periods=10, freq="D", tz="Europe/Paris")
    with pytest.raises(SystemExit, match="only in UTC"):
        _regular_index(zoned.tz_convert("UTC"), "day")


def test_season_is_inferred_from_the_dates_and_said(tmp_path, capsys):
    years = pd.DataFrame({"year": range(1871, 1919), "flow": range(1000, 1048)})
    path = tmp_path / "flow.csv"
    years.to_csv(path, index=False)
    args = ["--csv", str(path), "--target", "flow", "--date-column", "year"]
    args += ["--date-format", "%Y", "--horizon", "4", "--window", "8"]
    args += ["--epochs", "1", "--seeds", "1", "--output-dir", str(tmp_path)]
    assert main(args) == 0
    assert "no season (none implied by the dates" in capsys.readouterr().out
    assert (
        main(
            [
                "--horizon",
                "12",
                "--epochs",
                "1",
                "--seeds",
                "1",
                "--output-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "season 12 (from the dates' frequency" in capsys.readouterr().out


def test_long_csv_with_id_column_forecasts_every_series(tmp_path, capsys):
    rng = np.random.RandomState(0)
    months = pd.date_range("2015-01-01", periods=40, freq="MS")
    frame = pd.concat(
        pd.DataFrame(
            {"store": key, "month": months, "sales": 100 + rng.randn(40).cumsum()}
        )
        for key in ["a", "b", "c"]
    )
    path = tmp_path / "long.csv"
    frame.sample(frac=1, random_state=0).to_csv(path, index=False)
    args = ["--csv", str(path), "--id-column", "store", "--date-column", "month"]
    args += ["--target", "sales", "--horizon", "6", "--window", "12"]
    args += ["--epochs", "1", "--seeds", "1", "--output-dir", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "panel: 3 series" in text and "season 12 (from the dates)" in text
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert forecast.columns.tolist() == ["store", "month", "forecast", "lower", "upper"]
    assert len(forecast) == 18 and set(forecast["store"]) == {"a", "b", "c"}
    with pytest.raises(SystemExit, match="--id-column needs --target"):
        main([a for a in args if a not in ("--target", "sales")])


def test_long_csv_with_covariates(tmp_path, capsys):
    rng = np.random.RandomState(0)
    months = pd.date_range("2015-01-01", periods=30, freq="MS")
    frame = pd.concat(
        pd.DataFrame(
            {
                "store": key,
                "month": months,
                "sales": 100 + rng.randn(30).cumsum(),
                "footfall": rng.rand(30),
                "region": region,
                "ignored": "x",
            }
        )
        for key, region in [("a", "coast"), ("b", "inland"), ("c", "coast")]
    )
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    args = ["--csv", str(path), "--id-column", "store", "--date-column", "month"]
    args += ["--target", "sales", "--horizon", "3", "--window", "6"]
    args += ["--epochs", "1", "--seeds", "1", "--output-dir", str(tmp_path)]
    covariates = ["--past-covariates", "footfall", "--static-covariates", "region"]
    assert main(args + covariates) == 0
    text = capsys.readouterr().out
    assert "past covariates: footfall" in text and "static covariates: region" in text
    assert len(pd.read_csv(tmp_path / "forecast.csv")) == 9
    with pytest.raises(SystemExit, match=r"covariates \['weather'\] are not columns"):
        main(args + ["--past-covariates", "weather"])
    with pytest.raises(SystemExit):
        main(["--past-covariates", "footfall"])
    assert "--past-covariates needs --csv" in capsys.readouterr().err


def test_covariate_options_need_a_panel(capsys):
    with pytest.raises(SystemExit):
        main(["--csv", "x.csv", "--target", "y", "--past-covariates", "a"])
    assert "--past-covariates needs --id-column" in capsys.readouterr().err


def _long_csv(tmp_path, n_rows=None):
    months = pd.date_range("2015-01-01", periods=30, freq="MS")
    frame = pd.concat(
        pd.DataFrame({"store": key, "month": months, "sales": 100.0 + np.arange(30)})
        for key in ["a", "b"]
    )
    if n_rows is not None:  # series "tiny", of n_rows months
        tiny = {"store": "tiny", "month": months[:n_rows], "sales": 1.0}
        frame = pd.concat([frame, pd.DataFrame(tiny)])
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    args = ["--csv", str(path), "--id-column", "store", "--date-column", "month"]
    args += ["--target", "sales", "--horizon", "3", "--window", "6"]
    return args + ["--epochs", "1", "--seeds", "1", "--output-dir", str(tmp_path)]


@pytest.mark.parametrize(
    "n_rows, options, message",
    [
        (None, ["--date-format", "%d/%m/%Y"], "column 'month' is not dates"),
        (3, [], "series 'tiny' has 3 rows .* no more than --horizon 3"),
        (2, [], "series 'tiny' has 2 rows"),
        (None, ["--date-column", "sales"], "three different columns"),
    ],
)
def test_bad_long_csvs_are_named_without_a_traceback(
    tmp_path, n_rows, options, message
):
    args = _long_csv(tmp_path, n_rows)
    with pytest.raises(SystemExit, match=message):
        main([*args, *options])


def test_panel_options_reach_the_panel_and_single_series_ones_are_refused(
    tmp_path, capsys, monkeypatch
):
    from sklearn_rnn.forecasting import _cli

    built = []
    model = _cli._model
    monkeypatch.setattr(
        _cli,
        "_model",
        lambda args, seed=0: built.append(model(args, seed)) or built[-1],
    )
    args = _long_csv(tmp_path)
    options = ["--cell", "lstm", "--strategy", "recursive", "--weight-decay", "0.5"]
    assert main([*args, *options]) == 0
    net = built[0].regressor
    assert (net.cell, net.weight_decay, built[0].strategy) == ("lstm", 0.5, "recursive")
    assert main(args) == 0 and built[-1].regressor.cell == "gru"
    capsys.readouterr()
    for option in (["--log", "true"], ["--seasonal", "indices"], ["--difference", "1"]):
        with pytest.raises(SystemExit):
            main([*args, *option])
        assert f"{option[0]} transforms one series" in capsys.readouterr().err
