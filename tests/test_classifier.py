# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest

from sklearn_rnn import RNNClassifier

FAST = dict(hidden_size=16, max_epochs=30, lr=1e-2, random_state=0)


def _data(rng, n=240, labels=("a", "b", "c")):
    X = rng.normal(size=(n, 8))
    # The class depends on where in the sequence the largest value sits.
    code = np.digitize(X.argmax(axis=1), [3, 6])
    return X, np.asarray(labels, dtype=object)[code]


def test_multiclass_string_labels(rng):
    X, y = _data(rng)
    clf = RNNClassifier(**FAST).fit(X[:180], y[:180])
    assert list(clf.classes_) == ["a", "b", "c"]
    proba = clf.predict_proba(X[180:])
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X[180:]), clf.classes_[proba.argmax(1)])
    assert clf.score(X[180:], y[180:]) > 0.7


def test_binary_integer_labels(rng):
    X = rng.normal(size=(200, 6))
    y = np.where(X.sum(axis=1) > 0, 7, -3)
    clf = RNNClassifier(**FAST).fit(X, y)
    assert set(clf.predict(X)) <= {7, -3}
    assert clf.predict_proba(X).shape == (200, 2)
    assert clf.score(X, y) > 0.9


def test_class_weight_shifts_predictions(rng):
    X = rng.normal(size=(200, 6))
    y = np.where(X.sum(axis=1) > 1.5, "rare", "common")
    plain = RNNClassifier(hidden_size=8, max_epochs=5, random_state=0).fit(X, y)
    weighted = RNNClassifier(
        hidden_size=8, max_epochs=5, random_state=0, class_weight={"rare": 20.0}
    ).fit(X, y)
    balanced = RNNClassifier(
        hidden_size=8, max_epochs=5, random_state=0, class_weight="balanced"
    ).fit(X, y)
    rare = list(plain.classes_).index("rare")
    assert (
        weighted.predict_proba(X)[:, rare].mean()
        > plain.predict_proba(X)[:, rare].mean()
    )
    assert (
        balanced.predict_proba(X)[:, rare].mean()
        > plain.predict_proba(X)[:, rare].mean()
    )
    with pytest.raises(ValueError, match="not in the training classes"):
        RNNClassifier(class_weight={"missing": 2.0}, max_epochs=1).fit(X, y)


def test_errors(rng):
    X = rng.normal(size=(20, 4))
    clf = RNNClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, rng.normal(size=20))


def test_stratified_validation_needs_one_label_per_sequence(rng):
    X = rng.normal(size=(40, 5))
    y = np.where(X > 0, "pos", "neg")
    clf = RNNClassifier(
        return_sequences=True,
        early_stopping=True,
        validation_split="stratified",
        max_epochs=2,
    )
    with pytest.raises(ValueError, match="one label per sequence"):
        clf.fit(X, y)
    clf.set_params(validation_split="shuffle").fit(X, y)
    assert clf.predict(X).shape == (40, 5)


def test_whole_number_class_weights_are_saved_and_loaded(rng, tmp_path):
    from sklearn_rnn.persistence import load, save

    X = rng.normal(size=(30, 4))
    y = np.where(X.sum(axis=1) > 0, "a", "b")
    clf = RNNClassifier(hidden_size=4, max_epochs=1, class_weight={"a": 1, "b": 3})
    save(clf.fit(X, y), tmp_path / "clf.skrnn")
    loaded = load(tmp_path / "clf.skrnn")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_balanced_weights_with_a_class_weighted_zero(rng):
    # compute_class_weight gives such a class an infinite weight, which
    # times its zero sample weights made the loss NaN ("Training diverged").
    X = rng.normal(size=(30, 4))
    y = np.r_[["a"] * 10, ["b"] * 10, ["c"] * 10]
    weights = np.r_[np.ones(20), np.zeros(10)]
    clf = RNNClassifier(hidden_size=4, max_epochs=2, class_weight="balanced")
    clf.fit(X, y, sample_weight=weights)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("Estimator", ["classifier", "regressor"])
def test_per_step_score_reads_y_as_fit_does(rng, Estimator):
    import pandas as pd

    from sklearn_rnn import RNNRegressor

    X = rng.normal(size=(20, 4))
    y = (X > 0).astype(int) if Estimator == "classifier" else X.cumsum(axis=1)
    est = (RNNClassifier if Estimator == "classifier" else RNNRegressor)(
        hidden_size=4, max_epochs=1, return_sequences=True, random_state=0
    ).fit(pd.DataFrame(X), pd.DataFrame(y))
    assert est.score(X, pd.DataFrame(y)) == est.score(X, y)
    ragged = [x[: 2 + i % 3] for i, x in enumerate(X)]
    est.fit(ragged, [t[: len(x)] for t, x in zip(y, ragged)])
    assert np.isfinite(est.score(ragged, [t[: len(x)] for t, x in zip(y, ragged)]))
