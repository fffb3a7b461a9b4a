# SPDX-License-Identifier: BSD-3-Clause
"""Declared saved state, hostile and malformed files, atomic saving, old files."""

import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _cases import CASES
from sklearn.exceptions import NotFittedError

from sklearn_rnn import NGramLanguageModel, RNNClassifier, RNNRegressor
from sklearn_rnn._persistence import _archive, _spec
from sklearn_rnn.persistence import _ADDED_IN_6, FORMAT_VERSION, load, save

DATA = Path(__file__).parent / "data"
_FITTED = {}


def _fitted(name):
    if name not in _FITTED:
        case = next(c for c in CASES if c.name == name)
        _FITTED[name] = case.fitted()
    return _FITTED[name]


def _saved(est):
    buffer = io.BytesIO()
    save(est, buffer)
    return buffer.getvalue()


def _members(raw):
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(members, compress=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            kind = zipfile.ZIP_DEFLATED if name == "header.json" else zipfile.ZIP_STORED
            z.writestr(name, data, compress_type=compress or kind)
    return out.getvalue()


def _edit(raw, edit_header):
    members = _members(raw)
    header = json.loads(members["header.json"])
    edit_header(header, members)
    members["header.json"] = json.dumps(header).encode()
    return _zip(members)


def _fixture(version, name):
    """The bytes of ``tests/data/v{version}_{name}.skrnn``, checked to be a
    file of that format version, and the figures it was written with."""
    raw = (DATA / f"v{version}_{name}.skrnn").read_bytes()
    assert json.loads(_members(raw)["header.json"])["format_version"] == version
    return raw, json.loads((DATA / f"v{version}_expected.json").read_text())


def _npy(a):
    buffer = io.BytesIO()
    np.save(buffer, a, allow_pickle=False)
    return buffer.getvalue()


def _replace_array(header, members, node, a):
    """Store ``a`` for the array ``node``, its digest and description made
    consistent: only the declaration can refuse it."""
    data = _npy(a)
    members[node["key"]] = data
    header["digests"][node["key"]] = hashlib.sha256(data).hexdigest()
    node.update(dtype=a.dtype.str, shape=list(a.shape))


# ----------------------------------------------------------------------
# Format version 2 (before the neural backbones left the estimator template)
# ----------------------------------------------------------------------
def test_version_2_files_load_except_neural_language_models():
    X = np.random.RandomState(0).normal(size=(12, 4))
    raw, expected = _fixture(2, "regressor")
    est = load(io.BytesIO(raw))
    np.testing.assert_allclose(est.predict(X), expected["regressor"], rtol=1e-6)
    raw, _ = _fixture(2, "neural_lm")
    with pytest.raises(ValueError, match="neural backbone saved in format version 2"):
        load(io.BytesIO(raw))


def test_version_3_files_load_as_they_are():
    # Version 4 only declared a new estimator (PanelForecaster): a file of
    # version 3 holds nothing that changed.
    est = _fitted("RNNRegressor")
    X = np.random.RandomState(0).normal(size=(12, est.n_features_in_))

    def edit(header, members):
        header["format_version"] = 3

    loaded = load(io.BytesIO(_edit(_saved(est), edit)))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_version_4_files_load_as_they_are():
    # Version 5 only declared a new estimator (InterpolatedLanguageModel).
    est = _fitted("NGramLanguageModel")

    def edit(header, members):
        header["format_version"] = 4

    loaded = load(io.BytesIO(_edit(_saved(est), edit)))
    text = ["the cat sat", "unseen words"]
    np.testing.assert_array_equal(loaded.predict_proba(text), est.predict_proba(text))


def test_a_panel_forecaster_written_by_version_5_loads_and_forecasts():
    # Written by the code of format 5 (tests/data/make_v5_fixtures.txt): no
    # covariate parameters, and its loss class under its old module.
    raw, expected = _fixture(5, "panel")
    est = load(io.BytesIO(raw))
    assert est.level_smoothing is False and est.past_covariates is None
    np.testing.assert_allclose(est.forecast()["forecast"], expected["panel"], rtol=1e-6)


def test_a_panel_forecaster_written_by_version_6_loads_and_forecasts():
    # Written by the code of format 6 (tests/data/make_v6_fixtures.txt), with
    # a static covariate: calibrated on one origin per series.
    raw, expected = _fixture(6, "panel")
    est = load(io.BytesIO(raw))
    assert est.calibration_origins == 1 and est.static_covariates == ["size"]
    frame = est.forecast()
    np.testing.assert_allclose(frame["forecast"], expected["forecast"], rtol=1e-6)
    np.testing.assert_allclose(frame["upper"], expected["upper"], rtol=1e-6)


def test_a_panel_forecaster_written_by_version_7_loads_and_forecasts():
    # Written by the code of format 7 (tests/data/make_v7_fixtures.txt):
    # its networks forecast alone, without Theta.
    raw, expected = _fixture(7, "panel")
    est = load(io.BytesIO(raw))
    assert est.theta_weight == est.theta_weight_ == 0
    assert est.calibration_origins == 3
    frame = est.forecast()
    np.testing.assert_allclose(frame["forecast"], expected["forecast"], rtol=1e-6)
    np.testing.assert_allclose(frame["upper"], expected["upper"], rtol=1e-6)


def test_a_vector_seq2seq_written_by_version_8_loads_and_predicts():
    # Version 8 saved a Seq2SeqTransformer fitted on vectors but refused to
    # load it (tests/data/make_v8_fixtures.txt wrote this one).
    raw, expected = _fixture(8, "seq2seq_vector")
    est = load(io.BytesIO(raw))
    assert est._source_kind_ == "vector"
    pred = est.predict(np.array(expected["X"]))
    np.testing.assert_allclose(pred, expected["predict"], rtol=1e-6)


def test_an_unfitted_version_7_panel_forecaster_stays_unfitted():
    from sklearn.utils.validation import check_is_fitted

    from sklearn_rnn.forecasting import PanelForecaster

    def edit(header, members):
        header["format_version"] = 7
        del header["estimator"]["v"]["theta_weight"]

    loaded = load(io.BytesIO(_edit(_saved(PanelForecaster()), edit)))
    assert loaded.theta_weight == 0
    with pytest.raises(NotFittedError):
        check_is_fitted(loaded)


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_a_theta_weight_outside_zero_and_one_is_refused(value):
    def edit(header, members):
        header["estimator"]["v"]["theta_weight_"] = value

    with pytest.raises(ValueError, match="theta_weight_"):
        load(io.BytesIO(_edit(_saved(_fitted("PanelForecaster")), edit)))


def test_version_5_panel_forecasters_load_without_covariates():
    # Version 6 added the panel's covariates and series embedding.
    import pandas as pd

    from sklearn_rnn.forecasting import PanelForecaster

    months = pd.period_range("2000-01", periods=30, freq="M")
    y = pd.Series(np.linspace(1.0, 2.0, 30), index=months)
    est = PanelForecaster(
        RNNRegressor(hidden_size=2, max_epochs=1),
        window=4,
        horizon=2,
        n_estimators=1,
        random_state=0,
    ).fit(None, y)

    def edit(header, members):
        header["format_version"] = 5
        state = header["estimator"]["v"]
        for name in _ADDED_IN_6:
            del state[name]

    loaded = load(io.BytesIO(_edit(_saved(est), edit)))
    assert loaded.id_embedding == 0 and loaded.past_covariates is None
    pd.testing.assert_frame_equal(loaded.forecast(), est.forecast())

    def edit_6(header, members):
        edit(header, members)
        header["format_version"] = 6

    with pytest.raises(ValueError, match="id_embedding|_covariates|_exog"):
        load(io.BytesIO(_edit(_saved(est), edit_6)))  # version 6 must hold them


# ----------------------------------------------------------------------
# The declaration: what is saved
# ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_a_file_holds_the_parameters_and_the_declared_state(case):
    est = _fitted(case.name)
    header = json.loads(_members(_saved(est))["header.json"])
    assert header["format_version"] == FORMAT_VERSION == 9
    saved = set(header["estimator"]["v"])
    params = set(est.get_params(deep=False))
    declared = set(_spec.declaration(type(est)))
    assert params <= saved
    assert saved - params <= declared
    # every fitted attribute is declared: nothing else reaches the file
    assert set(vars(est)) - params <= declared


def test_an_undeclared_fitted_attribute_is_not_saved():
    est = RNNRegressor(hidden_size=2, max_epochs=1).fit(np.ones((6, 3)), np.ones(6))
    est._cache = np.zeros(3)
    with pytest.raises(TypeError, match=r"RNNRegressor\._cache is not declared"):
        save(est, io.BytesIO())


def test_an_attribute_the_class_does_not_declare_is_refused_at_load():
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        header["estimator"]["v"]["_injected"] = 1

    with pytest.raises(ValueError, match=r"RNNRegressor\._injected, which RNNRegr"):
        load(io.BytesIO(_edit(raw, edit)))


# ----------------------------------------------------------------------
# Restored arrays are checked (issue 17, item 3)
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, match",
    [
        (np.zeros(1000), r"_y_mean has shape \(1000,\): axis 0 is not 1"),
        (np.zeros(1, dtype=complex), "_y_mean has dtype complex128, not float64"),
        (np.zeros(1, dtype=np.float32), "_y_mean has dtype float32, not float64"),
        (np.zeros((1, 1)), "_y_mean has 2 dimensions, not 1"),
        (np.array([np.nan]), "_y_mean holds values that are not finite"),
    ],
    ids=["long", "complex", "float32", "2-D", "nan"],
)
def test_a_tampered_target_mean_is_refused(value, match):
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        _replace_array(header, members, header["estimator"]["v"]["_y_mean"], value)

    with pytest.raises(ValueError, match=match):
        load(io.BytesIO(_edit(raw, edit)))


def test_a_hundred_million_element_target_mean_is_refused_before_reading():
    # The header announces 800 MB of float64: refused from the header alone
    # (the member is not even that large).
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        header["estimator"]["v"]["_y_mean"]["shape"] = [10**8]

    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"_y_mean has shape \(100000000,\)"):
        load(io.BytesIO(_edit(raw, edit)))
    assert time.perf_counter() - start < 5


def test_classes_must_match_the_network_outputs():
    raw = _saved(_fitted("RNNClassifier"))

    def edit(header, members):
        node = header["estimator"]["v"]["classes_"]
        _replace_array(header, members, node, np.array(["a", "b", "c"]))

    match = r"RNNClassifier is invalid \(classes_\): The saved classes_ has shape"
    with pytest.raises(ValueError, match=match):
        load(io.BytesIO(_edit(raw, edit)))


def test_a_huge_network_parameter_is_refused_without_allocating():
    # hidden_size 10**6 would need terabytes: the stored weights are compared
    # with the module built on the "meta" device, which allocates nothing.
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        net = header["estimator"]["v"]["net_"]
        net["params"]["v"] = [
            [k, 10**6 if k == "module__hidden_size" else v]
            for k, v in net["params"]["v"]
        ]

    start = time.perf_counter()
    with pytest.raises(ValueError, match="do not fit the network they describe"):
        load(io.BytesIO(_edit(raw, edit)))
    assert time.perf_counter() - start < 5


def test_a_layer_count_beyond_the_stored_weights_is_refused_unbuilt():
    # Building even a "meta" module of 100,000 layers takes minutes.
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        net = header["estimator"]["v"]["net_"]
        net["params"]["v"] = [
            [k, 100_000 if k == "module__num_layers" else v]
            for k, v in net["params"]["v"]
        ]

    with pytest.raises(ValueError, match="fewer than one per layer"):
        load(io.BytesIO(_edit(raw, edit)))


def test_optimizer_state_must_have_the_shape_of_its_weight():
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        state = dict(header["estimator"]["v"]["net_"]["optimizer"]["v"])["state"]
        per_weight = dict(state["v"][0][1]["v"])
        _replace_array(header, members, per_weight["exp_avg"], np.zeros(7, "<f4"))

    with pytest.raises(ValueError, match="'exp_avg' of weight 0 has shape"):
        load(io.BytesIO(_edit(raw, edit)))


def test_counts_of_an_ngram_model_follow_its_order():
    raw = _saved(_fitted("NGramLanguageModel"))

    def edit(header, members):
        header["estimator"]["v"]["_keys"].append(None)

    # one entry per order, plus one
    with pytest.raises(ValueError, match="_keys has 5 items, not 4"):
        load(io.BytesIO(_edit(raw, edit)))


# ----------------------------------------------------------------------
# Malformed files: always a ValueError that says what (issue 17, item 4)
# ----------------------------------------------------------------------
def _with_header(text):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("header.json", text)
    return out.getvalue()


def test_deeply_nested_json_is_refused():
    with pytest.raises(ValueError, match="nested too deeply"):
        load(io.BytesIO(_with_header("[" * 100_000 + "]" * 100_000)))


def test_values_nested_beyond_the_decoder_limit_are_refused():
    raw = _saved(_fitted("SlidingWindowTransformer"))

    def edit(header, members):
        value = 1
        for _ in range(500):
            value = [value]
        header["estimator"]["v"]["window"] = value

    with pytest.raises(ValueError, match="nested more than 64 levels"):
        load(io.BytesIO(_edit(raw, edit)))


@pytest.mark.parametrize("shape", [[10**12], [10**6, 10**6], [-1], ["3"], [2] * 40])
def test_an_absurd_array_shape_is_refused(shape):
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        net = header["estimator"]["v"]["net_"]
        history = net["history"]
        history.append({"~": "ndarray", "key": "arrays/0.npy", "dtype": "<f8"})
        history[-1]["shape"] = shape

    with pytest.raises(ValueError, match="shape|holds"):
        load(io.BytesIO(_edit(raw, edit)))


def test_a_member_whose_npy_header_announces_a_huge_array_is_refused():
    # The .npy header inside the member claims 10**12 elements: numpy would
    # try to allocate them (MemoryError); its header is read first.
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        node = header["estimator"]["v"]["_y_mean"]
        data = members[node["key"]].replace(b"(1,)", b"(1000000000000,)")
        members[node["key"]] = data
        header["digests"][node["key"]] = hashlib.sha256(data).hexdigest()

    with pytest.raises(ValueError, match="holds float64 \\(1000000000000,\\)"):
        load(io.BytesIO(_edit(raw, edit)))


def test_an_object_array_of_absurd_shape_is_refused():
    raw = _saved(_fitted("NGramLanguageModel"))

    def edit(header, members):
        header["estimator"]["v"]["classes_"]["shape"] = [10**12]

    with pytest.raises(ValueError, match=r"\(classes_\): An object array of shape"):
        load(io.BytesIO(_edit(raw, edit)))


@pytest.mark.parametrize(
    "scalar",
    [
        {"~": "npscalar", "dtype": "|i1", "v": 10**6},
        {"~": "npscalar", "dtype": "<u4", "v": -1},
        {"~": "npscalar", "dtype": "<f8", "v": "x"},
        {"~": "npscalar", "dtype": "|O", "v": 1},
        {"~": "npscalar", "dtype": "not a dtype", "v": 1},
        {"~": "npscalar", "dtype": "<i8", "v": 10**30},
    ],
)
def test_a_bad_numpy_scalar_is_refused(scalar):
    raw = _saved(_fitted("RNNRegressor"))

    def edit(header, members):
        header["estimator"]["v"]["n_iter_"] = scalar

    with pytest.raises(ValueError, match="numpy scalar|invalid dtype"):
        load(io.BytesIO(_edit(raw, edit)))


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("format_version", "abc", "format version 'abc' is not a whole number"),
        ("format_version", None, "format version None is not a whole number"),
        ("format_version", 2.0, "is not a whole number"),
        ("sklearn_rnn_version", "abc", "does not say which sklearn_rnn version"),
        ("sklearn_rnn_version", None, "does not say which sklearn_rnn version"),
        ("digests", {"a": 1}, "no array digests"),
    ],
)
def test_malformed_versions_are_named(field, value, match):
    raw = _saved(_fitted("SlidingWindowTransformer"))

    def edit(header, members):
        header[field] = value

    with pytest.raises(ValueError, match=match):
        load(io.BytesIO(_edit(raw, edit)))


@pytest.mark.parametrize(
    "node",
    [
        {"~": 5},
        {"~": "dict", "v": [[1, 2, 3]]},
        {"~": "dict", "v": [[[1], 2]]},  # an unhashable key
        {"~": "tuple", "v": 3},
        {"~": "device", "v": "warp-drive"},
        {"~": "torch_dtype", "v": "__class__"},
        {"~": "objarray", "shape": [3], "v": [1]},
        {"~": "index", "name": None, "kind": "other", "v": []},
    ],
)
def test_malformed_values_give_value_errors(node):
    raw = _saved(_fitted("SlidingWindowTransformer"))

    def edit(header, members):
        header["estimator"]["v"]["window"] = node

    with pytest.raises(ValueError):
        load(io.BytesIO(_edit(raw, edit)))


# ----------------------------------------------------------------------
# Memory bombs (issue 17, item 1)
# ----------------------------------------------------------------------
def _bomb(path, raw, inflated_mb, target="array"):
    """Rewrite the saved file ``raw`` with a deflated member that inflates to
    ``inflated_mb`` MB: an array member, or header.json padded with spaces."""
    members = _members(raw)
    header = json.loads(members["header.json"])
    chunk = bytes(2**20)
    with zipfile.ZipFile(path, "w") as z:
        if target == "header":
            info = zipfile.ZipInfo("header.json")
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as stream:
                stream.write(json.dumps(header).encode())
                for _ in range(inflated_mb):
                    stream.write(b" " * 2**20)
        else:
            z.writestr("header.json", json.dumps(header))
        for name, data in members.items():
            if name == "header.json":
                continue
            if target == "array" and name == "arrays/0.npy":
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED
                with z.open(info, "w", force_zip64=True) as stream:
                    stream.write(data)
                    for _ in range(inflated_mb):
                        stream.write(chunk)
            else:
                z.writestr(name, data)


_PEAK_RSS = """
import resource, sys
import sklearn_rnn
from sklearn_rnn.persistence import load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for path in sys.argv[1:]:
    try:
        load(path)
    except ValueError as exc:
        print("refused:", exc, file=sys.stderr)
    else:
        sys.exit("loaded")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)  # MB (ru_maxrss is in kB on Linux)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss units of Linux")
def test_a_compressed_bomb_is_refused_with_bounded_memory(tmp_path):
    raw = _saved(_fitted("RNNRegressor"))
    paths = []
    for target in ("array", "header"):
        paths.append(tmp_path / f"{target}-bomb.skrnn")
        _bomb(paths[-1], raw, 128, target)
        assert paths[-1].stat().st_size < 2**20  # 128 MB inflated, < 1 MB on disk
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *map(str, paths)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stderr
    assert "is compressed in the file" in out.stderr
    assert "more than the 67108864 a model header may hold" in out.stderr
    # Loading them used to inflate every byte: peak memory grew by 128 MB+.
    assert int(out.stdout) < 32
    assert time.perf_counter() - start < 60


# ----------------------------------------------------------------------
# Atomic saving (issue 17, item 2)
# ----------------------------------------------------------------------
def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.skrnn"
    old = _fitted("NGramLanguageModel")
    save(old, path)
    before = path.read_bytes()
    os.chmod(path, 0o640)

    def failing_write(stream, header, members):
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_archive, "_write_zip", failing_write)
    new = NGramLanguageModel(order=2).fit(["x y", "y x"])
    with pytest.raises(OSError, match="No space left"):
        save(new, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.skrnn"]  # no temporary file left
    np.testing.assert_array_equal(
        load(path).predict_proba(["the cat"]), old.predict_proba(["the cat"])
    )
    monkeypatch.undo()
    save(new, path)  # a save that succeeds replaces it, permissions kept
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert load(path).classes_.tolist() == new.classes_.tolist()
    assert os.listdir(tmp_path) == ["model.skrnn"]


def test_a_value_that_cannot_be_saved_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.skrnn"
    save(NGramLanguageModel(order=2).fit(["a b"]), path)
    before = path.read_bytes()
    bad = NGramLanguageModel(tokenizer=str.split).fit(["a b"])
    with pytest.raises(TypeError, match="tokenizer"):
        save(bad, path)
    assert path.read_bytes() == before


# ----------------------------------------------------------------------
# Format version 1 (files of sklearn_rnn before the declarations)
# ----------------------------------------------------------------------
def test_version_1_files_load_and_predict_as_saved():
    X = np.random.RandomState(0).normal(size=(12, 4))
    for name, predict in (
        ("regressor", lambda est: est.predict(X)),
        ("classifier", lambda est: est.predict_proba(X)),
        ("ngram", lambda est: est.predict_proba(["a b", "c"])),
    ):
        raw, expected = _fixture(1, name)
        est = load(io.BytesIO(raw))
        np.testing.assert_allclose(predict(est), expected[name], rtol=1e-6)
        # saved again, it is a version-2 file that loads the same
        again = load(io.BytesIO(_saved(est)))
        np.testing.assert_allclose(predict(again), expected[name], rtol=1e-6)
    assert isinstance(load(DATA / "v1_classifier.skrnn"), RNNClassifier)


def test_version_1_files_are_checked_against_the_declarations():
    raw = (DATA / "v1_regressor.skrnn").read_bytes()

    def extra(header, members):
        header["estimator"]["v"]["_renamed_attribute"] = 1

    with pytest.raises(ValueError, match="_renamed_attribute, which RNNRegressor"):
        load(io.BytesIO(_edit(raw, extra)))

    def long_mean(header, members):
        node = header["estimator"]["v"]["_y_mean"]
        data = _npy(np.zeros(50))
        members[node["key"]] = data
        header["digests"][node["key"]] = hashlib.sha256(data).hexdigest()

    with pytest.raises(ValueError, match=r"_y_mean has shape \(50,\)"):
        load(io.BytesIO(_edit(raw, long_mean)))


# ----------------------------------------------------------------------
# No torch, no estimator module
# ----------------------------------------------------------------------
_TORCH_FREE = """
import io, sys, types
import numpy as np
# A bare package object: sklearn_rnn/__init__.py (which imports the
# estimators, and torch with them) does not run.
package = types.ModuleType("sklearn_rnn")
package.__path__ = [sys.argv[1]]
sys.modules["sklearn_rnn"] = package
from sklearn.base import BaseEstimator
from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import load, save
assert "torch" not in sys.modules, "importing persistence imported torch"
estimators = [m for m in sys.modules if m.startswith("sklearn_rnn.")
              and not m.startswith(("sklearn_rnn._persistence",
                                    "sklearn_rnn.persistence",
                                    "sklearn_rnn._version",
                                    "sklearn_rnn.utils"))]
assert not estimators, estimators

module = types.ModuleType("sklearn_rnn._counting")
sys.modules[module.__name__] = module
class Counts(BaseEstimator):
    _persisted_state = {"counts_": _spec.Array(("size",), kinds="i")}
    def __init__(self, size=3):
        self.size = size
Counts.__module__ = module.__name__
module.Counts = Counts
est = Counts()
est.counts_ = np.arange(3)
buffer = io.BytesIO()
save(est, buffer)
buffer.seek(0)
loaded = load(buffer)
assert loaded.counts_.tolist() == [0, 1, 2]
assert "torch" not in sys.modules and "skorch" not in sys.modules
print("ok")
"""


def test_persistence_imports_neither_torch_nor_the_estimators():
    import sklearn_rnn

    package = os.path.dirname(sklearn_rnn.__file__)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_TORCH_FREE), package],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _configurations():
    """Fitted estimators in configurations the reliability cases do not
    cover, each with a function of its predictions."""
    import pandas as pd

    from sklearn_rnn import RNNForecaster, Seq2SeqTransformer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    tiny = dict(hidden_size=2, max_epochs=1, random_state=0)
    ids = pd.DataFrame(rng.randint(0, 5, size=(20, 3)), columns=["x", "y", "z"])
    y = pd.Series(np.linspace(1, 30, 40), name="y")
    covariates = pd.DataFrame({"c": np.sin(np.arange(40.0))})
    seq = rng.normal(size=(10, 5, 2))
    return [
        (RNNRegressor(**tiny).fit(frame, X[:, 0]), lambda e: e.predict(frame)),
        (
            RNNRegressor(return_sequences=True, **tiny).fit(seq, seq[:, :, 0]),
            lambda e: e.predict(seq),
        ),
        (
            RNNClassifier(return_sequences=True, **tiny).fit(seq, seq[:, :, 0] > 0),
            lambda e: e.predict_proba(seq),
        ),
        (NGramLanguageModel(order=2).fit(ids), lambda e: e.predict_proba(ids)),
        (
            NGramLanguageModel(order=2, smoothing="add_k").fit(["a b", "b c a"]),
            lambda e: e.predict_proba(["a b"]),
        ),
        (
            RNNForecaster(RNNRegressor(**tiny), window=4, horizon=2).fit(covariates, y),
            lambda e: e.forecast(2, covariates.iloc[:2]).to_numpy(),
        ),
        (
            Seq2SeqTransformer("gru", **tiny).fit(seq, seq[:, :2, :1]),
            lambda e: e.predict(seq),
        ),
    ]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_other_configurations_declare_their_state_and_round_trip():
    for est, output in _configurations():
        loaded = load(io.BytesIO(_saved(est)))
        np.testing.assert_array_equal(output(loaded), output(est))


def _declaring_classes():
    """Every concrete class of sklearn_rnn with a declared saved state."""
    import inspect

    import sklearn_rnn.lm._neural  # noqa: F401 (the private backbones)
    from sklearn_rnn.utils.discovery import all_estimators

    all_estimators()  # the package imports its estimators lazily

    found = set()
    for name, module in list(sys.modules.items()):
        if name == "sklearn_rnn" or name.startswith("sklearn_rnn."):
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and obj.__module__.startswith("sklearn_rnn")
                    and hasattr(obj, "_persisted_state")
                    and not inspect.isabstract(obj)
                ):
                    found.add(obj)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


# The fingerprint of the declarations each format version reads.
_DECLARATIONS_OF_FORMAT = {
    2: "e1de5c3e66bdba53",
    3: "b387a463fbf9471a",
    4: "c4048f77f2751048",
    5: "b3439e5dae85c37c",
    6: "0297df0633c1d057",
    7: "cf8474d88276a112",
    8: "647075354f65dc68",
    9: "e2b6d7774cf95c1b",
}


def test_the_format_version_changes_with_the_declarations():
    current = _spec.fingerprint(_declaring_classes())
    assert _DECLARATIONS_OF_FORMAT.get(FORMAT_VERSION) == current, (
        "The declared saved state (_persisted_state) changed: increase "
        "sklearn_rnn.persistence.FORMAT_VERSION, make load translate or refuse "
        "the files of the previous version (tested), and pin "
        f"{{{FORMAT_VERSION + 1}: {current!r}}} in _DECLARATIONS_OF_FORMAT. "
        f"Declaring classes: {[c.__name__ for c in _declaring_classes()]}"
    )


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_every_optimizer_is_saved_and_restored(optimizer):
    # persistence resolves the optimizers by their torch name, without
    # importing the estimators' table of them.
    X = np.random.RandomState(0).normal(size=(8, 3))
    est = RNNRegressor(hidden_size=2, max_epochs=1, optimizer=optimizer)
    est.fit(X, X[:, 0])
    loaded = load(io.BytesIO(_saved(est)))
    assert type(loaded.net_.optimizer_) is type(est.net_.optimizer_)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_a_forecaster_saved_before_its_transform_moved_loads():
    # RNNForecaster's target transform was sklearn_rnn._forecaster._Differencer.
    import pandas as pd

    from sklearn_rnn import RNNForecaster

    y = pd.Series(
        10 + np.sin(np.arange(40) / 2),
        index=pd.period_range("2000-01", periods=40, freq="M"),
    )
    X = y.to_frame().iloc[:, :0]
    est = RNNForecaster(
        RNNRegressor(hidden_size=2, max_epochs=1, random_state=0),
        horizon=2,
        window=4,
        n_estimators=1,
        calibration="in_sample",
    ).fit(X, y)
    old = "sklearn_rnn._forecaster._Differencer"

    def edit(header, members):
        text = json.dumps(header).replace(
            "sklearn_rnn.forecasting._transforms.Differencer", old
        )
        assert old in text
        header.clear()
        header.update(json.loads(text))

    loaded = load(io.BytesIO(_edit(_saved(est), edit)))
    pd.testing.assert_frame_equal(loaded.forecast(3), est.forecast(3))


def _fitted_regressor():
    X = np.random.RandomState(0).normal(size=(20, 5))
    return RNNRegressor(hidden_size=2, max_epochs=1).fit(X, X.sum(axis=1)), X


def test_a_corrupted_deflated_header_is_a_value_error():
    raw = bytearray(_saved(_fitted_regressor()[0]))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.getinfo("header.json")
    # The local header: 30 bytes, then the name and the extra field.
    name_len, extra_len = np.frombuffer(
        raw[info.header_offset + 26 : info.header_offset + 30], "<u2"
    )
    start = info.header_offset + 30 + name_len + extra_len
    raw[start : start + 4] = b"\xff\xff\xff\xff"  # deflate's own error
    with pytest.raises(ValueError, match="header is corrupted"):
        load(io.BytesIO(bytes(raw)))


def test_a_header_bomb_is_refused_before_it_is_parsed():
    bomb = b"[" + b"[]," * 2_000_000 + b"[]]"  # 6 MB of JSON, deflated ~6 kB
    with pytest.raises(ValueError, match="compression bomb"):
        load(io.BytesIO(_zip({"header.json": bomb})))


def test_a_member_stored_twice_is_refused():
    raw = _saved(NGramLanguageModel(order=2).fit(["a b", "b a"]))
    members = _members(raw)
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        with zipfile.ZipFile(out, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
            z.writestr("header.json", members["header.json"])
    with pytest.raises(ValueError, match="'header.json' twice"):
        load(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("device", ["foo", None, "mps", "meta", 0])
def test_a_net_device_edited_to_no_device_is_refused(device):
    def edit(header, members):
        for pair in header["estimator"]["v"]["net_"]["params"]["v"]:
            if pair[0] == "device":
                pair[1] = device

    raw = _edit(_saved(_fitted_regressor()[0]), edit)
    with pytest.raises(ValueError, match="not a CPU or CUDA device"):
        load(io.BytesIO(raw))


def test_load_names_a_device_argument_that_is_no_device():
    est, X = _fitted_regressor()
    with pytest.raises(ValueError, match="device must be 'cpu'"):
        load(io.BytesIO(_saved(est)), device="meta")
    loaded = load(io.BytesIO(_saved(est)), device="cpu")
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
