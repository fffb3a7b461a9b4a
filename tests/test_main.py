# SPDX-License-Identifier: BSD-3-Clause
"""The command-line forecast (the README's main job), on a tiny budget."""

import importlib.util

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
    # A file exported newest first forecasts the same days after its last.
    frame.iloc[::-1].to_csv(path, index=False)
    assert main(args) == 0
    newest_first = pd.read_csv(
        tmp_path / "forecast.csv", index_col=0, parse_dates=True
    )
    pd.testing.assert_frame_equal(newest_first, forecast)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--date-column", "when"], "--date-column must name a column"),
        (["--date-column", "sales"], "duplicated dates"),
        (["--season", "0"], "--season must be at least 1"),
        (["--horizon", "30"], "cannot forecast 'sales'.*needs? at least"),
    ],
)
def test_forecast_command_names_bad_options(tmp_path, options, message):
    dates = pd.date_range("2020-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"day": dates, "sales": [5] * 30 + [6] * 30})
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    args = ["--csv", str(path), "--target", "sales", "--date-column", "day"]
    args += ["--season", "7", "--epochs", "1", "--seeds", "1"]
    with pytest.raises(SystemExit, match=message):
        main([*args, *options, "--output-dir", str(tmp_path)])
