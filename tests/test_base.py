# SPDX-License-Identifier: BSD-3-Clause
"""The shared core: input layouts, validation errors, training options."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_rnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=8, max_epochs=3, random_state=0)
ESTIMATORS = [RNNRegressor, RNNClassifier]


def _raw(est, X):
    """Continuous outputs: probabilities for classifiers, values for regressors."""
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def _xy(Estimator, rng, n=40, T=6, F=None):
    shape = (n, T) if F is None else (n, T, F)
    X = rng.normal(size=shape)
    total = X.reshape(n, -1).sum(axis=1)
    y = total if Estimator is RNNRegressor else (total > 0).astype(int)
    return X, y


# ----------------------------------------------------------------------
# Accepted layouts
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_2d_3d_and_dataframe_inputs(Estimator, rng):
    X2, y = _xy(Estimator, rng)
    est = Estimator(**FAST).fit(X2, y)
    assert est.n_features_in_ == 6 and est.n_timesteps_in_ == 6
    # A 2-D array is a batch of univariate sequences: the 3-D view with one
    # feature is the same input.
    np.testing.assert_array_equal(est.predict(X2), est.predict(X2[:, :, None]))

    X3 = rng.normal(size=(40, 5, 3))
    est3 = Estimator(**FAST).fit(X3, y)
    assert est3.n_features_in_ == 3 and est3.n_timesteps_in_ == 5
    assert len(est3.predict(X3)) == 40
    # Sequences of another length are fine for a 3-D model.
    assert len(est3.predict(X3[:, :2])) == 40

    df = pd.DataFrame(X2, columns=[f"t{i}" for i in range(6)])
    estd = Estimator(**FAST).fit(df, y)
    assert list(estd.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(estd.predict(df), est.predict(X2))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_ragged_sequences_are_packed_not_truncated(Estimator, rng):
    lengths = [3, 7, 5, 9, 4, 6] * 5
    X = [rng.normal(size=(n, 2)) for n in lengths]
    total = np.array([s.sum() for s in X])
    y = total if Estimator is RNNRegressor else (total > 0).astype(int)
    est = Estimator(**FAST).fit(X, y)
    assert est.n_features_in_ == 2 and est.n_timesteps_in_ is None
    pred = est.predict(X)
    assert len(pred) == len(X)
    # Padding must not leak into the result: a sequence predicts the same
    # alone, inside a batch of longer sequences, and as a 3-D array.
    for i in (0, 3):
        alone = est.predict([X[i], X[i]])[0]
        np.testing.assert_allclose(alone, pred[i], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            est.predict(X[i][None])[0], pred[i], rtol=1e-5, atol=1e-6
        )
    # The end of a long sequence matters: it is not truncated to the shortest.
    changed = [s.copy() for s in X]
    changed[3][-1] += 10.0
    assert not np.allclose(_raw(est, changed)[3], _raw(est, X)[3])


def test_ragged_univariate_elements(rng):
    X = [rng.normal(size=n) for n in (3, 5, 4, 6)] * 5
    y = np.array([s.mean() for s in X])
    est = RNNRegressor(**FAST).fit(X, y)
    assert est.n_features_in_ == 1
    assert est.predict(X).shape == (20,)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_integer_tokens_with_embedding(Estimator, rng):
    X = rng.randint(0, 12, size=(60, 5))
    y = (X[:, -1] > 5).astype(int)
    if Estimator is RNNRegressor:
        y = X[:, -1].astype(float)
    est = Estimator(embedding_dim=4, **FAST).fit(X, y)
    assert est.vocab_size_ == 12
    assert len(est.predict(X)) == 60
    # Ragged token sequences use the same embedding.
    ragged = [row[: 2 + i % 4] for i, row in enumerate(X)]
    assert len(est.predict(ragged)) == 60
    with pytest.raises(ValueError, match="outside the vocabulary of 12"):
        est.predict(np.full((2, 5), 12))
    with pytest.raises(ValueError, match="integer token ids"):
        est.predict(X + 0.5)


def test_per_step_regression_fixed_and_ragged(rng):
    X = rng.normal(size=(50, 8))
    y = np.cumsum(X, axis=1)
    reg = RNNRegressor(return_sequences=True, **FAST).fit(X, y)
    assert reg.predict(X).shape == (50, 8)
    y3 = np.stack([y, -y], axis=-1)
    reg3 = RNNRegressor(return_sequences=True, **FAST).fit(X, y3)
    assert reg3.predict(X).shape == (50, 8, 2)

    Xr = [rng.normal(size=n) for n in (4, 7, 5) * 10]
    yr = [np.cumsum(s) for s in Xr]
    regr = RNNRegressor(return_sequences=True, **FAST).fit(Xr, yr)
    pred = regr.predict(Xr)
    assert [len(p) for p in pred] == [len(s) for s in Xr]
    assert np.isfinite(regr.score(Xr, yr))


def test_per_step_classification(rng):
    X = rng.normal(size=(60, 7))
    y = np.where(np.cumsum(X, axis=1) > 0, "pos", "neg")
    clf = RNNClassifier(return_sequences=True, **FAST).fit(X, y)
    assert clf.predict(X).shape == (60, 7)
    assert clf.predict_proba(X).shape == (60, 7, 2)
    assert set(np.unique(clf.predict(X))) <= {"pos", "neg"}
    Xr = [rng.normal(size=n) for n in (3, 6) * 15]
    yr = [np.where(np.cumsum(s) > 0, "pos", "neg") for s in Xr]
    clf.fit(Xr, yr)
    assert [len(p) for p in clf.predict(Xr)] == [3, 6] * 15
    assert 0 <= clf.score(Xr, yr) <= 1
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        clf.score(Xr, yr, sample_weight=np.ones(len(Xr)))


# ----------------------------------------------------------------------
# Errors that name the problem; inputs never mutated
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clear_errors(Estimator, rng):
    X, y = _xy(Estimator, rng)
    est = Estimator(**FAST)
    with pytest.raises(NotFittedError):
        est.predict(X)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, y)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D"):
        est.fit(X[0], y[:1])
    with pytest.raises(ValueError, match="dim 4"):
        est.fit(X[:, :, None, None], y)
    with pytest.raises(ValueError, match="requires y"):
        est.fit(X, None)
    with pytest.raises(ValueError, match="X\\[1\\]"):
        est.fit([X[0], np.empty(0), X[2][:3]], y[:3])

    est.fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        est.predict(X[:, :5])
    est3 = Estimator(**FAST).fit(X[:, :, None], y)
    msg = re.escape("X has 2 features per time step, but")
    with pytest.raises(ValueError, match=msg):
        est3.predict(np.repeat(X[:, :, None], 2, axis=2))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_layout_parameters_changed_after_fit_are_refused(Estimator, rng):
    # predict reads the fitted layout, never the parameters set since: the
    # network was built for it.
    X, y = _xy(Estimator, rng)
    ragged = [X[0, :3], X[1, :5]]
    msg = "call fit again"
    seq = Estimator(**FAST).fit(X, y)
    pred = _raw(seq, X)
    seq.set_params(return_sequences=True)
    for call in (lambda: seq.predict(X), lambda: seq.predict(ragged)):
        with pytest.raises(ValueError, match="'return_sequences': False"):
            call()
    with pytest.raises(ValueError, match=msg):
        seq.score(X, y)
    with pytest.raises(ValueError, match=msg):
        seq.set_params(embedding_dim=3).predict(X.astype(int) % 3)
    # Set back, the fitted model predicts as before.
    seq.set_params(return_sequences=False, embedding_dim=None)
    np.testing.assert_array_equal(_raw(seq, X), pred)

    steps = y[:, None] if Estimator is RNNClassifier else X
    steps = np.broadcast_to(steps, X.shape)
    per_step = Estimator(return_sequences=True, **FAST).fit(X, steps)
    with pytest.raises(ValueError, match="'return_sequences': True"):
        per_step.set_params(return_sequences=False).predict(X)

    tokens = rng.randint(0, 4, size=X.shape)
    emb = Estimator(embedding_dim=2, **FAST).fit(tokens, y)
    with pytest.raises(ValueError, match=r"\{'embedding_dim': 2\}.*None"):
        emb.set_params(embedding_dim=None).predict(tokens)
    # The size itself is the trained module's: only token input or not counts.
    emb.set_params(embedding_dim=5).predict(tokens)
    if Estimator is RNNClassifier:
        with pytest.raises(ValueError, match=msg):
            emb.set_params(embedding_dim=None).predict_proba(tokens)
    # Refitted without an embedding, the old vocabulary size goes.
    emb.set_params(embedding_dim=None).fit(tokens.astype(float), y)
    assert not hasattr(emb, "vocab_size_")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"cell": "transformer"}, "'cell' parameter"),
        ({"hidden_size": 0}, "'hidden_size' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"validation_fraction": 0.0}, "'validation_fraction' parameter"),
        ({"device": "cuda:7"} if not torch.cuda.is_available() else {}, "CUDA"),
    ],
)
def test_parameter_errors(params, match, rng):
    if not params:
        pytest.skip("CUDA is available")
    X, y = _xy(RNNRegressor, rng)
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**{**FAST, **params}).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inputs_are_not_mutated(Estimator, rng):
    X, y = _xy(Estimator, rng)
    X32 = X.astype(np.float32)
    ragged = [X32[i, : 3 + i % 3] for i in range(len(X))]
    copies = (X.copy(), X32.copy(), y.copy(), [r.copy() for r in ragged])
    est = Estimator(**FAST)
    est.fit(X, y).predict(X)
    est.fit(X32, y).predict(X32)
    est.fit(ragged, y).predict(ragged)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(X32, copies[1])
    np.testing.assert_array_equal(y, copies[2])
    for r, c in zip(ragged, copies[3]):
        np.testing.assert_array_equal(r, c)


# ----------------------------------------------------------------------
# Training options
# ----------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_random_state_reproducible_and_global_rng_untouched(Estimator, rng):
    X, y = _xy(Estimator, rng)
    params = dict(FAST, dropout=0.3, num_layers=2)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = Estimator(**params).fit(X, y)
    b = Estimator(**params).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)
    np.testing.assert_array_equal(_raw(a, X), _raw(b, X))
    c = Estimator(**{**params, "random_state": None}).fit(X, y)
    d = Estimator(**{**params, "random_state": None}).fit(X, y)
    assert not np.array_equal(_raw(c, X), _raw(d, X))


def test_prediction_does_not_depend_on_batch_mates(rng):
    X, y = _xy(RNNRegressor, rng, n=700)
    reg = RNNRegressor(**FAST).fit(X, y)
    full = reg.predict(X)
    # Bitwise: one sample alone, a small batch and a 700-row call agree.
    np.testing.assert_array_equal(reg.predict(X[5:6]), full[5:6])
    np.testing.assert_array_equal(reg.predict(X[600:]), full[600:])


def test_ragged_predictions_depend_on_batch_mates_only_by_rounding(rng):
    # Packed sequences: which sequences still run at each step depends on
    # the batch, so the match is to float rounding, not bitwise (see
    # BatchIterator).
    X = [rng.normal(size=(k, 2)) for k in rng.randint(1, 8, size=100)]
    y = np.array([x.sum() for x in X])
    reg = RNNRegressor(**FAST).fit(X, y)
    full = reg.predict(X)
    alone = np.array([reg.predict([x])[0] for x in X[:40]])
    np.testing.assert_allclose(alone, full[:40], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_backbones(cell, bidirectional, rng):
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(
        cell=cell,
        num_layers=2,
        bidirectional=bidirectional,
        dropout=0.1,
        nonlinearity="relu",
        **FAST,
    ).fit(X, y)
    rnn = reg.module_.encoder.rnn
    assert type(rnn).__name__ == cell.upper()
    assert rnn.num_layers == 2 and rnn.bidirectional is bidirectional
    assert np.all(np.isfinite(reg.predict(X)))


def test_forget_gate_bias_initialisation(rng):
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(forget_bias=2.5, hidden_size=4, max_epochs=1, lr=1e-9)
    rnn = reg.fit(X, y).module_.encoder.rnn
    total = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach()
    # Gate order in torch: input, forget, cell, output.
    np.testing.assert_allclose(total[4:8].numpy(), 2.5, atol=1e-6)


def test_early_stopping_restores_best_and_records_history(rng):
    X, y = _xy(RNNRegressor, rng, n=80)
    reg = RNNRegressor(
        hidden_size=8,
        max_epochs=200,
        lr=0.05,
        early_stopping=True,
        n_iter_no_change=3,
        min_steps=0,
        random_state=0,
    ).fit(X, y)
    assert reg.n_iter_ < 200
    assert len(reg.loss_curve_) == len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_loss_ == min(reg.validation_scores_)
    # The restored weights are those of the best epoch: recompute the
    # validation loss (the last 10 %, in order) with the final model.
    n_valid = int(np.ceil(0.1 * len(X)))
    pred = reg.predict(X[-n_valid:])
    scaled = (pred - reg._y_mean) / reg._y_scale
    target = (y[-n_valid:] - reg._y_mean) / reg._y_scale
    assert np.mean((scaled - target) ** 2) == pytest.approx(reg.best_loss_, rel=1e-4)


@pytest.mark.parametrize("split", ["last", "shuffle", "stratified"])
def test_validation_split_strategies(split, rng):
    X, y = _xy(RNNClassifier, rng, n=60)
    clf = RNNClassifier(
        early_stopping=True, validation_split=split, validation_fraction=0.2, **FAST
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_stratified_split_needs_two_samples_per_class(rng):
    X, y = _xy(RNNClassifier, rng, n=30)
    y[0] = 2  # a class of one sample
    clf = RNNClassifier(early_stopping=True, validation_split="stratified", **FAST)
    msg = (
        "validation_split='stratified' needs at least 2 samples of every class"
        ".*1 class.*validation_split='shuffle'.*early_stopping=False"
    )
    with pytest.raises(ValueError, match=msg):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")
    clf.set_params(validation_split="shuffle").fit(X, y)
    # Too small a validation split for one sample of each of 3 classes.
    clf.set_params(validation_split="stratified", validation_fraction=0.05)
    with pytest.raises(ValueError, match="validation_fraction=0.05 holds out 2 of 30"):
        clf.fit(X, np.arange(30) % 3)


def test_stratified_split_only_for_classifier(rng):
    X, y = _xy(RNNRegressor, rng)
    with pytest.raises(ValueError, match="validation_split"):
        RNNRegressor(validation_split="stratified", **FAST).fit(X, y)


def test_gradient_clipping_bounds_the_update(rng):
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(clip_grad_norm=1e-3, optimizer="sgd", lr=1.0, **FAST)
    reg.set_params(max_epochs=1, batch_size=len(X))
    start = RNNRegressor(**{**reg.get_params(), "lr": 1e-12}).fit(X, y)
    reg.fit(X, y)
    # One SGD step of lr=1 on a gradient clipped to norm 1e-3 moves the
    # weights by at most 1e-3 in total.
    diff = torch.cat(
        [
            (p - q).flatten()
            for p, q in zip(reg.module_.parameters(), start.module_.parameters())
        ]
    )
    assert 0 < diff.norm().item() <= 1e-3 * (1 + 1e-4)


def test_warm_start_continues_training(rng):
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(warm_start=True, **FAST).fit(X, y)
    first = [p.detach().clone() for p in reg.module_.parameters()]
    reg.fit(X, y)
    assert len(reg.net_.history) == 2 * FAST["max_epochs"]
    assert reg.n_iter_ == 2 * FAST["max_epochs"]
    assert any(not torch.equal(a, b) for a, b in zip(first, reg.module_.parameters()))
    # A changed architecture starts afresh.
    reg.set_params(hidden_size=5).fit(X, y)
    assert len(reg.net_.history) == FAST["max_epochs"]


def test_warm_fit_keeps_the_target_standardisation(rng):
    # The network's outputs are in the units of the first fit's scaling: a
    # warm fit on data at another level must not move the predictions
    # before any training.
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(warm_start=True, **FAST).fit(X, y)
    before = reg.predict(X)
    reg.set_params(lr=1e-12, max_epochs=1).fit(X[:20], y[:20] + 100)
    np.testing.assert_allclose(reg.predict(X), before, atol=1e-6)


def test_warm_fit_keeps_the_optimizer_state_and_a_cold_one_rescales(rng):
    X, y = _xy(RNNRegressor, rng)

    def adam_steps(est):
        state = est.net_.optimizer_.state_dict()["state"]
        return int(next(iter(state.values()))["step"])

    for Estimator in (RNNRegressor, RNNClassifier):
        est = Estimator(warm_start=True, **FAST).fit(*_xy(Estimator, rng))
        first = adam_steps(est)
        est.fit(*_xy(Estimator, rng))
        assert adam_steps(est) == 2 * first  # Adam's moments carried on
    # warm_start=True with another architecture starts afresh, and
    # standardises the new targets anew.
    reg = RNNRegressor(warm_start=True, **FAST).fit(X, y)
    reg.set_params(hidden_size=5).fit(X, 1000 * y + 5000)
    np.testing.assert_allclose(reg._y_mean, np.mean(1000 * y + 5000))


def test_target_scaling_leaves_the_validation_split_out(rng):
    # Early stopping scores the last 20 % (validation_split="last"): the
    # targets' standardisation must come from the other 80 % alone.
    X, y = _xy(RNNRegressor, rng, n=50)
    y = y.copy()
    y[40:] += 1000.0
    reg = RNNRegressor(
        early_stopping=True, validation_fraction=0.2, **{**FAST, "max_epochs": 1}
    ).fit(X, y)
    np.testing.assert_allclose(reg._y_mean, [y[:40].mean()])
    np.testing.assert_allclose(reg._y_scale, [y[:40].std()])
    # A shuffled split: the rows the network trained on, whichever they are.
    reg.set_params(validation_split="shuffle").fit(X, y)
    train = reg.net_.train_split.indices(len(X))[0]
    assert len(train) == 40 and not np.array_equal(train, np.arange(40))
    np.testing.assert_allclose(reg._y_mean, [y[train].mean()])


def test_warm_fit_uses_the_current_class_weights_and_classes(rng):
    X, y = _xy(RNNClassifier, rng)
    clf = RNNClassifier(warm_start=True, **FAST).fit(X, y)
    assert clf.net_.criterion_.weight is None
    heavy = {clf.classes_[0]: 100.0}
    clf.set_params(class_weight=heavy).fit(X, y)
    assert clf.net_.criterion_.weight.tolist()[0] == 100.0
    clf.set_params(class_weight=None).fit(X, y)
    assert clf.net_.criterion_.weight is None
    # The output units stand for the classes of the first fit.
    renamed = np.where(y == clf.classes_[0], "cat", "dog")
    before = clf.predict(X)
    with pytest.raises(ValueError, match="same classes as in the previous"):
        clf.fit(X, renamed)
    np.testing.assert_array_equal(clf.predict(X), before)


def test_per_step_predictions_of_ragged_input_span_several_blocks(rng):
    # Blocks of 512 sequences are each cut to their own longest sequence;
    # the per-step outputs of blocks of different widths join up.
    X = [rng.normal(size=(n, 1)) for n in rng.randint(2, 6, size=30)]
    y = [s[:, 0].cumsum() for s in X]
    reg = RNNRegressor(return_sequences=True, **FAST).fit(X, y)
    many = [np.zeros((3, 1))] * 512 + [np.zeros((7, 1))]
    pred = reg.predict(many)
    assert [len(p) for p in pred] == [3] * 512 + [7]
    np.testing.assert_array_equal(pred[0], reg.predict(many[:1])[0])
    clf = RNNClassifier(return_sequences=True, **FAST).fit(
        X, [(t > 0).astype(int) for t in y]
    )
    assert [len(p) for p in clf.predict_proba(many)] == [3] * 512 + [7]


def test_warm_start_follows_the_current_training_settings(rng):
    X, y = _xy(RNNRegressor, rng)
    reg = RNNRegressor(warm_start=True, **FAST).fit(X, y)
    names = lambda: {name for name, _ in reg.net_.callbacks_}  # noqa: E731
    assert not {"clip_grad_norm", "early_stopping"} & names()
    reg.set_params(clip_grad_norm=0.5, early_stopping=True, n_iter_no_change=1)
    reg.fit(X, y)
    assert {"clip_grad_norm", "early_stopping"} <= names()
    assert dict(reg.net_.callbacks_)["clip_grad_norm"].gradient_clip_value == 0.5
    # One score per epoch; the first fit's epochs had no validation split.
    assert len(reg.validation_scores_) == reg.n_iter_ > FAST["max_epochs"]
    assert np.isnan(reg.validation_scores_[: FAST["max_epochs"]]).all()
    assert np.isfinite(reg.validation_scores_[FAST["max_epochs"] :]).all()
    assert reg.best_loss_ == np.nanmin(reg.validation_scores_)
    reg.set_params(clip_grad_norm=None, early_stopping=False).fit(X, y)
    assert not {"clip_grad_norm", "early_stopping"} & names()
    assert len(reg.net_.history) == reg.n_iter_  # the same net, continued


def test_verbose_2_prints_a_table(rng, capsys):
    # verbose=1 is the progress bar (tests/test_training_options.py).
    X, y = _xy(RNNRegressor, rng)
    RNNRegressor(**FAST).fit(X, y)
    assert capsys.readouterr().out == ""
    RNNRegressor(verbose=2, **FAST).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and out.count("\n") >= FAST["max_epochs"]


# ----------------------------------------------------------------------
# Training faults
# ----------------------------------------------------------------------
def test_diverging_fit_raises_and_leaves_no_nan_model(rng):
    X, y = _xy(RNNRegressor, rng)
    X = X * 1e3
    reg = RNNRegressor(cell="rnn", nonlinearity="relu", lr=1e4, optimizer="sgd", **FAST)
    with pytest.raises(ValueError, match=r"diverged in epoch \d+.*smaller learning"):
        reg.fit(X, y * 1e6)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    # A warm start that diverges keeps the previous, working weights.
    params = dict(cell="rnn", nonlinearity="relu", optimizer="sgd", lr=1e-3)
    warm = RNNRegressor(warm_start=True, **{**FAST, **params}).fit(X / 1e3, y)
    before = warm.predict(X / 1e3)
    history = len(warm.net_.history)
    warm.set_params(lr=1e4)
    with pytest.raises(ValueError, match="diverged"):
        warm.fit(X, y * 1e6)
    np.testing.assert_array_equal(warm.predict(X / 1e3), before)
    # Nothing of the failed fit is left: not its epochs, not the optimizer
    # state it poisoned, so the advised smaller lr works.
    assert len(warm.net_.history) == history
    warm.set_params(lr=1e-3).fit(X / 1e3, y)
    assert np.isfinite(warm.loss_curve_).all()


def test_keyboard_interrupt_keeps_a_usable_model(rng, monkeypatch):
    from sklearn_rnn import _data

    X, y = _xy(RNNRegressor, rng)
    original = _data.BatchIterator.__iter__
    calls = {"n": 0}

    def interrupting_iter(self):
        if self.shuffle:  # training pass
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(_data.BatchIterator, "__iter__", interrupting_iter)
    reg = RNNRegressor(**{**FAST, "max_epochs": 10})
    with pytest.warns(UserWarning, match="interrupted after 2 of 10 epochs"):
        reg.fit(X, y)
    assert reg.n_iter_ == len(reg.loss_curve_) == 2
    assert np.all(np.isfinite(reg.predict(X)))


def test_early_stopping_does_not_warn(rng):
    import warnings

    X, y = _xy(RNNRegressor, rng, n=80)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RNNRegressor(
            hidden_size=8,
            max_epochs=300,
            lr=0.05,
            early_stopping=True,
            n_iter_no_change=2,
            # 20 validation samples: no warning that they are too few.
            validation_fraction=0.25,
            min_steps=0,
            random_state=0,
        ).fit(X, y)
