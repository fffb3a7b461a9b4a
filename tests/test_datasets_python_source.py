# SPDX-License-Identifier: BSD-3-Clause
"""Tests of load_python_source, the standard library as a corpus."""

import pytest

from sklearn_rnn.datasets import load_python_source


def _stdlib(tmp_path, n_files=30):
    for i in range(n_files):
        body = "\n\n".join(f"def f{i}_{j}():\n    return {j}\n" for j in range(250))
        (tmp_path / f"module_{i:02d}.py").write_text(body)
    (tmp_path / "_private.py").write_text("x = 1\n" * 1000)  # skipped: underscore
    (tmp_path / "tiny.py").write_text("x = 1\n")  # skipped: under 4 KB
    return tmp_path


def test_files_are_split_into_blocks_and_every_tenth_held_out(tmp_path):
    root = _stdlib(tmp_path)
    train, valid = load_python_source(20_000, 5_000, stdlib=root)
    assert all(block.startswith("def f") for block in train + valid)
    held_out = {block.split("_")[0] for block in valid}
    assert held_out == {"def f9"}  # module_09, the tenth file
    assert "def f9" not in {block.split("_")[0] for block in train}
    assert sum(map(len, train)) >= 20_000
    # deterministic
    assert load_python_source(20_000, 5_000, stdlib=root) == (train, valid)


def test_too_small_a_library_and_bad_sizes_are_refused(tmp_path):
    root = _stdlib(tmp_path, n_files=3)
    with pytest.raises(ValueError, match="fewer than"):
        load_python_source(10**8, 10, stdlib=root)
    with pytest.raises(ValueError, match="n_train_chars must be a positive int"):
        load_python_source(0)
    with pytest.raises(ValueError, match="n_valid_chars must be a positive int"):
        load_python_source(10, 2.5)


def test_the_running_interpreter_has_a_corpus():
    train, valid = load_python_source(50_000, 5_000)
    assert sum(map(len, train)) >= 50_000 and sum(map(len, valid)) >= 5_000
