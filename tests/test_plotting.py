# SPDX-License-Identifier: BSD-3-Clause
"""Learning-curve and forecast plots, drawn with the Agg backend."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNForecaster, RNNRegressor
from sklearn_rnn.plotting import plot_forecast, plot_learning_curve

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

FAST = dict(hidden_size=4, max_epochs=6, random_state=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _xy(rng, n=50, T=5):
    X = rng.normal(size=(n, T))
    return X, X.sum(axis=1)


def test_learning_curve_draws_the_loss_history(rng):
    X, y = _xy(rng)
    reg = RNNRegressor(**FAST).fit(X, y)
    ax = plot_learning_curve(reg)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(line.get_ydata(), reg.loss_curve_)
    assert ax.get_xlabel() == "epoch"


def test_learning_curve_with_validation_on_given_axes(rng):
    X, y = _xy(rng)
    pipe = make_pipeline(StandardScaler(), RNNClassifier(early_stopping=True, **FAST))
    clf = pipe.fit(X, y > 0)[-1]
    fig, ax = plt.subplots()
    assert plot_learning_curve(pipe, ax=ax) is ax  # a pipeline's final step
    train, valid, best = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), clf.loss_curve_)
    np.testing.assert_allclose(valid.get_ydata(), clf.validation_scores_)
    assert best.get_xdata()[0] == np.argmin(clf.validation_scores_) + 1


def test_learning_curve_of_a_forecaster_and_errors(rng):
    y = pd.Series(np.sin(np.arange(60) / 3) + 2)
    model = RNNForecaster(RNNRegressor(**FAST), window=6, horizon=2).fit(None, y)
    ax = plot_learning_curve(model)
    np.testing.assert_allclose(
        ax.get_lines()[0].get_ydata(), model.regressor_.loss_curve_
    )
    with pytest.raises(TypeError, match="no loss_curve_"):
        plot_learning_curve(StandardScaler().fit(rng.normal(size=(5, 2))))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_learning_curve(RNNRegressor())


def test_forecast_plot_from_the_forecasters_frame():
    index = pd.date_range("2020-01-01", periods=24, freq="MS")
    history = pd.Series(np.arange(24.0), index=index, name="sales")
    future = pd.date_range("2022-01-01", periods=3, freq="MS")
    frame = pd.DataFrame(
        {"forecast": [24.0, 25, 26], "lower": [23.0, 23, 23], "upper": [25.0, 27, 29]},
        index=future,
    )
    ax = plot_forecast(history, frame, truth=[24.5, 25.5, 26.5])
    hist, fc, truth = ax.get_lines()
    assert [hist.get_label(), fc.get_label(), truth.get_label()] == [
        "history",
        "forecast",
        "truth",
    ]
    # Dates on the x axis: the forecast's and the truth's are the future dates.
    np.testing.assert_array_equal(fc.get_xdata(), truth.get_xdata())
    np.testing.assert_array_equal(truth.get_ydata(), [24.5, 25.5, 26.5])
    (band,) = ax.collections
    assert band.get_label() == "prediction interval"
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() == 23.0 and ys.max() == 29.0
    assert ax.get_ylabel() == "sales"


def test_forecast_plot_of_periods_and_of_a_nan_interval():
    # A forecaster fitted on a PeriodIndex forecasts periods; matplotlib is
    # given their start dates. An interval the forecaster could not
    # calibrate (NaN bounds) draws no band.
    index = pd.period_range("2020-01", periods=24, freq="M")
    history = pd.Series(np.arange(24.0), index=index)
    frame = pd.DataFrame(
        {"forecast": [24.0, 25, 26], "lower": np.nan, "upper": np.nan},
        index=pd.period_range("2022-01", periods=3, freq="M"),
    )
    ax = plot_forecast(history, frame, truth=[24.5, 25.5, 26.5])
    hist, fc, truth = ax.get_lines()
    first = matplotlib.dates.num2date(fc.get_xdata(orig=False)[0])
    assert str(first.date()) == "2022-01-01"
    assert len(ax.collections) == 0
    assert "prediction interval" not in [t.get_text() for t in ax.get_legend().texts]


def test_learning_curve_marks_the_best_validated_epoch_after_a_warm_fit(rng):
    # Epochs of a first warm fit without a validation split score NaN.
    X, y = _xy(rng)
    reg = RNNRegressor(warm_start=True, **FAST).fit(X, y)
    reg.set_params(early_stopping=True, n_iter_no_change=50).fit(X, y)
    ax = plot_learning_curve(reg)
    best = ax.get_lines()[-1]
    assert best.get_xdata()[0] == np.nanargmin(reg.validation_scores_) + 1 > 6


def test_forecast_plot_from_arrays_continues_the_positions():
    ax = plot_forecast(
        np.arange(10.0), np.array([10.0, 11.0]), lower=[9, 10], upper=[11, 12]
    )
    hist, fc = ax.get_lines()
    np.testing.assert_array_equal(fc.get_xdata(), [10, 11])
    assert len(ax.collections) == 1
    # No interval without both bounds.
    ax2 = plot_forecast(np.arange(10.0), [10.0, 11.0], lower=[9, 10])
    assert len(ax2.collections) == 0


def test_forecast_plot_errors():
    dated = pd.Series(np.arange(5.0), index=pd.date_range("2020", periods=5, freq="D"))
    with pytest.raises(ValueError, match="non-integer index"):
        plot_forecast(dated, [1.0, 2.0])
    with pytest.raises(ValueError, match="truth has 3 values but forecast has 2"):
        plot_forecast(np.arange(5.0), [1.0, 2.0], truth=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="history must be 1-D"):
        plot_forecast(np.zeros((5, 2)), [1.0])
