# SPDX-License-Identifier: BSD-3-Clause
"""Every example runs, in its fast mode (small data, few epochs)."""

import os
import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_in_fast_mode(path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("SKLEARN_RNN_EXAMPLE_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "japanese_vowels" in path.name:
        data = Path(
            os.environ.get(
                "SKLEARN_RNN_DATA",
                Path(__file__).resolve().parents[2] / "shared" / "data",
            )
        )
        if not (data / "japanese_vowels").is_dir():
            pytest.skip(f"the Japanese vowels data is not in {data}")
    import matplotlib

    matplotlib.use("Agg")
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out  # it reported something
