# SPDX-License-Identifier: BSD-3-Clause
"""Panel covariates (static, past-only, known-future) and the series embedding."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sklearn_rnn import RNNRegressor
from sklearn_rnn._modules import SeriesEmbeddingNetwork
from sklearn_rnn.forecasting import PanelForecaster, PanelSplitter, mase_scorer
from sklearn_rnn.forecasting._covariates import Exogenous
from sklearn_rnn.persistence import load

TINY = dict(cell="gru", hidden_size=8, max_epochs=3, lr=1e-2, batch_size=64)
IDS = ["a", "b", "c", "d"]


def _promo_panel(n_series=4, n=48, seed=0):
    """Sales that double in promotion months; promotions are random."""
    rng = np.random.RandomState(seed)
    ids = IDS[:n_series]
    months = pd.period_range("2001-01", periods=n, freq="M")
    index = pd.MultiIndex.from_product([ids, months], names=["store", "month"])
    promo = rng.rand(len(index)) < 0.4
    base = np.repeat(10.0 * (1 + np.arange(n_series)), n)
    y = pd.Series(
        base * (1 + promo) * np.exp(0.02 * rng.randn(len(index))),
        index=index,
        name="sales",
    )
    X = pd.DataFrame(
        {
            "promo": promo,
            "region": np.repeat(["north", "south"] * (n_series // 2), n),
            "footfall": rng.rand(len(index)),
        },
        index=index,
    )
    return X, y


def _future(model, n, promo, seed=1):
    ids = model.series_ids_
    start = model._panel_meta.future(0, 1)[0]
    index = pd.MultiIndex.from_product(
        [ids, pd.period_range(start, periods=n, freq="M")], names=["store", "month"]
    )
    return pd.DataFrame(
        {
            "promo": np.full(len(index), promo),
            "region": "north",
            "footfall": np.random.RandomState(seed).rand(len(index)),
        },
        index=index,
    )


def _model(**params):
    params.setdefault("window", 6)
    params.setdefault("horizon", 3)
    params.setdefault("n_estimators", 1)
    return PanelForecaster(RNNRegressor(**TINY), random_state=0, **params)


def test_known_future_covariate_moves_the_forecast():
    X, y = _promo_panel(n=96)
    params = dict(TINY, hidden_size=16, max_epochs=40)
    model = PanelForecaster(
        RNNRegressor(**params), window=6, horizon=3, n_estimators=1, random_state=0
    )
    model.fit(X, y)
    on = model.predict(_future(model, 3, True))
    off = model.predict(_future(model, 3, False))
    # Sales double in promotion months: the network must have read it.
    assert np.median(on / off) > 1.5


def test_windows_read_past_covariates_only_before_their_origin():
    n, window, ahead = 20, 4, 3
    past = [np.arange(n, dtype=float)[:, None] + 1000]
    future = [np.arange(n + ahead, dtype=float)[:, None] + 5000]
    exog = Exogenous(future=future, past=past, static=np.array([[7.0]]))
    origins = np.array([4, 10, 17])
    series = np.zeros(3, dtype=int)
    x = np.zeros((3, window))
    inputs = exog.assemble(x, series, origins, window, ahead)
    # Features: target, future flag, future covariate, past covariate, static.
    assert inputs.shape == (3, window + ahead, 5)
    for row, t in enumerate(origins):
        np.testing.assert_array_equal(
            inputs[row, :window, 3], 1000 + np.arange(t - window, t)
        )
        assert (inputs[row, window:, 3] == 0).all()  # never a value at/after t
        np.testing.assert_array_equal(
            inputs[row, :, 2], 5000 + np.arange(t - window, t + ahead)
        )
        np.testing.assert_array_equal(inputs[row, :, 1], [0] * window + [1] * ahead)
        assert (inputs[row, window:, 0] == 0).all()
        assert (inputs[row, :, 4] == 7).all()
    with pytest.raises(ValueError, match="past covariates are known only up to"):
        exog.check_reach([n + ahead], ahead, ["s"])
    with pytest.raises(ValueError, match="future covariates for 3 more"):
        Exogenous(future=future).check_reach([n + ahead], ahead, ["s"])


def test_past_covariates_of_later_periods_do_not_change_the_fit():
    X, y = _promo_panel()
    cut = y.groupby(level=0).cumcount() < 40
    a = _model(past_covariates=["footfall"]).fit(X[cut], y[cut])
    changed = X.copy()
    changed.loc[~cut, "footfall"] = 99.0  # rows after every series' end
    b = _model(past_covariates=["footfall"]).fit(changed[cut], y[cut])
    future = X[~cut].groupby(level=0).head(3)
    np.testing.assert_array_equal(a.predict(future), b.predict(future))
    np.testing.assert_array_equal(
        a.predict(future), a.predict(future.assign(footfall=-5.0))
    )


def test_static_categorical_and_past_covariates_with_embedding_round_trip(tmp_path):
    X, y = _promo_panel()
    X_before, y_before = X.copy(), y.copy()
    model = _model(
        static_covariates=["region"], past_covariates=["footfall"], id_embedding=3
    ).fit(X, y)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)
    assert type(model.estimators_[0].net_.module_).__name__ == "SeriesEmbeddingNetwork"
    future = _future(model, 3, True)
    frame = model.forecast(X=future)
    assert len(frame) == 4 * 3 and np.isfinite(frame["forecast"]).all()
    model.save(tmp_path / "covariates.skrnn")
    loaded = load(tmp_path / "covariates.skrnn")
    np.testing.assert_array_equal(loaded.predict(future), model.predict(future))
    with pytest.raises(ValueError, match="past covariates are known only up to"):
        model.forecast(6, X=_future(model, 6, True))


def test_series_embedding_network_reads_the_code():
    torch.manual_seed(0)
    net = SeriesEmbeddingNetwork(
        input_size=1,
        n_series=3,
        embedding_size=2,
        output_size=1,
        cell="gru",
        hidden_size=4,
    )
    x = torch.zeros(2, 5, 2)
    x[1, :, 1] = 2.0  # the same values, another series
    out = net(x)
    assert out.shape == (2, 1)
    assert not torch.allclose(out[0], out[1])


def test_grid_search_over_the_embedding_with_covariates():
    X, y = _promo_panel()
    search = GridSearchCV(
        _model(calibration="none"),
        {"id_embedding": [0, 2]},
        cv=PanelSplitter(n_windows=2, horizon=3),
        scoring=mase_scorer,
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize(
    "change, params, message",
    [
        (
            lambda X: X.assign(
                promo=X["promo"].where(X.index.get_level_values(1).month != 3)
            ),
            {},
            "Covariate 'promo' is missing in the row",
        ),
        (
            lambda X: X.assign(footfall=np.where(np.arange(len(X)) == 5, np.inf, 1.0)),
            {},
            "Covariate 'footfall' is missing or infinite in the row",
        ),
        (
            lambda X: X,
            {"static_covariates": ["footfall"]},
            "Static covariate 'footfall' changes within series 'a'",
        ),
        (lambda X: X, {"past_covariates": ["weather"]}, r"\['weather'\]: not columns"),
        (
            lambda X: X,
            {"past_covariates": ["footfall"], "strategy": "recursive"},
            "past_covariates need strategy='direct'",
        ),
        (lambda X: X.iloc[:, :0], {"static_covariates": ["region"]}, "X has none"),
    ],
)
def test_bad_covariates_are_refused(change, params, message):
    X, y = _promo_panel()
    X = change(X)
    before = X.copy()
    with pytest.raises(ValueError, match=message):
        _model(**params).fit(X, y)
    pd.testing.assert_frame_equal(X, before)


def test_forecast_periods_need_their_future_covariates():
    X, y = _promo_panel()
    model = _model().fit(X, y)
    with pytest.raises(ValueError, match="reads known-future covariates"):
        model.forecast()
    future = _future(model, 3, True)
    with pytest.raises(
        ValueError, match=r"Series 'b': X has no covariates for 2005-03"
    ):
        model.predict(future.drop(("b", pd.Period("2005-03", "M"))))
    with pytest.raises(ValueError, match="known-future covariates"):
        model.predict(future.drop(columns="promo"))
    with pytest.raises(ValueError, match="'promo' is missing in the row"):
        model.predict(future.assign(promo=np.where(np.arange(12) == 4, np.nan, 1.0)))
    with pytest.raises(ValueError, match="'promo' is missing or infinite"):
        model.predict(future.assign(promo=np.where(np.arange(12) == 4, np.inf, 1.0)))
    # Rows of one series only: the others need none.
    assert model.predict(future.loc[["c"]]).shape == (3,)


def test_the_readme_panel_examples_run(capsys, monkeypatch):
    import re
    from pathlib import Path

    from sklearn_rnn.forecasting import _estimator

    # The README's default networks would train their 1,000-step budget on
    # this tiny panel (minutes): 6 epochs show that the code runs.
    monkeypatch.setattr(_estimator, "_MIN_STEPS", 0)

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    first = next(i for i, b in enumerate(blocks) if "PanelSplitter" in b)
    namespace = {}
    for block in blocks[first : first + 2]:  # the second reuses the first's data
        exec(compile(block, "README.md", "exec"), namespace)
    assert "static_covariates" in blocks[first + 1]
    assert namespace["model"].predict(namespace["X_future"]).shape == (36,)


def test_level_smoothing_reads_each_window_against_its_smoothed_level():
    torch.manual_seed(0)
    net = SeriesEmbeddingNetwork(
        input_size=1,
        n_series=2,
        level_smoothing=True,
        history_steps=4,
        target_mean=[0.5],
        target_scale=[2.0],
        output_size=1,
        cell="gru",
        hidden_size=4,
    )
    values = torch.tensor([[1.0, 2.0, 4.0, 8.0]])
    alpha = torch.sigmoid(net.level_logit.weight[1]).item()
    expected = 1.0  # the first value is the initial level
    for v in values[0, 1:]:
        expected = alpha * v.item() + (1 - alpha) * expected
    level = net._smoothed_level(torch.tensor([1]), values)
    assert level.item() == pytest.approx(expected, rel=1e-6)
    # The network reads the departure from the level, and the level (in the
    # standardised target's units) is added back.
    x = torch.stack([values, torch.ones_like(values)], 2)  # target, code 1
    shifted = x.clone()
    shifted[..., 0] += 3.0
    np.testing.assert_allclose((net(shifted) - net(x)).item(), 3.0 / 2.0, rtol=1e-5)


def test_panel_with_level_smoothing_learns_a_coefficient_per_series(tmp_path):
    X, y = _promo_panel()
    model = _model(level_smoothing=True, window=[4, 6], n_estimators=2).fit(None, y)
    module = model.estimators_[0].net_.module_
    alphas = torch.sigmoid(module.level_logit.weight).detach().ravel()
    assert len(alphas) == 4 and not torch.allclose(alphas, alphas[0])
    assert model.estimators_[1].net_.module_.history_steps == 6
    model.save(tmp_path / "es.skrnn")
    pd.testing.assert_frame_equal(
        load(tmp_path / "es.skrnn").forecast(), model.forecast()
    )


def test_a_constant_covariate_keeps_a_unit_scale():
    X, y = _promo_panel()
    model = _model(calibration="none").fit(X.assign(price=2.2), y)
    _, mean, scale = model._covariates.encodings_["price"]
    assert scale == 1.0 and mean == pytest.approx(2.2)
    rows = X.iloc[:2].assign(price=[2.2, 2.3])
    encoded = model._covariates.encode(rows, "future")
    np.testing.assert_allclose(encoded[:, -1], [0.0, 0.1], atol=1e-12)


@pytest.mark.parametrize("origins, n_held", [(1, 3), ("auto", 3 + 5 - 1)])
def test_the_calibration_network_never_sees_its_held_out_covariates(
    monkeypatch, origins, n_held
):
    # The interval's network forecasts `horizon` periods from each series'
    # last `origins` origins ("auto": 5 on 4 series): the past covariates of
    # the periods after the first of them reach neither its training nor the
    # scaling (its forecasts read them up to each origin, as they read y).
    X, y = _promo_panel()
    from_end = y.groupby(level=0).cumcount(ascending=False).to_numpy()
    trained = []
    train = PanelForecaster._train

    def spy(self, *args, **kwargs):
        trained.append(train(self, *args, **kwargs))
        return trained[-1]

    monkeypatch.setattr(PanelForecaster, "_train", spy)

    def fit(rows):
        trained.clear()
        changed = X.assign(footfall=np.where(rows, 50.0, X["footfall"]))
        model = _model(past_covariates=["footfall"], calibration_origins=origins)
        model.fit(changed, y)
        module = trained[0][0].net_.module_
        weights = np.concatenate(
            [p.detach().numpy().ravel() for p in module.parameters()]
        )
        return model, weights, model._covariates.encodings_["footfall"]

    a, weights_a, scaling_a = fit(np.zeros(len(y), bool))
    b, weights_b, scaling_b = fit(from_end < n_held)
    np.testing.assert_array_equal(weights_a, weights_b)
    assert scaling_a == scaling_b
    if origins == 1:  # then nothing the residuals read changed either
        np.testing.assert_array_equal(a.error_quantiles_, b.error_quantiles_)
    # The period before them is in its training data.
    _, weights_c, scaling_c = fit(from_end == n_held)
    assert not np.array_equal(weights_a, weights_c) and scaling_a != scaling_c


def test_an_unseen_category_at_forecast_time_warns():
    X, y = _promo_panel()
    model = _model(calibration="none").fit(X, y)
    future = _future(model, 3, True).assign(region="desert")
    with pytest.warns(UserWarning, match="'region' holds a value not seen in fit"):
        model.predict(future)
