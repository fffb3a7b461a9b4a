# SPDX-License-Identifier: BSD-3-Clause
"""Property-based tests: every public estimator against hostile input.

Random shapes, dtypes, NaN/inf placement, empty arrays, single samples and
time steps, ragged lists, huge values, object arrays and wrong parameter
types. Every call must either succeed with sound output or raise a
ValueError/TypeError whose message names the problem, raised by
sklearn_rnn or scikit-learn's validation rather than from inside torch or
skorch; no input is ever modified.

The number of generated cases is printed at the end of the module.
"""

import copy
import os
import traceback
from collections import Counter

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from sklearn_rnn import (  # noqa: E402
    NGramLanguageModel,
    PanelForecaster,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    SlidingWindowTransformer,
)

N = int(os.environ.get("SKLEARN_RNN_HYPOTHESIS_EXAMPLES", 40))
SETTINGS = settings(
    max_examples=N,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure reproduces
    suppress_health_check=list(HealthCheck),
    database=None,
)
TINY = dict(hidden_size=2, max_epochs=1, batch_size=8, random_state=0)
OUTCOMES = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    total = sum(OUTCOMES.values())
    line = f"\nhostile input: {total} calls on generated cases: " + ", ".join(
        f"{k}={v}" for k, v in sorted(OUTCOMES.items())
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(line)


# ----------------------------------------------------------------------
# Checking one call
# ----------------------------------------------------------------------
def _same(a, b):
    """Deep equality that treats NaN as equal to NaN and checks dtypes."""
    if isinstance(a, pd.DataFrame | pd.Series):
        return a.equals(b) and list(a.dtypes if a.ndim == 2 else [a.dtype]) == list(
            b.dtypes if b.ndim == 2 else [b.dtype]
        )
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype == object:
            return all(_same(x, y) for x, y in zip(a.ravel(), b.ravel()))
        return np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        return np.isnan(b)
    return type(a) is type(b) and a == b


_FORBIDDEN = (os.sep + "torch" + os.sep, os.sep + "skorch" + os.sep)


def _run(label, call, *inputs):
    """Call ``call()``; return its result or None if it raised properly."""
    copies = copy.deepcopy(inputs)
    try:
        result = call()
    except (ValueError, TypeError) as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        deep = [f.filename for f in frames if any(s in f.filename for s in _FORBIDDEN)]
        assert not deep, f"{label}: {type(exc).__name__} from inside {deep[-1]}: {exc}"
        message = str(exc)
        assert len(message) >= 15, f"{label}: uninformative error {exc!r}"
        OUTCOMES[f"{label}:error"] += 1
        result = None
    else:
        OUTCOMES[f"{label}:ok"] += 1
    for original, kept in zip(inputs, copies):
        assert _same(original, kept), f"{label} modified its input"
    return result


# ----------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------
SPECIAL = [0.0, -1.5, 2.0, np.nan, np.inf, -np.inf, 1e300, -1e300, 3e38, 1e-310]
values = st.one_of(
    st.floats(-3, 3, allow_nan=False, width=64), st.sampled_from(SPECIAL)
)
clean = st.floats(-3, 3, allow_nan=False, width=64)


@st.composite
def arrays(draw, max_dims=4, elements=values, min_side=0):
    ndim = draw(st.integers(1, max_dims))
    shape = tuple(draw(st.integers(min_side, 4)) for _ in range(ndim))
    a = draw(hnp.arrays(np.float64, shape, elements=elements))
    kind = draw(
        st.sampled_from(
            [
                "float64",
                "float32",
                "int64",
                "int8",
                "bool",
                "complex",
                "object",
                "str",
                "list",
            ]
        )
    )
    with np.errstate(all="ignore"):
        if kind == "float32":
            return a.astype(np.float32)
        if kind in ("int64", "int8"):
            return np.nan_to_num(a, posinf=100, neginf=-100).astype(kind)
        if kind == "bool":
            return a > 0
        if kind == "complex":
            return a + 1j
        if kind == "object":
            out = a.astype(object)
            if out.size and draw(st.booleans()):
                out.flat[draw(st.integers(0, out.size - 1))] = draw(
                    st.sampled_from(["a", None, [1, 2], {"k": 1}])
                )
            return out
        if kind == "str":
            return a.astype(str)
        if kind == "list":
            return a.tolist()
    return a


@st.composite
def ragged(draw, elements=values):
    n = draw(st.integers(1, 5))
    features = draw(st.sampled_from([None, 1, 2, "mixed"]))
    seqs = []
    for i in range(n):
        length = draw(st.integers(0, 4))
        f = features if features != "mixed" else draw(st.sampled_from([1, 2]))
        shape = (length,) if f is None else (length, f)
        seqs.append(draw(hnp.arrays(np.float64, shape, elements=elements)))
    if draw(st.booleans()):
        seqs = np.array(seqs + [None], dtype=object)[:-1]
    return seqs


# Half of the cases are well-formed, so that success paths are exercised too.
tame_X = st.one_of(
    hnp.arrays(
        st.sampled_from([np.float64, np.float32]),
        st.tuples(st.integers(1, 5), st.sampled_from([1, 3, 3, 4])),
        elements=st.floats(-3, 3, width=32),
    ),
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2)),
        elements=st.one_of(clean, st.sampled_from([1e30, -1e30, 1e-310])),
    ),
    ragged(elements=clean),
)
sequences_X = st.one_of(
    tame_X,
    arrays(),
    ragged(),
    st.sampled_from([None, "abc", 3.0, {"a": 1}, [], [[]], [[1.0], "x"]]),
)


@st.composite
def targets(draw, n, classification):
    n = max(0, n + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))
    form = draw(
        st.sampled_from(
            ["clean", "clean", "clean", "special", "2d", "str", "object", "none"]
        )
    )
    if form == "none":
        return None
    if form == "2d":
        return draw(
            hnp.arrays(np.float64, (n, draw(st.integers(0, 3))), elements=clean)
        )
    if form == "str":
        return np.array(
            draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
        )
    if form == "object":
        return np.array(
            draw(
                st.lists(st.sampled_from(["a", 1, None, 2.5]), min_size=n, max_size=n)
            ),
            dtype=object,
        )
    elements = clean if form == "clean" else values
    y = draw(hnp.arrays(np.float64, (n,), elements=elements))
    return (y > 0).astype(int) if classification and form == "clean" else y


def _n(X):
    try:
        return len(X)
    except TypeError:
        return 1


# ----------------------------------------------------------------------
# Sound output
# ----------------------------------------------------------------------
def _check_prediction(est, X, pred):
    n = _n(X)
    if isinstance(pred, list):
        assert len(pred) == n
        flat = np.concatenate([np.ravel(p) for p in pred]) if pred else np.array([])
    else:
        assert len(pred) == n
        flat = np.ravel(pred)
    if isinstance(est, RNNClassifier):
        assert set(flat.tolist()) <= set(est.classes_.tolist())
    else:
        assert np.all(np.isfinite(flat.astype(float))), "non-finite prediction"


# ----------------------------------------------------------------------
# Recurrent estimators
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
@SETTINGS
@given(data=st.data())
def test_fit_predict_on_hostile_sequences(Estimator, data):
    X = data.draw(sequences_X, label="X")
    y = data.draw(targets(_n(X), Estimator is RNNClassifier), label="y")
    est = Estimator(**TINY)
    name = Estimator.__name__
    fitted = _run(f"{name}.fit", lambda: est.fit(X, y), X, y)
    if fitted is not None:
        pred = _run(f"{name}.predict", lambda: est.predict(X), X)
        if pred is not None:
            _check_prediction(est, X, pred)


_FITTED = {}
# Training layouts of the fitted models: univariate 2-D with 3 steps,
# 3-D with 2 features, ragged univariate.
LAYOUTS = {
    "2d": lambda rng: rng.normal(size=(20, 3)),
    "3d": lambda rng: rng.normal(size=(20, 3, 2)),
    "ragged": lambda rng: [rng.normal(size=1 + i % 4) for i in range(20)],
}


def _fitted(Estimator, layout):
    key = (Estimator, layout)
    if key not in _FITTED:
        rng = np.random.RandomState(0)
        X = LAYOUTS[layout](rng)
        y = np.array([np.sum(s) for s in X])
        if Estimator is RNNClassifier:
            y = np.where(y > 0, "pos", "neg")
        _FITTED[key] = Estimator(**TINY).fit(X, y)
    return _FITTED[key]


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
@SETTINGS
@given(X=sequences_X, layout=st.sampled_from(sorted(LAYOUTS)))
def test_predict_and_score_on_hostile_sequences(Estimator, X, layout):
    est = _fitted(Estimator, layout)
    name = Estimator.__name__
    pred = _run(f"{name}.predict", lambda: est.predict(X), X)
    if pred is not None:
        _check_prediction(est, X, pred)
        y = pred[::-1] if len(pred) else pred
        score = _run(f"{name}.score", lambda: est.score(X, y), X, y)
        # R² of a single sample is undefined (NaN, as in scikit-learn).
        assert score is None or np.isfinite(score) or len(pred) < 2


tokens_X = st.one_of(
    hnp.arrays(
        st.sampled_from([np.int64, np.float64, np.int8]),
        st.tuples(st.integers(0, 4), st.integers(0, 4)),
        elements=st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(-2, 12)),
    ),
    st.lists(
        st.lists(st.integers(-1, 15), min_size=0, max_size=4).map(np.array),
        min_size=1,
        max_size=4,
    ),
    hnp.arrays(np.float64, (3, 2), elements=st.sampled_from([0.5, np.nan, 1e30, 2])),
)


@SETTINGS
@given(X=tokens_X)
def test_token_models_on_hostile_ids(X):
    rng = np.random.RandomState(0)
    train = rng.randint(0, 10, size=(20, 4))
    est = _fitted_tokens(train)
    pred = _run("RNNRegressor[tokens].predict", lambda: est.predict(X), X)
    if pred is not None:
        _check_prediction(est, X, pred)
    fresh = RNNClassifier(embedding_dim=2, **TINY)
    y = np.arange(_n(X)) % 2
    if _run("RNNClassifier[tokens].fit", lambda: fresh.fit(X, y), X, y) is not None:
        _check_prediction(fresh, X, fresh.predict(X))


def _fitted_tokens(train):
    if "tokens" not in _FITTED:
        _FITTED["tokens"] = RNNRegressor(embedding_dim=2, **TINY).fit(
            train, train[:, -1].astype(float)
        )
    return _FITTED["tokens"]


# ----------------------------------------------------------------------
# Wrong parameter values, for every parameter of every estimator
# ----------------------------------------------------------------------
WRONG = [
    "nonsense",
    -1,
    0,
    1.5,
    -0.5,
    2.0,
    None,
    [1],
    {"a": 1},
    object(),
    np.nan,
    np.inf,
    True,
    "1",
]
ESTIMATORS = [
    RNNRegressor,
    RNNClassifier,
    RNNForecaster,
    PanelForecaster,
    SlidingWindowTransformer,
    NGramLanguageModel,
]
PARAMS = [
    (E, p) for E in ESTIMATORS for p in E().get_params(deep=False) if p != "verbose"
]


def _good_data(Estimator):
    rng = np.random.RandomState(0)
    if Estimator is NGramLanguageModel:
        return ["a b c", "b c d", "a c"], None
    if Estimator is SlidingWindowTransformer:
        return rng.normal(size=(30, 2)), None
    if Estimator in (RNNForecaster, PanelForecaster):
        return None, 50 + np.cumsum(rng.normal(size=40))
    X = rng.normal(size=(20, 4))
    return X, (X.sum(axis=1) > 0).astype(int)


@pytest.mark.parametrize(
    "Estimator, param", PARAMS, ids=[f"{E.__name__}.{p}" for E, p in PARAMS]
)
@settings(SETTINGS, max_examples=len(WRONG) // 2)
@given(value=st.sampled_from(WRONG))
def test_wrong_parameter_values(Estimator, param, value):
    X, y = _good_data(Estimator)
    est = Estimator(**{param: value})
    if Estimator in (RNNForecaster, PanelForecaster):
        if param == "regressor" and value is None:
            return  # None means the default network: slow, and valid
        small = dict(regressor=RNNRegressor(**TINY), window=3, horizon=2)
        est.set_params(**{k: v for k, v in small.items() if k != param})
    elif Estimator in (RNNRegressor, RNNClassifier):
        est.set_params(**{k: v for k, v in TINY.items() if k != param})
    fitted = _run(f"{Estimator.__name__}(param)", lambda: est.fit(X, y), X, y)
    if fitted is not None:
        # Accepted: then the value must really be valid and usable.
        if Estimator is NGramLanguageModel:
            assert np.isfinite(est.predict_proba(["a b"])).all()
        elif Estimator is SlidingWindowTransformer:
            assert est.transform(X).shape[0] >= 1
        elif Estimator in (RNNForecaster, PanelForecaster):
            assert np.isfinite(est.forecast(2)["forecast"]).all()
        else:
            _check_prediction(est, X, est.predict(X))


# ----------------------------------------------------------------------
# Forecaster, windowing, n-gram model
# ----------------------------------------------------------------------
# A series for the forecasters: tame ones (positive, 6-14 values) among hostile.
hostile_series = st.one_of(
    hnp.arrays(np.float64, st.integers(6, 14), elements=st.floats(1, 50, width=32)),
    arrays(max_dims=2),
    st.sampled_from([None, "abc", 5.0]),
)


@SETTINGS
@given(data=st.data())
def test_forecaster_on_hostile_series(data):
    y = data.draw(hostile_series, label="y")
    n = _n(y)
    X = data.draw(
        st.one_of(
            st.none(),
            st.just(pd.DataFrame(index=range(max(n, 0)))),
            hnp.arrays(
                np.float64,
                (max(n, 0) + data.draw(st.sampled_from([0, 1])), 1),
                elements=values,
            ),
        ),
        label="X",
    )
    f = RNNForecaster(RNNRegressor(**TINY), window=2, horizon=2)
    if _run("RNNForecaster.fit", lambda: f.fit(X, y), X, y) is not None:
        n_out = data.draw(st.integers(0, 3))
        Xp = pd.DataFrame(np.zeros((n_out, f.n_features_in_)))
        out = _run("RNNForecaster.predict", lambda: f.predict(Xp), Xp)
        assert out is None or (len(out) == n_out and np.isfinite(out).all())


@SETTINGS
@given(data=st.data())
def test_panel_forecaster_on_hostile_series(data):
    # Arrays are one series: rows are periods, X's columns known-future
    # covariates; predict reads the next periods' covariates.
    y = data.draw(hostile_series, label="y")
    n = _n(y)
    X = data.draw(
        st.one_of(
            st.none(),
            hnp.arrays(
                np.float64,
                (max(n, 0) + data.draw(st.sampled_from([0, 0, 1])), 1),
                elements=values,
            ),
            arrays(max_dims=3),
        ),
        label="X",
    )
    f = PanelForecaster(RNNRegressor(**TINY), window=2, horizon=2, random_state=0)
    if _run("PanelForecaster.fit", lambda: f.fit(X, y), X, y) is None:
        return
    if hasattr(f, "n_features_in_"):
        n_out = data.draw(st.integers(0, 4))
        Xp = data.draw(
            st.one_of(
                st.just(np.zeros((n_out, f.n_features_in_))),
                arrays(max_dims=3),
            ),
            label="X_future",
        )
        out = _run("PanelForecaster.predict", lambda: f.predict(Xp), Xp)
        assert out is None or (len(out) == _n(Xp) and np.isfinite(out).all())
    else:
        frame = f.forecast(3)
        assert len(frame) == 3 and np.isfinite(frame["forecast"]).all()


@SETTINGS
@given(
    X=st.one_of(
        hnp.arrays(
            st.sampled_from([np.float64, np.float32, np.int64]),
            st.tuples(st.integers(1, 8), st.integers(1, 3)),
            elements=st.integers(-50, 50),
        ),
        arrays(max_dims=3),
    ),
    window=st.integers(1, 5),
    stride=st.integers(1, 3),
)
def test_sliding_windows_on_hostile_arrays(X, window, stride):
    swt = SlidingWindowTransformer(window, stride=stride)
    Xt = _run("SlidingWindowTransformer.fit_transform", lambda: swt.fit_transform(X), X)
    if Xt is not None:
        A = np.asarray(X)
        n_windows = (A.shape[0] - window) // stride + 1
        assert Xt.shape == (n_windows, window * A.shape[1])
        # Silent garbage check: each row really is the flattened window.
        np.testing.assert_array_equal(
            Xt[-1], A[(n_windows - 1) * stride :][:window].ravel()
        )


words = st.sampled_from(["a", "b", "c", "the", "<unk>", "", "  ", "é", "\n", "</s>"])
corpora = st.one_of(
    st.lists(st.lists(words, max_size=4).map(" ".join), min_size=0, max_size=4),
    st.lists(st.lists(words, max_size=4), min_size=0, max_size=4),
    arrays(max_dims=3),
    st.lists(
        st.sampled_from([None, 1, 2.5, "a b", ["a"], [1, 2], {"x": 1}]), max_size=4
    ),
    st.sampled_from([None, "a single string", 7, b"bytes"]),
)


@pytest.mark.parametrize("smoothing", ["kneser_ney", "mle", "stupid_backoff"])
@SETTINGS
@given(X=corpora, Xp=corpora, order=st.integers(1, 4))
def test_ngram_on_hostile_corpora(smoothing, X, Xp, order):
    lm = NGramLanguageModel(order, smoothing=smoothing)
    if _run("NGramLanguageModel.fit", lambda: lm.fit(X), X) is None:
        return
    proba = _run("NGramLanguageModel.predict_proba", lambda: lm.predict_proba(Xp), Xp)
    if proba is not None:
        assert proba.shape == (_n(Xp), len(lm.classes_))
        assert np.isfinite(proba).all()
        if smoothing != "stupid_backoff":
            np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if smoothing != "stupid_backoff":
        scores = _run(
            "NGramLanguageModel.score_samples", lambda: lm.score_samples(Xp), Xp
        )
        if scores is not None:
            assert len(scores) == _n(Xp) and not np.isnan(scores).any()


# ----------------------------------------------------------------------
# The bugs these properties found, pinned down
# ----------------------------------------------------------------------
def test_values_beyond_float32_are_refused_not_turned_into_inf():
    X = np.random.RandomState(0).normal(size=(10, 3))
    X[2, 1] = 1e300  # finite in float64, inf in float32
    y = np.arange(10.0)
    for data in (X, X[:, :, None], list(X)):
        with pytest.raises(ValueError, match="beyond the float32 range"):
            RNNRegressor(**TINY).fit(data, y)
    reg = RNNRegressor(**TINY).fit(X[:2].clip(-1, 1).repeat(5, axis=0), y)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        reg.predict(X)


def test_targets_too_large_to_standardise_are_refused():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="too large to standardise"):
        RNNRegressor(**TINY).fit(X, np.array([1e308, -1e308] * 5))


def test_non_finite_network_output_raises_instead_of_returning_nan():
    X = np.random.RandomState(0).normal(size=(20, 3))
    reg = RNNRegressor(cell="rnn", nonlinearity="relu", **TINY).fit(X, X.sum(axis=1))
    # Weights that overflow float32 on a large (but float32-finite) input.
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        reg.module_.encoder.rnn.weight_ih_l0.fill_(1e30)
    X_new = np.zeros((3, 3))
    X_new[1] = 1e10
    with pytest.raises(
        ValueError, match=r"not finite for 1 sequence\(s\) \(X\[i\] for i in \[1\]"
    ):
        reg.predict(X_new)
    assert np.isfinite(reg.predict(X_new[[0, 2]])).all()


def test_non_finite_seq2seq_output_raises_instead_of_returning_nan():
    from sklearn_rnn import Seq2SeqTransformer

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 4, 1)), rng.normal(size=(20, 3, 1))
    model = Seq2SeqTransformer(
        "rnn", 4, nonlinearity="relu", max_epochs=1, random_state=0
    ).fit(X, y)
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        model.module_.encoder.rnn.weight_ih_l0.fill_(1e30)
    X_new = np.zeros((3, 4, 1))
    X_new[2] = 1e10
    with pytest.raises(
        ValueError, match=r"not finite for 1 sequence\(s\) \(X\[i\] for i in \[2\]"
    ):
        model.predict(X_new)
    assert np.isfinite(model.predict(X_new[:2])).all()


def test_device_that_is_not_a_torch_device():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="'gpu0' is not a torch device"):
        RNNRegressor(device="gpu0", **TINY).fit(X, X[:, 0])


def test_bool_and_numpy_integer_parameters_reach_torch_as_ints():
    X = np.random.RandomState(0).normal(size=(10, 3))
    reg = RNNRegressor(**{**TINY, "num_layers": True, "hidden_size": np.int64(3)}).fit(
        X, X[:, 0]
    )
    assert reg.module_.encoder.rnn.num_layers == 1
    assert reg.module_.encoder.rnn.hidden_size == 3
    Xt = SlidingWindowTransformer(window=True).fit_transform(X)
    np.testing.assert_array_equal(Xt, X)
