# SPDX-License-Identifier: BSD-3-Clause
"""Progress bar, threads and seeding, mixed precision, torch.compile, pinning."""

import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import RNNClassifier, RNNRegressor, Seq2SeqTransformer
from sklearn_rnn._data import BatchIterator, SequenceDataset
from sklearn_rnn.utils._torch import lstm_supports_bfloat16, seeded_torch

FAST = dict(hidden_size=8, max_epochs=3, random_state=0)
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)
# An AVX2-only x86-64 CPU has no bfloat16 LSTM kernel: fit falls back to
# float32 there (tested below with the probe's answer forced).
needs_bfloat16_lstm = pytest.mark.skipif(
    not lstm_supports_bfloat16("cpu"), reason="no bfloat16 LSTM kernel on this CPU"
)


def _xy(rng, n=40, T=6):
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


# ----------------------------------------------------------------------
# Progress
# ----------------------------------------------------------------------
def test_verbose_0_is_silent(rng, capfd):
    X, y = _xy(rng)
    RNNRegressor(**FAST).fit(X, y).predict(X)
    RNNClassifier(early_stopping=True, **FAST).fit(X, y > 0)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_1_shows_an_epoch_progress_bar(rng, capfd, early_stopping):
    X, y = _xy(rng)
    reg = RNNRegressor(verbose=1, early_stopping=early_stopping, **FAST).fit(X, y)
    out, err = capfd.readouterr()
    assert out == ""  # the bar goes to stderr, like tqdm
    assert "RNNRegressor" in err and "epoch" in err
    assert f"{FAST['max_epochs']}/{FAST['max_epochs']}" in err
    assert f"train_loss={reg.loss_curve_[-1]:.4g}" in err
    assert ("valid_loss=" in err) is early_stopping
    # The fitted estimator pickles (no live bar inside) and stays silent.
    restored = pickle.loads(pickle.dumps(reg))
    restored.predict(X)
    assert capfd.readouterr() == ("", "")


def test_progress_bar_closed_when_training_fails(rng, capfd):
    X, y = _xy(rng)
    reg = RNNRegressor(verbose=1, lr=1e6, optimizer="sgd", **FAST)
    with pytest.raises(ValueError, match="diverged"):
        reg.fit(X, y * 1e6)
    assert not hasattr(reg, "net_")


def test_verbose_2_prints_the_epoch_training_stops_on(rng, capfd):
    X, y = _xy(rng, n=80)
    reg = RNNRegressor(
        hidden_size=8,
        max_epochs=60,
        lr=1e-2,
        min_steps=0,
        n_iter_no_change=2,
        tol=0.05,
        verbose=2,
        random_state=0,
    ).fit(X, y)
    out = capfd.readouterr().out
    assert reg.n_iter_ < 60 and "Stopping since train_loss" in out
    rows = [line.split()[0] for line in out.splitlines() if line[:6].strip().isdigit()]
    assert rows[-1] == str(reg.n_iter_)


# ----------------------------------------------------------------------
# Threads
# ----------------------------------------------------------------------
def test_fit_restores_the_callers_thread_count(rng):
    X, y = _xy(rng)
    torch.set_num_threads(2)  # the autouse fixture restores it afterwards
    RNNRegressor(**FAST).fit(X, y).predict(X)
    assert torch.get_num_threads() == 2


def _threads_in_worker(X, y):
    reg = RNNRegressor(**FAST).fit(X, y)
    return torch.get_num_threads(), reg.score(X, y)


def test_loky_workers_use_cpu_count_over_n_jobs_threads(rng):
    # joblib starts loky workers with OMP_NUM_THREADS = cpu_count // n_jobs,
    # which torch honours; fit keeps that count.
    X, y = _xy(rng)
    out = Parallel(n_jobs=2)(delayed(_threads_in_worker)(X, y) for _ in range(2))
    from joblib import cpu_count

    expected = max(cpu_count() // 2, 1)
    assert [n for n, _ in out] == [expected, expected]
    assert out[0][1] == out[1][1]  # same seed, same model in both workers


# ----------------------------------------------------------------------
# Mixed precision and torch.compile
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell", [pytest.param("lstm", marks=needs_bfloat16_lstm), "gru"]
)
def test_bfloat16_autocast_trains_and_predicts_float64(rng, cell):
    X, y = _xy(rng, n=200, T=8)
    kw = dict(hidden_size=16, max_epochs=20, lr=1e-2, random_state=0, cell=cell)
    full = RNNRegressor(**kw).fit(X, y)
    mixed = RNNRegressor(precision="bfloat16", **kw).fit(X, y)
    assert mixed.module_.autocast_dtype is torch.bfloat16
    assert full.module_.autocast_dtype is None
    # Weights stay float32; only the forward pass is autocast.
    assert all(p.dtype == torch.float32 for p in mixed.module_.parameters())
    pred = mixed.predict(X)
    assert pred.dtype == np.float64 and np.all(np.isfinite(pred))
    # It learns about as well, but not bit-identically (bfloat16 rounding).
    assert mixed.score(X, y) > 0.8
    assert not np.array_equal(pred, full.predict(X))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = mixed.module_(torch.zeros(2, 8, 1))
    assert out.dtype == torch.float32


@needs_bfloat16_lstm
def test_bfloat16_autocast_trains_the_encoder_decoder():
    from sklearn_rnn import Seq2SeqTransformer

    words = ["abc", "ba", "cab", "a", "bca", "cc", "acb", "b"] * 8
    kw = dict(hidden_size=16, attention="luong", max_epochs=3, random_state=0)
    full = Seq2SeqTransformer(**kw).fit(words, [w[::-1] for w in words])
    mixed = Seq2SeqTransformer(precision="bfloat16", **kw).fit(
        words, [w[::-1] for w in words]
    )
    assert mixed.module_.autocast_dtype is torch.bfloat16
    assert all(p.dtype == torch.float32 for p in mixed.module_.parameters())
    # The training forward passes ran in bfloat16: the losses differ.
    assert mixed.loss_curve_ != full.loss_curve_
    assert np.all(np.isfinite(mixed.loss_curve_))


@needs_bfloat16_lstm
@pytest.mark.parametrize("decoding", ["greedy", "beam"])
def test_bfloat16_decoding_runs_under_autocast(monkeypatch, decoding):
    from sklearn_rnn import Seq2SeqTransformer
    from sklearn_rnn._modules import Seq2SeqNetwork

    words = ["abc", "ba", "cab", "a", "bca", "cc", "acb", "b"] * 4
    kw = dict(hidden_size=8, max_epochs=2, random_state=0, decoding=decoding)
    seen = []
    real_step = Seq2SeqNetwork.step

    def recording_step(self, *args):
        seen.append(torch.is_autocast_enabled("cpu"))
        return real_step(self, *args)

    monkeypatch.setattr(Seq2SeqNetwork, "step", recording_step)
    for precision in ["float32", "bfloat16"]:
        est = Seq2SeqTransformer(precision=precision, **kw).fit(words, words)
        seen.clear()
        pred = est.predict(words)
        assert seen and set(seen) == {precision == "bfloat16"}
        assert len(pred) == len(words) and all(isinstance(p, str) for p in pred)
        rep = est.transform(words[:3])
        assert rep.dtype == np.float64 and np.all(np.isfinite(rep))
        # Prediction keeps the precision of fit, as the module holds it.
        est.set_params(precision="float32" if precision == "bfloat16" else "bfloat16")
        seen.clear()
        np.testing.assert_array_equal(est.predict(words), pred)
        assert seen and set(seen) == {precision == "bfloat16"}
    # Numeric targets come back as float64 from a bfloat16 decoder.
    X = np.linspace(0, 1, 40).reshape(8, 5)
    est = Seq2SeqTransformer(precision="bfloat16", **kw).fit(X, X[:, ::-1])
    out = est.predict(X)
    assert out.dtype == np.float64 and out.shape == X.shape


def test_bfloat16_probe_leaves_the_generator_alone():
    torch.manual_seed(3)
    state = torch.get_rng_state()
    lstm_supports_bfloat16.cache_clear()
    assert lstm_supports_bfloat16("cpu") in (True, False)
    assert torch.equal(torch.get_rng_state(), state)


def test_bfloat16_lstm_falls_back_to_float32_where_unsupported(rng, monkeypatch):
    # What an AVX2-only CPU answers; GRU has no oneDNN bfloat16 kernel to miss.
    from sklearn_rnn import _base

    monkeypatch.setattr(_base, "lstm_supports_bfloat16", lambda device: False)
    X, y = _xy(rng)
    with pytest.warns(UserWarning, match="training in float32 instead"):
        reg = RNNRegressor(precision="bfloat16", **FAST).fit(X, y)
    assert reg.module_.autocast_dtype is None
    plain = RNNRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), plain.predict(X))
    with pytest.warns(UserWarning, match="float32 instead"):
        Seq2SeqTransformer(precision="bfloat16", **FAST).fit(X, X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A few epochs fit nothing useful, and say so: not the warning here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gru = RNNRegressor("gru", precision="bfloat16", **FAST).fit(X, y)
    assert gru.module_.autocast_dtype is torch.bfloat16


def test_compile_reaches_skorch(rng, monkeypatch):
    # Compiling for real needs a C++ toolchain and minutes on CPU; skorch's
    # torch_compile hook is checked with torch.compile's "eager" backend,
    # which goes through dynamo but generates no code.
    calls = []
    real_compile = torch.compile

    def eager_compile(module, **kwargs):
        calls.append(type(module).__name__)
        return real_compile(module, backend="eager")

    monkeypatch.setattr(torch, "compile", eager_compile)
    X, y = _xy(rng)
    plain = RNNRegressor(**FAST).fit(X, y)
    assert calls == [] and plain.net_.compile is False
    reg = RNNRegressor(compile=True, **FAST).fit(X, y)
    assert "RecurrentNetwork" in calls
    assert reg.net_.compile is True
    np.testing.assert_allclose(reg.predict(X), plain.predict(X), rtol=1e-4, atol=1e-5)


def test_cpu_batches_are_not_pinned(rng):
    X, y = _xy(rng)
    reg = RNNRegressor(**FAST).fit(X, y)
    params = reg.net_.get_params()
    assert params["iterator_train__pin_memory"] is False
    assert params["iterator_valid__pin_memory"] is False


@needs_cuda
def test_cuda_batches_are_pinned(rng):
    ds = SequenceDataset(torch.zeros(10, 4, 1), torch.full((10,), 4), torch.zeros(10))
    for Xi, yi in BatchIterator(ds, 4, pin_memory=True):
        assert Xi["X"].is_pinned() and Xi["lengths"].is_pinned()
        assert yi.is_pinned()
    X, y = _xy(rng)
    reg = RNNRegressor(device="cuda", precision="bfloat16", **FAST).fit(X, y)
    assert reg.net_.get_params()["iterator_train__pin_memory"] is True
    assert np.all(np.isfinite(reg.predict(X)))


def test_fits_in_threads_run_side_by_side(rng):
    # The threads share torch's global generator, so a fit's random draws
    # interleave with those of the fits beside it (documented under
    # random_state): each still gets a working model of its own.
    X, y = _xy(rng, n=120)
    Y = np.c_[y, X[:, 0]]
    models = [
        RNNRegressor("lstm", 8, max_epochs=2, random_state=0),
        RNNRegressor("gru", 4, max_epochs=2, dropout=0.3, num_layers=2, random_state=1),
        Seq2SeqTransformer(
            "gru", 4, max_epochs=2, teacher_forcing_ratio=0.5, random_state=5
        ),
    ]
    targets = [y, y, Y]

    def fit(m, t):
        return clone(m).fit(X, t).predict(X)

    side_by_side = Parallel(n_jobs=3, prefer="threads")(
        delayed(fit)(m, t) for m, t in zip(models * 2, targets * 2)
    )
    for pred, t in zip(side_by_side, targets * 2):
        assert pred.shape == t.shape and np.all(np.isfinite(pred))


def test_a_seeded_block_draws_its_seed_and_gives_the_state_back():
    torch.manual_seed(7)
    expected = torch.get_rng_state()
    with seeded_torch(3):
        inside = torch.rand(4)
    assert torch.equal(torch.get_rng_state(), expected)
    with seeded_torch(3):
        assert torch.equal(torch.rand(4), inside)
    # The block gives the state back when its body fails, too.
    with pytest.raises(RuntimeError), seeded_torch(4):
        torch.rand(2)
        raise RuntimeError
    assert torch.equal(torch.get_rng_state(), expected)


def test_a_block_inside_another_gives_its_caller_its_own_stream_back():
    # A thread seeds its own stream and fits while another thread's fit is
    # still open: its fit must give that stream back, not wait for the other.
    torch.manual_seed(99)
    opening = torch.get_rng_state()
    outer = seeded_torch(1)
    outer.__enter__()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded_torch(2):
        torch.rand(5)
    assert torch.equal(torch.rand(3), expected)
    outer.__exit__(None, None, None)
    # The outer block gives back what its own caller had when it opened.
    assert torch.equal(torch.get_rng_state(), opening)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_can_fit_while_the_parent_is_in_a_seeded_block():
    # Python forks while another thread may be inside a fit: the child,
    # with one thread, must not wait for anything of the parent's.
    held, release = threading.Event(), threading.Event()

    def hold():
        with seeded_torch(0):
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(60)
    try:
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                torch.manual_seed(5)
                expected = torch.rand(2)
                torch.manual_seed(5)
                with seeded_torch(1):
                    torch.rand(4)
                code = 0 if torch.equal(torch.rand(2), expected) else 2
            finally:
                os._exit(code)
        for _ in range(600):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child waited for the parent's generator lock")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        thread.join()


def test_lag_columns_counted_from_the_newest_are_flagged():
    import pandas as pd

    X = pd.DataFrame(
        np.random.RandomState(0).normal(size=(20, 3)),
        columns=["lag_1", "lag_2", "lag_3"],
    )
    y = X["lag_1"].to_numpy()
    with pytest.warns(UserWarning, match="oldest first.*X.iloc"):
        RNNRegressor(**FAST).fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "X's columns look like lags")
        # Oldest first, or other names: nothing to say.
        RNNRegressor(**FAST).fit(X[["lag_3", "lag_2", "lag_1"]], y)
        RNNRegressor(**FAST).fit(X.set_axis(["a", "b", "c"], axis=1), y)
