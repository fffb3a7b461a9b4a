# SPDX-License-Identifier: BSD-3-Clause
"""Every public class and function is documented, with a runnable example.

The examples themselves run as doctests (``--doctest-modules``); this test
makes sure that none is missing.
"""

import importlib
import inspect
import re
from importlib import resources
from pathlib import Path

import pytest
import tomllib

PUBLIC_MODULES = [
    "sklearn_rnn",
    "sklearn_rnn.datasets",
    "sklearn_rnn.forecasting",
    "sklearn_rnn.lm",
    "sklearn_rnn.plotting",
    "sklearn_rnn.preprocessing",
    "sklearn_rnn.windowing",
]


def _public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj


@pytest.mark.parametrize(
    "name, obj", list(_public_objects()), ids=[n for n, _ in _public_objects()]
)
def test_public_api_has_numpydoc_with_an_example(name, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert re.search(r"Examples\n\s*--------\n\s*>>>", doc), (
        f"{name} has no doctest example"
    )
    section = "Parameters" if inspect.isclass(obj) else "Returns"
    assert re.search(rf"{section}\n\s*----", doc), f"{name} has no {section} section"
    # numpydoc reads a section header that does not follow a blank line as
    # one more entry of the section before (as happened after the shared
    # parameter fragments).
    lines = doc.splitlines()
    for i, line in enumerate(lines[1:-1], start=1):
        if re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip():
            assert not lines[i - 1].strip(), (
                f"{name}: no blank line before the {line.strip()!r} section"
            )
    if inspect.isclass(obj):
        for meth_name, meth in vars(obj).items():
            if meth_name.startswith("_") or not inspect.isfunction(meth):
                continue
            meth_doc = inspect.getdoc(meth) or ""
            assert "Returns\n----" in meth_doc or "Yields\n----" in meth_doc, (
                f"{name}.{meth_name} has no Returns section"
            )


def test_package_is_typed():
    # PEP 561: the marker ships inside the package.
    assert resources.files("sklearn_rnn").joinpath("py.typed").is_file()
    pyproject = Path(__file__).parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["sklearn_rnn"]
