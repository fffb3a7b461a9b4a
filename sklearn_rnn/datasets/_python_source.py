# SPDX-License-Identifier: BSD-3-Clause
"""The running interpreter's standard library as a character corpus."""

import re
import sysconfig
from pathlib import Path

__all__ = ["load_python_source"]

# A block starts at an unindented line that follows a blank line.
_BLOCK_START = re.compile(r"(?<=\n\n)(?=\S)")


def _blocks(text):
    return [block for block in _BLOCK_START.split(text) if block.strip()]


def load_python_source(n_train_chars=1_000_000, n_valid_chars=40_000, stdlib=None):
    """Python source code, in top-level blocks, from the standard library.

    Every Python installation ships the source of its standard library, so
    this corpus needs no download. The files are taken deterministically:
    the top-level modules of 4 to 40 KB whose name does not start with an
    underscore, in alphabetical order; every tenth file is held out for
    validation. Each file is cut into blocks (the text from one unindented
    statement after a blank line to the next), a natural "sentence" for a
    character-level language model. The text is the installed version's,
    so the corpus differs a little between Python versions.

    Parameters
    ----------
    n_train_chars : int, default=1_000_000
        Training files are added until they hold at least this many
        characters.

    n_valid_chars : int, default=40_000
        Validation files are added until they hold at least this many
        characters.

    stdlib : str or path-like, default=None
        The directory to read; None is the running interpreter's standard
        library (``sysconfig.get_paths()["stdlib"]``).

    Returns
    -------
    train : list of str
        The blocks of the training files.

    valid : list of str
        The blocks of the validation files.

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_python_source
    >>> train, valid = load_python_source(n_train_chars=20_000, n_valid_chars=5_000)
    >>> sum(map(len, train)) >= 20_000 and sum(map(len, valid)) >= 5_000
    True
    """
    for name, value in (
        ("n_train_chars", n_train_chars),
        ("n_valid_chars", n_valid_chars),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    root = Path(sysconfig.get_paths()["stdlib"] if stdlib is None else stdlib)
    files = [
        path
        for path in sorted(root.glob("*.py"))
        if not path.name.startswith("_") and 4_000 <= path.stat().st_size <= 40_000
    ]
    train, valid = [], []
    n_train = n_valid = 0
    for i, path in enumerate(files):
        if n_train >= n_train_chars and n_valid >= n_valid_chars:
            break
        if i % 10 == 9:
            if n_valid < n_valid_chars:
                text = path.read_text(encoding="utf-8")
                valid += _blocks(text)
                n_valid += len(text)
        elif n_train < n_train_chars:
            text = path.read_text(encoding="utf-8")
            train += _blocks(text)
            n_train += len(text)
    if n_train < n_train_chars or n_valid < n_valid_chars:
        raise ValueError(
            f"{root} holds {n_train:,} characters of training files and "
            f"{n_valid:,} of validation files, fewer than the "
            f"{n_train_chars:,} and {n_valid_chars:,} asked for."
        )
    return train, valid
