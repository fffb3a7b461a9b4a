# SPDX-License-Identifier: BSD-3-Clause
"""Safe save/load, pickle and joblib round trips, and what skops can do."""

import dataclasses
import io
import json
import os
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from _cases import CASES
from sklearn.base import clone

from sklearn_rnn import (
    NeuralLanguageModel,
    NGramLanguageModel,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    SlidingWindowTransformer,
)
from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import load, register_safe_type, save

_FITTED = {}


def _fitted(case):
    # Each example is fitted once per session: the tests below only read it.
    if case.name not in _FITTED:
        _FITTED[case.name] = case.fitted()
    return _FITTED[case.name]


def _saved(est):
    buffer = io.BytesIO()
    save(est, buffer)
    return buffer.getvalue()


def _rewrite(raw, edit_header=None, edit_member=None):
    """Return the file ``raw`` with its header or one member changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "header.json" and edit_header is not None:
                header = json.loads(data)
                edit_header(header)
                data = json.dumps(header).encode()
            elif name != "header.json" and edit_member is not None:
                data = edit_member(name, data)
            dst.writestr(name, data)
    return out.getvalue()


# ----------------------------------------------------------------------
# Round trips: identical predictions
# ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_safe_format_round_trip(case, tmp_path):
    est = _fitted(case)
    path = tmp_path / "model.skrnn"
    est.save(path)
    loaded = type(est).load(path)
    assert type(loaded) is type(est)
    assert loaded.get_params().keys() == est.get_params().keys()
    np.testing.assert_array_equal(case.output(loaded), case.output(est))
    # Everything came back: saving the loaded model writes the same bytes.
    assert _saved(loaded) == _saved(est)


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("dumper", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trip(case, dumper, tmp_path):
    est = _fitted(case)
    if dumper == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(case.output(loaded), case.output(est))


def test_unfitted_estimators_round_trip():
    for est in (
        RNNRegressor(hidden_size=3, device="auto"),
        RNNClassifier(class_weight={"a": 2.0, 1: 0.5}),
        RNNForecaster(RNNRegressor(cell="gru"), seasonal_period=12),
        SlidingWindowTransformer(4),
        NGramLanguageModel(5, smoothing="add_k", k=0.5),
    ):
        loaded = load(io.BytesIO(_saved(est)))
        assert repr(loaded) == repr(est)
        assert loaded.get_params(deep=False).keys() == est.get_params(deep=False).keys()


def test_random_state_instance_round_trips():
    # A RandomState parameter is stored as its state: the loaded generator
    # is a new object that draws what the saved one would have drawn.
    rs = np.random.RandomState(0)
    rs.random_sample(7)
    rs.standard_normal()  # leaves a cached Gaussian (has_gauss=1)
    lm = NeuralLanguageModel("mlp", order=2, random_state=rs)  # unfitted
    raw = _saved(lm)
    loaded = load(io.BytesIO(raw))
    assert isinstance(loaded.random_state, np.random.RandomState)
    assert loaded.random_state is not rs
    assert _saved(loaded) == raw
    np.testing.assert_array_equal(
        loaded.random_state.standard_normal(5), rs.standard_normal(5)
    )
    np.testing.assert_array_equal(
        loaded.random_state.randint(0, 10**6, 5), rs.randint(0, 10**6, 5)
    )
    # a network fitted from the loaded generator is the one fitted from a
    # copy of the saved generator
    params = dict(backbone="mlp", order=2, hidden_size=4, embedding_dim=3)
    mlp = NeuralLanguageModel(**params, max_epochs=1, random_state=rs)
    twin = load(io.BytesIO(_saved(mlp)))
    corpus = ["a b c", "b c a"] * 3
    np.testing.assert_array_equal(
        twin.fit(corpus).predict_proba(["a"]), mlp.fit(corpus).predict_proba(["a"])
    )


@pytest.mark.parametrize(
    "field, value",
    [("pos", 10**6), ("pos", -1), ("has_gauss", 7), ("gauss", "x"), ("pos", 1.5)],
)
def test_tampered_random_state_is_refused(field, value):
    raw = _saved(NeuralLanguageModel(random_state=np.random.RandomState(0)))

    def edit(header):
        header["estimator"]["v"]["random_state"][field] = value

    with pytest.raises(ValueError, match="RandomState state is invalid"):
        load(io.BytesIO(_rewrite(raw, edit_header=edit)))


def test_loaded_model_keeps_training_with_warm_start():
    X = np.random.RandomState(0).normal(size=(40, 6))
    y = X.sum(axis=1)
    reg = RNNRegressor(hidden_size=6, max_epochs=4, warm_start=True, random_state=0)
    reg.fit(X, y)
    loaded = load(io.BytesIO(_saved(reg)))
    # The optimizer state came along: continuing after a round trip is the
    # same as continuing without one.
    reg.fit(X, y)
    loaded.fit(X, y)
    assert loaded.n_iter_ == reg.n_iter_ == 8
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_loading_leaves_torch_global_rng_alone():
    raw = _saved(_fitted(CASES[0]))
    torch.manual_seed(7)
    state = torch.get_rng_state()
    load(io.BytesIO(raw))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2021-03-20", periods=40, freq="D", tz="Europe/Paris"),
        pd.period_range("2015Q1", periods=40, freq="Q", name="quarter"),
        pd.period_range("2015-01", periods=40, freq="2M"),
        # Text, as pandas 3 reads a date column without parse_dates.
        pd.Index([f"2015-{i:03d}" for i in range(40)], dtype="str", name="day"),
    ],
    ids=["datetime-with-timezone", "period", "period-multiple", "text"],
)
@pytest.mark.filterwarnings("ignore:The index of the training rows")
def test_time_index_round_trips(index):
    y = pd.Series(np.linspace(1, 50, 40), index=index)
    f = RNNForecaster(
        RNNRegressor(hidden_size=3, max_epochs=1, random_state=0), window=4, horizon=2
    ).fit(y.to_frame().iloc[:, :0], y)
    loaded = load(io.BytesIO(_saved(f)))
    pd.testing.assert_index_equal(loaded.index_, f.index_, exact=True)
    assert getattr(loaded.index_, "freq", None) == getattr(f.index_, "freq", None)
    pd.testing.assert_frame_equal(loaded.forecast(3), f.forecast(3))


def test_frequency_without_a_string_form_is_said_at_save():
    # CustomBusinessDay's string "C" drops the holidays: saving it used to
    # give a file that could not be loaded.
    index = pd.date_range(
        "2024-01-01",
        periods=40,
        freq=pd.offsets.CustomBusinessDay(holidays=["2024-01-15"]),
    )
    y = pd.Series(np.linspace(1, 50, 40), index=index)
    f = RNNForecaster(
        RNNRegressor(hidden_size=3, max_epochs=1, random_state=0), window=4, horizon=2
    ).fit(y.to_frame().iloc[:, :0], y)
    with pytest.warns(UserWarning, match="no string form that rebuilds it"):
        raw = _saved(f)
    loaded = load(io.BytesIO(raw))
    pd.testing.assert_index_equal(loaded.index_, f.index_, check_exact=True)
    assert loaded.index_.freq is None
    np.testing.assert_array_equal(
        loaded.forecast(3)["forecast"], f.forecast(3)["forecast"]
    )


def test_load_method_checks_the_class():
    raw = _saved(SlidingWindowTransformer(2))
    with pytest.raises(ValueError, match="holds a SlidingWindowTransformer, not a"):
        RNNRegressor.load(io.BytesIO(raw))


# ----------------------------------------------------------------------
# Devices
# ----------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the CPU-only path")
def test_model_saved_on_cuda_loads_on_cpu():
    est = _fitted(CASES[0])

    # Simulate a file written on a GPU machine: the stored weights are CPU
    # arrays in any case, only the recorded device differs.
    def on_cuda(header):
        net = header["estimator"]["v"]["net_"]
        pairs = net["params"]["v"]
        net["params"]["v"] = [[k, "cuda" if k == "device" else v] for k, v in pairs]

    raw = _rewrite(_saved(est), edit_header=on_cuda)
    with pytest.warns(UserWarning, match="CUDA is not available; its weights"):
        loaded = load(io.BytesIO(raw))
    assert loaded.net_.device == "cpu"
    np.testing.assert_array_equal(CASES[0].output(loaded), CASES[0].output(est))
    # An explicit device needs no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(io.BytesIO(raw), device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the CPU-only path")
def test_pickled_cuda_model_unpickles_on_cpu():
    # skorch's own mechanism: unpickling a net whose device is CUDA on a
    # machine without it maps the tensors to the CPU and warns. The tensors
    # here never were on a GPU (there is none), so this checks the device
    # mapping, not the moving of real CUDA storages.
    est = clone(_fitted(CASES[0]))
    est = CASES[0].fit(est)
    expected = CASES[0].output(est)
    est.net_.device = "cuda"
    raw = pickle.dumps(est)
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = pickle.loads(raw)
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(CASES[0].output(loaded), expected)


# ----------------------------------------------------------------------
# Damaged, tampered and incompatible files
# ----------------------------------------------------------------------
def test_truncated_file_raises_value_error():
    raw = _saved(_fitted(CASES[1]))
    for cut in (0, 10, len(raw) // 2, len(raw) - 30):
        with pytest.raises(ValueError, match="truncated|corrupted|Cannot read"):
            load(io.BytesIO(raw[:cut]))


def test_corrupted_array_raises_value_error():
    raw = _saved(_fitted(CASES[0]))

    def flip(name, data):
        return data[:-1] + bytes([data[-1] ^ 1])

    with pytest.raises(ValueError, match="does not match its digest"):
        load(io.BytesIO(_rewrite(raw, edit_member=flip)))


def test_bytes_flipped_inside_the_zip_are_detected():
    raw = bytearray(_saved(_fitted(CASES[0])))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.getinfo("arrays/0.npy")
    # Flip one byte inside the first array member as stored in the zip.
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    raw[start] ^= 0xFF
    with pytest.raises(ValueError):
        load(io.BytesIO(bytes(raw)))


def test_not_a_model_file():
    with pytest.raises(ValueError, match="truncated or not a sklearn_rnn"):
        load(io.BytesIO(b"definitely not a zip file"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("something.txt", "hello")
    with pytest.raises(ValueError, match="has no header.json"):
        load(io.BytesIO(out.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("header.json", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda h: h.update(format_version=99), "format version 99"),
        (lambda h: h.update(sklearn_rnn_version="99.0.0"), "newer than the installed"),
        (lambda h: h.update(format="pickle"), "not a file written by"),
        (lambda h: h["estimator"].update(cls="os.system"), "not an estimator of"),
        (lambda h: h["estimator"].update(v=[1, 2]), "not a mapping"),
        (lambda h: h.pop("estimator"), "malformed"),
        (lambda h: h["digests"].clear(), "unknown array"),
    ],
)
def test_tampered_header_raises_value_error(edit, match):
    raw = _saved(_fitted(CASES[0]))
    with pytest.raises(ValueError, match=match):
        load(io.BytesIO(_rewrite(raw, edit_header=edit)))


def _case(name):
    return next(case for case in CASES if case.name == name)


@pytest.mark.parametrize(
    "case_name, attribute, value",
    [
        ("NGramLanguageModel", "order_", 2),
        ("NGramLanguageModel", "order_", 5),
        ("NGramLanguageModel", "order_", "3"),
        ("NGramLanguageModel", "smoothing_", "stupid_backoff"),
        ("NGramLanguageModel", "smoothing_", "mle"),
        ("NGramLanguageModel", "smoothing_", "add_k"),
        ("NGramLanguageModel", "_bos", 1),
        ("NGramLanguageModel", "_eos", 3),
        ("NGramLanguageModel", "_unk", 99),
        ("NGramLanguageModel", "_backbone", "lstm"),
        ("NeuralLanguageModel-mlp", "order_", 5),
        ("NeuralLanguageModel-mlp", "_eos", 2),
        ("NeuralLanguageModel-lstm", "_backbone", "ngram"),
    ],
)
def test_inconsistent_fitted_state_is_refused(case_name, attribute, value):
    # A header whose fitted attributes were edited no longer loads (it used
    # to load and predict nonsense, or fail later with an IndexError).
    raw = _saved(_fitted(_case(case_name)))

    def edit(header):
        header["estimator"]["v"][attribute] = value

    name = case_name.split("-")[0]  # NGramLanguageModel or NeuralLanguageModel
    with pytest.raises(ValueError, match=f"fitted state of this {name}"):
        load(io.BytesIO(_rewrite(raw, edit_header=edit)))


def test_edited_parameter_does_not_change_the_fitted_model():
    # Parameters only apply to the next fit: a file whose order or smoothing
    # parameter differs from the fitted ones loads and predicts as saved.
    case = _case("NGramLanguageModel")
    est = _fitted(case)
    raw = _saved(est)
    for name, value in (("order", 2), ("order", 5), ("smoothing", "mle")):

        def edit(header, name=name, value=value):
            header["estimator"]["v"][name] = value

        loaded = load(io.BytesIO(_rewrite(raw, edit_header=edit)))
        assert getattr(loaded, name) == value
        np.testing.assert_array_equal(case.output(loaded), case.output(est))


def _replace_refs(node, old, new):
    if isinstance(node, dict):
        if node.get("~") == "ref" and node.get("v") == old:
            node["v"] = new
        for v in node.values():
            _replace_refs(v, old, new)
    elif isinstance(node, list):
        for v in node:
            _replace_refs(v, old, new)


def test_no_class_outside_the_whitelist_is_rebuilt():
    raw = _saved(_fitted(CASES[0]))
    name = "torch.optim.adam.Adam"
    assert name.encode() in zipfile.ZipFile(io.BytesIO(raw)).read("header.json")
    for evil in ("builtins.exec", "os.system", "subprocess.Popen"):
        tampered = _rewrite(
            raw, edit_header=lambda h, e=evil: _replace_refs(h, name, e)
        )
        with pytest.raises(ValueError, match="not in the whitelist"):
            load(io.BytesIO(tampered))


def test_invalid_parameters_in_a_file_are_refused():
    raw = _saved(RNNRegressor())

    def edit(header):
        header["estimator"]["v"]["hidden_size"] = -3

    with pytest.raises(ValueError, match="hidden_size"):
        load(io.BytesIO(_rewrite(raw, edit_header=edit)))


def test_weights_that_do_not_fit_the_network_are_refused():
    raw = _saved(_fitted(CASES[0]))

    def edit(header):
        pairs = header["estimator"]["v"]["net_"]["params"]["v"]
        header["estimator"]["v"]["net_"]["params"]["v"] = [
            [k, 2 if k == "module__hidden_size" else v] for k, v in pairs
        ]

    with pytest.raises(ValueError, match="do not fit the network"):
        load(io.BytesIO(_rewrite(raw, edit_header=edit)))


def test_values_that_cannot_be_stored_safely():
    lm = NGramLanguageModel(tokenizer=str.split).fit(["a b", "b c"])
    with pytest.raises(TypeError, match="tokenizer is of type"):
        save(lm, io.BytesIO())
    with pytest.raises(TypeError, match="expects a sklearn_rnn estimator"):
        save([1, 2], io.BytesIO())
    from sklearn.linear_model import Ridge

    with pytest.raises(TypeError, match="not an estimator of sklearn_rnn"):
        save(Ridge(), io.BytesIO())


def test_register_safe_type_lets_a_new_module_class_through(monkeypatch):
    class Custom:
        pass

    declared = {**SlidingWindowTransformer._persisted_state, "extra_": _spec.Value()}
    monkeypatch.setattr(SlidingWindowTransformer, "_persisted_state", declared)
    est = SlidingWindowTransformer(2)
    est.extra_ = Custom
    with pytest.raises(TypeError, match="cannot be saved safely"):
        save(est, io.BytesIO())
    with pytest.raises(ValueError, match="how must be"):
        register_safe_type(Custom, how="pickle")
    register_safe_type(Custom)
    assert load(io.BytesIO(_saved(est))).extra_ is Custom


# ----------------------------------------------------------------------
# skops
# ----------------------------------------------------------------------
def test_skops_needs_trusted_types_that_unpickle_the_net():
    sio = pytest.importorskip("skops.io")
    est = _fitted(CASES[0])
    raw = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=raw)
    # skops does not know skorch nets and torch modules: it refuses them by
    # default...
    assert "skorch.net.NeuralNet" in untrusted
    with pytest.raises(Exception, match="Untrusted types"):
        sio.loads(raw)
    # ...and loading them when trusted works,
    loaded = sio.loads(raw, trusted=untrusted)
    np.testing.assert_array_equal(CASES[0].output(loaded), CASES[0].output(est))
    # but trusting NeuralNet means running its __setstate__, which unpickles
    # a byte string from the file with plain pickle: a crafted file runs code.
    from skorch import NeuralNet

    class Payload:
        def __reduce__(self):
            code = "import os; os.environ['SKLEARN_RNN_SKOPS_RAN_CODE'] = '1'"
            return (exec, (code,))

    def evil_getstate(self):
        state = self.__dict__.copy()
        for key in [k for k in state if k.endswith("_") and k != "initialized_"]:
            state.pop(key)
        state["__cuda_dependent_attributes__"] = pickle.dumps(Payload())
        return state

    original = NeuralNet.__getstate__
    NeuralNet.__getstate__ = evil_getstate
    try:
        crafted = sio.dumps(est)
    finally:
        NeuralNet.__getstate__ = original
    os.environ.pop("SKLEARN_RNN_SKOPS_RAN_CODE", None)
    try:
        sio.loads(crafted, trusted=sio.get_untrusted_types(data=crafted))
    except Exception:
        pass  # the model is broken, but the code has run already
    assert os.environ.pop("SKLEARN_RNN_SKOPS_RAN_CODE", None) == "1"


@pytest.mark.parametrize("case", [c for c in CASES if not c.seeded], ids=repr)
def test_skops_round_trips_the_torch_free_estimators(case):
    sio = pytest.importorskip("skops.io")
    est = _fitted(case)
    raw = sio.dumps(est)
    assert sio.get_untrusted_types(data=raw) == [
        f"{type(est).__module__}.{type(est).__name__}"
    ]
    loaded = sio.loads(raw, trusted=sio.get_untrusted_types(data=raw))
    np.testing.assert_array_equal(case.output(loaded), case.output(est))


# ----------------------------------------------------------------------
# New estimators plug in without changes to the persistence code
# ----------------------------------------------------------------------
def test_a_new_estimator_with_its_own_module_and_vocabulary(monkeypatch):
    # Simulates an estimator a colleague adds to the package (a seq2seq
    # model, a neural LM): its own torch module class, a vocabulary dict and
    # a helper object, all defined in a sklearn_rnn module.
    import sys
    import types

    from sklearn_rnn._modules import RecurrentNetwork

    module = types.ModuleType("sklearn_rnn._fake_new")
    monkeypatch.setitem(sys.modules, "sklearn_rnn._fake_new", module)

    class ScaledNetwork(RecurrentNetwork):
        def forward(self, X, lengths=None):
            return 2.0 * super().forward(X, lengths)

    class Vocabulary:
        def __init__(self, tokens):
            self.index = {t: i for i, t in enumerate(tokens)}

    class NewEstimator(RNNRegressor):
        # What it adds to the fitted state of an RNNRegressor.
        _persisted_state = {
            **RNNRegressor._persisted_state,
            "vocabulary_": _spec.Value(),
            "helper_": _spec.Value(),
        }

        def _training_task(self, *args, **kwargs):
            task = super()._training_task(*args, **kwargs)
            return dataclasses.replace(task, module=ScaledNetwork)

        def fit(self, X, y):
            super().fit(X, y)
            self.vocabulary_ = {"<pad>": 0, "a": 1, 2: "two"}
            self.helper_ = Vocabulary(["x", "y"])
            return self

    for cls in (ScaledNetwork, Vocabulary, NewEstimator):
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)

    X = np.random.RandomState(0).normal(size=(30, 4))
    est = NewEstimator(hidden_size=3, max_epochs=2, random_state=0).fit(X, X[:, 0])
    assert isinstance(est.module_, ScaledNetwork)
    loaded = load(io.BytesIO(_saved(est)))
    assert type(loaded) is NewEstimator and isinstance(loaded.module_, ScaledNetwork)
    assert loaded.vocabulary_ == est.vocabulary_
    assert loaded.helper_.index == {"x": 0, "y": 1}
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))

    # The same classes outside the package are refused: nothing outside
    # sklearn_rnn (and the registered torch/skorch types) is ever rebuilt.
    def move_out(header):
        text = json.dumps(header).replace("sklearn_rnn._fake_new", "fake_new")
        header.update(json.loads(text))

    sys.modules["fake_new"] = module
    try:
        with pytest.raises(ValueError, match="not an estimator of"):
            load(io.BytesIO(_rewrite(_saved(est), edit_header=move_out)))
    finally:
        del sys.modules["fake_new"]
    # And a module of the package that is not imported is not imported.
    raw = _saved(est)
    monkeypatch.delitem(sys.modules, "sklearn_rnn._fake_new")
    with pytest.raises(ValueError, match="not an estimator of"):
        load(io.BytesIO(raw))
    assert "sklearn_rnn._fake_new" not in sys.modules


def test_every_public_estimator_has_a_reliability_case():
    # tests/_cases.py drives the persistence, reproducibility and threading
    # tests: a new public estimator must get a case there to be covered.
    from sklearn_rnn.utils.discovery import all_estimators

    covered = {type(case.make(0)).__name__ for case in CASES}
    missing = {name for name, _ in all_estimators()} - covered
    assert not missing, (
        f"Add a Case for {sorted(missing)} to tests/_cases.py (how to build, "
        "fit and read the output of a small example)."
    )


def test_saving_twice_writes_the_same_bytes(monkeypatch):
    # The zip members carry a fixed date, not the clock's: two saves of one
    # model at different times are identical files.
    import time

    X, y = np.random.RandomState(0).normal(size=(20, 5)), np.arange(20.0)
    est = RNNRegressor(hidden_size=3, max_epochs=1, random_state=0).fit(X, y)
    first = io.BytesIO()
    save(est, first)
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    second = io.BytesIO()
    save(est, second)
    assert first.getvalue() == second.getvalue()
