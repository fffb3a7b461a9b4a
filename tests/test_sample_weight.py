# SPDX-License-Identifier: BSD-3-Clause
"""sample_weight in fit: weights of whole samples, routed as in scikit-learn."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from sklearn_rnn import RNNClassifier, RNNRegressor, Seq2SeqTransformer

# Full-batch training (one batch holds every sample): the loss is then the
# weighted mean over all samples, so a zero weight is exactly a removed
# sample and an integer weight exactly a repeated one, up to float rounding.
FULL_BATCH = dict(hidden_size=8, max_epochs=8, batch_size=128, lr=1e-2, random_state=0)


def _data(n=40, T=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


def _zero_two():
    w = np.ones(40)
    w[[3, 17]] = 0.0
    return w, w > 0


def test_zero_weight_removes_a_sample_from_the_regressor():
    X, y = _data()
    w, keep = _zero_two()
    weighted = RNNRegressor(**FULL_BATCH).fit(X, y, sample_weight=w)
    dropped = RNNRegressor(**FULL_BATCH).fit(X[keep], y[keep])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), atol=1e-5)
    np.testing.assert_allclose(weighted._y_mean, dropped._y_mean)
    np.testing.assert_allclose(weighted._y_scale, dropped._y_scale)
    unweighted = RNNRegressor(**FULL_BATCH).fit(X, y)
    assert not np.allclose(unweighted.predict(X), dropped.predict(X), atol=1e-3)


def test_zero_weight_removes_a_sequence_with_targets_per_step():
    X, _ = _data()
    Y = X.cumsum(axis=1)
    w, keep = _zero_two()
    params = dict(FULL_BATCH, return_sequences=True)
    weighted = RNNRegressor(**params).fit(X, Y, sample_weight=w)
    dropped = RNNRegressor(**params).fit(X[keep], Y[keep])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), atol=1e-5)


@pytest.mark.parametrize("class_weight", [None, {True: 3.0}, "balanced"])
def test_zero_weight_removes_a_sample_from_the_classifier(class_weight):
    X, y = _data()
    labels = y > 0.5
    w, keep = _zero_two()
    params = dict(FULL_BATCH, class_weight=class_weight)
    weighted = RNNClassifier(**params).fit(X, labels, sample_weight=w)
    dropped = RNNClassifier(**params).fit(X[keep], labels[keep])
    np.testing.assert_allclose(
        weighted.predict_proba(X), dropped.predict_proba(X), atol=1e-5
    )


def test_class_weight_and_sample_weight_multiply():
    X, y = _data()
    labels = y > 0.5
    w = np.where(labels, 2.0, 1.0)
    both = RNNClassifier(**FULL_BATCH, class_weight={True: 3.0}).fit(
        X, labels, sample_weight=w
    )
    product = RNNClassifier(**FULL_BATCH).fit(
        X, labels, sample_weight=w * np.where(labels, 3.0, 1.0)
    )
    np.testing.assert_allclose(
        both.predict_proba(X), product.predict_proba(X), atol=1e-5
    )


def test_integer_weight_is_a_repeated_row_in_full_batch_training():
    X, y = _data()
    w = np.ones(40, dtype=int)
    w[:5] = 3
    repeated = np.repeat(np.arange(40), w)
    weighted = RNNRegressor(**FULL_BATCH).fit(X, y, sample_weight=w)
    copies = RNNRegressor(**FULL_BATCH).fit(X[repeated], y[repeated])
    np.testing.assert_allclose(weighted.predict(X), copies.predict(X), atol=1e-5)


def test_integer_weight_acts_like_repetition_in_minibatches():
    # Shuffled mini-batches differ between the two fits (and the repeated
    # data has more batches per epoch), so the models are not equal; the
    # weighted one is still closer to the one trained on repeated rows than
    # the unweighted one is.
    X, y = _data(n=80)
    y = y + np.where(np.arange(80) < 20, 4.0, 0.0)  # a group the weights favour
    w = np.where(np.arange(80) < 20, 4, 1)
    repeated = np.repeat(np.arange(80), w)
    params = dict(hidden_size=8, max_epochs=30, batch_size=16, lr=1e-2, random_state=0)
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=w).predict(X)
    copies = RNNRegressor(**params).fit(X[repeated], y[repeated]).predict(X)
    plain = RNNRegressor(**params).fit(X, y).predict(X)
    assert np.abs(weighted - copies).mean() < np.abs(plain - copies).mean()


def test_equal_weights_are_no_weights():
    X, y = _data()
    plain = RNNRegressor(**FULL_BATCH).fit(X, y).predict(X)
    equal = RNNRegressor(**FULL_BATCH).fit(X, y, sample_weight=np.full(40, 2.5))
    np.testing.assert_array_equal(equal.predict(X), plain)


def test_validation_loss_is_weighted():
    # The validation split ("last") holds an outlier: weighted 0, it leaves
    # training untouched but drops out of every validation score.
    X, y = _data()
    y = y.copy()
    y[-1] = 50.0
    params = dict(FULL_BATCH, early_stopping=True, validation_fraction=0.25)
    w = np.ones(40)
    w[0] = 2.0  # non-uniform weights in both cases
    plain = RNNRegressor(**params).fit(X, y, sample_weight=w)
    w[-1] = 0.0
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=w)
    assert weighted.loss_curve_ == plain.loss_curve_
    assert np.all(
        np.array(weighted.validation_scores_) < np.array(plain.validation_scores_)
    )


def test_seq2seq_zero_weight_removes_a_pair():
    X, _ = _data(n=40, T=5)
    Y = X[:, :3].cumsum(axis=1)
    w, keep = _zero_two()
    params = dict(hidden_size=8, max_epochs=6, batch_size=64, random_state=0)
    weighted = Seq2SeqTransformer(**params).fit(X, Y, sample_weight=w)
    dropped = Seq2SeqTransformer(**params).fit(X[keep], Y[keep])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), atol=1e-5)
    words = ["ab", "ba", "abc", "cab", "b a", "a b c"] * 5
    reversed_words = [s[::-1] for s in words]
    w = np.ones(30)
    w[[0, 6]] = 0.0
    weighted = Seq2SeqTransformer(**params).fit(words, reversed_words, sample_weight=w)
    kept = [i for i in range(30) if w[i]]
    dropped = Seq2SeqTransformer(**params).fit(
        [words[i] for i in kept], [reversed_words[i] for i in kept]
    )
    np.testing.assert_allclose(weighted.loss_curve_, dropped.loss_curve_, rtol=1e-5)


def test_warm_start_switches_between_weighted_and_plain_losses():
    X, y = _data()
    w, _ = _zero_two()
    reg = RNNRegressor(**dict(FULL_BATCH, max_epochs=2), warm_start=True)
    reg.fit(X, y).fit(X, y, sample_weight=w).fit(X, y)
    assert reg.n_iter_ == 6 and np.all(np.isfinite(reg.predict(X)))
    clf = RNNClassifier(**dict(FULL_BATCH, max_epochs=2), warm_start=True)
    clf.set_params(class_weight={True: 2.0})
    clf.fit(X, y > 0).fit(X, y > 0, sample_weight=w).fit(X, y > 0)
    assert clf.n_iter_ == 6


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(39), "sample_weight.shape"),
        (-np.ones(40), "Negative values in data passed to `sample_weight`"),
        (np.zeros(40), "zero"),
        (np.r_[np.nan, np.ones(39)], "NaN"),
        (np.r_[np.inf, np.ones(39)], "infinity"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    X, y = _data()
    reg = RNNRegressor(**FULL_BATCH)
    with pytest.raises(ValueError, match=message):
        reg.fit(X, y, sample_weight=weights)
    assert not hasattr(reg, "net_")


def test_weights_only_on_the_validation_split_are_refused():
    X, y = _data()
    w = np.r_[np.zeros(30), np.ones(10)]  # "last" holds out the final 10
    reg = RNNRegressor(**FULL_BATCH, early_stopping=True, validation_fraction=0.25)
    with pytest.raises(ValueError, match="zero for every sample the model trains"):
        reg.fit(X, y, sample_weight=w)


def test_weights_are_not_mutated():
    X, y = _data()
    w, _ = _zero_two()
    w = w.astype(np.float32)
    before = w.copy()
    RNNRegressor(**dict(FULL_BATCH, max_epochs=1)).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, before)


def test_metadata_routing_through_pipeline_and_grid_search():
    X, y = _data()
    w, keep = _zero_two()
    direct = RNNRegressor(**FULL_BATCH).fit(X, y, sample_weight=w).predict(X)
    with sklearn.config_context(enable_metadata_routing=True):
        reg = RNNRegressor(**FULL_BATCH).set_fit_request(sample_weight=True)
        pipe = Pipeline([("rnn", reg)]).fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(pipe.predict(X), direct)
        reg = RNNRegressor(**FULL_BATCH).set_fit_request(sample_weight=True)
        reg.set_score_request(sample_weight=True)
        search = GridSearchCV(reg, {"hidden_size": [8]}, cv=KFold(2)).fit(
            X, y, sample_weight=w
        )
        np.testing.assert_array_equal(search.predict(X), direct)
        # Unrequested, the weights are an error, not silently dropped.
        plain = Pipeline([("rnn", RNNRegressor(**FULL_BATCH))])
        with pytest.raises(ValueError, match="sample_weight"):
            plain.fit(X, y, sample_weight=w)


def test_model_fitted_with_weights_saves_and_loads(tmp_path):
    from sklearn_rnn.persistence import load, save

    X, y = _data()
    w, _ = _zero_two()
    for est, target in [(RNNRegressor, y), (RNNClassifier, y > 0)]:
        model = est(**dict(FULL_BATCH, max_epochs=2)).fit(X, target, sample_weight=w)
        path = tmp_path / f"{est.__name__}.skrnn"
        save(model, path)
        np.testing.assert_array_equal(load(path).predict(X), model.predict(X))


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_input_scaling_refuses_weights_that_are_zero_on_every_training_row(
    Estimator,
):
    # Only the validation split weighs anything: no statistics can be had.
    X, y = _data()
    if Estimator is RNNClassifier:
        y = y > np.median(y)
    w = np.zeros(len(X))
    w[-4:] = 1.0
    est = Estimator(
        scale=True,
        early_stopping=True,
        validation_split="last",
        validation_fraction=0.1,
        **FULL_BATCH,
    )
    with pytest.raises(ValueError, match="sample_weight is zero for every sample"):
        est.fit(X, y, sample_weight=w)
