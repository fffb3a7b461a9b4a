"""The package's structure, checked from its source.

``ARCHITECTURE.md`` describes the layers; ``LAYERS`` below is the same table in
code. A module may import modules of its own layer or of lower layers, never of a
higher one, and the import graph has no cycle. Imports inside functions count:
a lazy import still ties two modules together.
"""

import ast
import fnmatch
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sklearn_rnn"

# Lowest layer first. A module named exactly in a layer takes that layer;
# otherwise it takes the layer of the first pattern it matches.
LAYERS = [
    ("utilities", ["sklearn_rnn._version", "sklearn_rnn.utils", "sklearn_rnn.utils.*"]),
    (
        "data and state",
        [
            "sklearn_rnn._data",
            "sklearn_rnn._validation",
            "sklearn_rnn._parameters",
            "sklearn_rnn._modules",
            "sklearn_rnn.lm._text",
            "sklearn_rnn.persistence",
            "sklearn_rnn._persistence",
            "sklearn_rnn._persistence.*",
            "sklearn_rnn.datasets",
            "sklearn_rnn.datasets.*",
        ],
    ),
    ("training engine", ["sklearn_rnn._training"]),
    ("estimator template", ["sklearn_rnn._base"]),
    (
        "estimators",
        [
            "sklearn_rnn._regressor",
            "sklearn_rnn._classifier",
            "sklearn_rnn._seq2seq",
            "sklearn_rnn.preprocessing",
            "sklearn_rnn._preprocessing",
            "sklearn_rnn.windowing",
            "sklearn_rnn.lm",
            "sklearn_rnn.lm._interpolated",
            "sklearn_rnn.lm.*",
        ],
    ),
    (
        "forecasting",
        [
            "sklearn_rnn._forecaster",
            "sklearn_rnn.forecasting",
            "sklearn_rnn.forecasting.*",
        ],
    ),
    ("package", ["sklearn_rnn"]),
    (
        "applications",
        ["sklearn_rnn.plotting", "sklearn_rnn.__main__", "sklearn_rnn.utils.discovery"],
    ),
]


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name, modules):
    """The package module that ``name`` refers to, or None outside the package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module, path, modules):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "sklearn_rnn":
                target = _resolve(name, modules)
                if target is not None and target != module:
                    found.add(target)
    return found


def _layer(module):
    for rank, (_, patterns) in enumerate(LAYERS):
        if module in patterns:
            return rank
    for rank, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return rank
    return None


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def test_every_module_has_a_layer(graph):
    missing = sorted(m for m in graph if _layer(m) is None)
    assert not missing, f"add these modules to LAYERS and ARCHITECTURE.md: {missing}"


def test_no_import_runs_up_a_layer(graph):
    upward = [
        f"{src} ({LAYERS[_layer(src)][0]}) imports {dst} ({LAYERS[_layer(dst)][0]})"
        for src, targets in graph.items()
        for dst in targets
        if _layer(src) is not None
        and _layer(dst) is not None
        and _layer(dst) > _layer(src)
        # A package's __init__ may re-export what its own submodules define.
        and not dst.startswith(src + ".")
    ]
    assert not upward, "\n".join(sorted(upward))


def _find_cycle(graph):
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # A package importing its own submodules is a re-export, not a tie.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle(graph):
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_checker_finds_cycles_and_upward_imports():
    # The checks above must be able to fail.
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
    assert _layer("sklearn_rnn.utils._torch") < _layer("sklearn_rnn._base")
    assert _layer("sklearn_rnn.not_a_module_anyone_wrote") is None


# Sizes, not counting docstrings. A longer definition says why in a comment
# starting with "# long:" in the comment block right above it (or above its
# decorators).
MAX_CLASS_LINES = 420
MAX_FUNCTION_LINES = 80


def _code_lines(node):
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        first = body[1]
    return node.end_lineno - first.lineno + 1


def _oversized(path):
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            limit = MAX_FUNCTION_LINES
        else:
            continue
        top = min([node.lineno] + [d.lineno for d in node.decorator_list])
        above = []  # the comment block right above the definition
        while top - 2 - len(above) >= 0:
            line = lines[top - 2 - len(above)].strip()
            if not line.startswith("#"):
                break
            above.append(line)
        reason = any(line.startswith("# long:") for line in above)
        if _code_lines(node) > limit and not reason:
            yield f"{path.name}:{node.lineno} {node.name} ({_code_lines(node)} lines)"


def test_no_oversized_class_or_function():
    found = [
        item for path in sorted(PACKAGE.rglob("*.py")) for item in _oversized(path)
    ]
    assert not found, "split these or say why above them (# long: ...):\n" + (
        "\n".join(found)
    )


def test_size_check_can_fail(tmp_path):
    path = tmp_path / "big.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    path.write_text(f"def f():\n    '''Doc.'''\n{body}\n")
    assert [item.split()[1] for item in _oversized(path)] == ["f"]
    path.write_text(f"# long: a table\ndef f():\n{body}\n")
    assert not list(_oversized(path))
