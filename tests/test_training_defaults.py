"""Defaults that keep small fits sound: early stopping, warnings, scaling."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn.persistence import load
from sklearn_rnn.preprocessing import SequenceScaler

# Fits of a few epochs are degenerate and say so; the tests that check
# the warning catch it themselves.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_size=4, batch_size=16, random_state=0)


def _sorted_by_class(rng, n_per_class=20, n_classes=3):
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = rng.normal(size=(len(y), 6, 2))
    X[:, :, 0] += y[:, None]
    return X, y


def test_classifier_validation_is_stratified_by_default(rng):
    # A training set sorted by class: the last rows hold a single class.
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True, validation_fraction=0.33, max_epochs=2, **FAST
    )
    assert clf.validation_split == "stratified"
    clf.fit(X, y)
    valid = clf.net_.train_split.indices(len(X))[1]
    assert set(y[valid]) == {0, 1, 2}
    last = clf.set_params(validation_split="last").fit(X, y)
    assert set(y[last.net_.train_split.indices(len(X))[1]]) == {2}


@pytest.mark.parametrize("min_steps, kept", [(0, 1), (20, 7)])
def test_min_steps_delays_early_stopping(rng, min_steps, kept):
    # 60 samples, 40 trained on in batches of 16: 3 steps per epoch, so
    # min_steps=20 waits for 7 epochs (21 steps) before patience counts.
    # With an unreachable tol every epoch after the first counted is a miss.
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True,
        validation_fraction=0.33,
        n_iter_no_change=2,
        tol=1e3,
        min_steps=min_steps,
        max_epochs=50,
        **FAST,
    ).fit(X, y)
    assert clf.n_iter_ == kept + 2
    # best_loss_ is the validation loss of the epoch kept: the lowest of
    # those counted, whether or not it improved by tol.
    assert clf.best_loss_ == min(clf.validation_scores_[kept - 1 :])


def test_min_steps_longer_than_training_keeps_the_last_model(rng):
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(
        early_stopping=True,
        validation_fraction=0.33,
        n_iter_no_change=1,
        tol=1e3,
        min_steps=1000,
        max_epochs=4,
        **FAST,
    ).fit(X, y)
    assert clf.n_iter_ == 4
    assert clf.best_loss_ == clf.validation_scores_[-1]


def test_small_validation_set_warns_with_its_size(rng):
    X, y = _sorted_by_class(rng)
    clf = RNNClassifier(early_stopping=True, max_epochs=1, **FAST)
    with pytest.warns(UserWarning, match="holds out 6 of 60 samples"):
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Early stopping holds out")
        clf.set_params(validation_fraction=0.33).fit(X, y)  # 20 samples
        RNNRegressor(max_epochs=1, **FAST).fit(X[:, :, 0], y)  # no split


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_degenerate_model_warns(rng, Estimator):
    X, y = _sorted_by_class(rng)
    if Estimator is RNNRegressor:
        y = y.astype(float)
    # A forced collapse: one epoch at a negligible learning rate.
    collapsed = Estimator(hidden_size=8, max_epochs=1, lr=1e-7, random_state=0)
    match = "single class" if Estimator is RNNClassifier else "R² of"
    with pytest.warns(ConvergenceWarning, match=match):
        collapsed.fit(X, y)
    healthy = Estimator(hidden_size=8, max_epochs=30, lr=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy.fit(X, y)


def test_classifier_no_better_than_majority_warns(rng):
    # Three quarters of one class and inputs that say nothing of the labels:
    # a model that learns nothing scores the majority share at best.
    X = rng.normal(size=(80, 5, 1))
    y = np.array([0] * 60 + [1] * 20)
    clf = RNNClassifier(hidden_size=4, max_epochs=1, lr=1e-7, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learnt nothing useful"):
        clf.fit(X, y)


@pytest.mark.parametrize("scale", [False, True])
def test_the_degenerate_warning_advises_scaling_only_without_it(rng, scale):
    X = rng.normal(size=(80, 5, 1))
    y = np.array([0] * 60 + [1] * 20)
    clf = RNNClassifier(max_epochs=1, lr=1e-7, scale=scale, **FAST)
    with pytest.warns(ConvergenceWarning, match="learnt nothing useful") as record:
        clf.fit(X, y)
    text = " ".join(str(w.message) for w in record)
    assert ("scaled inputs" in text) is not scale


def _ragged(rng, n=30):
    X = [rng.normal(3.0, 5.0, size=(rng.randint(3, 9), 2)) for _ in range(n)]
    y = np.array([x[:, 0].mean() > 3.0 for x in X]).astype(int)
    return X, y


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
@pytest.mark.parametrize("ragged", [False, True])
def test_scale_is_the_sequence_scaler_inside(rng, Estimator, ragged):
    X, y = _ragged(rng)
    if not ragged:
        X = np.stack([x[:3] for x in X])
    params = dict(hidden_size=4, max_epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        inside = Estimator(scale=True, **params).fit(X, y)
        pipe = make_pipeline(SequenceScaler(), Estimator(scale=False, **params))
        pipe.fit(X, y)
    scaler = pipe[0]
    np.testing.assert_allclose(inside._x_mean, scaler.mean_)
    np.testing.assert_allclose(inside._x_scale, scaler.scale_)
    np.testing.assert_allclose(
        _as_array(inside.predict(X)), _as_array(pipe.predict(X)), rtol=1e-5
    )
    assert Estimator(scale=False, **params).fit(X, y)._x_mean is None


def test_scale_reads_ragged_float64_in_float64(rng):
    # A large offset with small variations: rounded to float32 before the
    # statistics, every sequence looked constant and the network read zeros.
    X = [1e6 + 0.01 * rng.normal(size=(rng.randint(3, 6), 1)) for _ in range(30)]
    y = np.array([x.mean() - 1e6 for x in X])
    reg = RNNRegressor(hidden_size=4, max_epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    scaler = SequenceScaler().fit(X)
    np.testing.assert_allclose(reg._x_mean, scaler.mean_)
    np.testing.assert_allclose(reg._x_scale, scaler.scale_, rtol=1e-6)
    assert reg._x_scale[0] < 0.1


def test_scale_accepts_float32_near_its_limit():
    # Finite float32 values whose deviations from the mean overflow float32.
    X = np.full((20, 4, 1), 3e38, dtype=np.float32)
    X[0, 0, 0] = -3e38
    reg = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, np.arange(20.0))
    assert np.isfinite(reg._x_scale).all() and reg._x_scale[0] > 1e37
    assert np.isfinite(reg.predict(X)).all()
    assert np.isfinite(SequenceScaler().fit(X).var_).all()


def test_the_regressor_scales_by_default_and_the_classifier_does_not():
    assert RNNRegressor().scale and not RNNClassifier().scale


def test_regressor_defaults_read_lags_far_from_zero():
    # skforecast's use (issue 16): a table of lagged raw values, hundreds of
    # passengers; unscaled, such inputs saturate the gates (held-out R²
    # about 0.1 in the measurement that set the default, 0.77 scaled).
    from sklearn_rnn.datasets import load_airline_passengers
    from sklearn_rnn.windowing import make_windows

    series = load_airline_passengers()["passengers"].to_numpy(float)
    X, y = make_windows(series, 12)
    reg = RNNRegressor(random_state=0).fit(X[:-12], y[:-12])
    assert reg.score(X[-12:], y[-12:]) > 0.5


def _as_array(pred):
    return np.asarray(pred, dtype=float)


def test_scale_learns_from_the_training_rows_only(rng):
    X, y = _sorted_by_class(rng)
    reg = RNNRegressor(
        scale=True,
        early_stopping=True,
        validation_split="last",
        validation_fraction=0.33,
        max_epochs=1,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y.astype(float))
    np.testing.assert_allclose(reg._x_mean, X[:40].reshape(-1, 2).mean(axis=0))


def test_scale_and_pooling_are_saved(rng, tmp_path):
    X, y = _ragged(rng)
    clf = RNNClassifier(scale=True, pooling="max", max_epochs=3, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.module_.pooling == "max"
    clf.save(tmp_path / "clf.zip")
    loaded = load(tmp_path / "clf.zip")
    assert loaded.get_params() == clf.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_pooling_reaches_the_network(rng, pooling):
    X, y = _ragged(rng)
    reg = RNNRegressor(pooling=pooling, max_epochs=1, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y.astype(float))
    assert reg.module_.pooling == pooling
    # Ignored with an output per step.
    reg.set_params(return_sequences=True).fit(X, [x[:, 0] for x in X])
    assert reg.module_.pooling == "last"
    with pytest.raises(ValueError, match="pooling"):
        RNNRegressor(pooling="median").fit(X, y)


def test_pooling_and_scale_are_grid_searchable(rng):
    X, y = _sorted_by_class(rng)
    search = GridSearchCV(
        RNNClassifier(max_epochs=2, **FAST),
        {"pooling": ["last", "max"], "scale": [False, True]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4


@pytest.mark.parametrize("min_steps, n_iter", [(0, 1 + 2), (20, 7 + 2)])
def test_training_ends_on_the_plateau_of_the_training_loss(rng, min_steps, n_iter):
    # Without early stopping, as MLPClassifier: an unreachable tol makes
    # every epoch after the first one counted a miss (60 samples in batches
    # of 16: 4 steps per epoch, so min_steps=20 waits 5 epochs).
    X, y = _sorted_by_class(rng)
    assert RNNClassifier().max_epochs == RNNRegressor().max_epochs == 300
    assert (RNNClassifier().pooling, RNNRegressor().pooling) == ("max", "last")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Training was interrupted")
        clf = RNNClassifier(
            n_iter_no_change=2, tol=1e3, min_steps=min_steps, max_epochs=50, **FAST
        ).fit(X, y)
    assert clf.n_iter_ == (n_iter if min_steps == 0 else 5 + 2)
    clf.set_params(tol=0.0, n_iter_no_change=50, max_epochs=6).fit(X, y)
    assert clf.n_iter_ == 6


def test_degenerate_warning_names_object_labels(rng):
    X, y = _sorted_by_class(rng)
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    clf = RNNClassifier(hidden_size=8, max_epochs=1, lr=1e-7, random_state=0)
    with pytest.warns(ConvergenceWarning, match="single class '[abc]'"):
        clf.fit(X, labels)
