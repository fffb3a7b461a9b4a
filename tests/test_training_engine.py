# SPDX-License-Identifier: BSD-3-Clause
"""The training engine on plain objects, and the declared parameters."""

import inspect

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator

from sklearn_rnn import RNNClassifier, RNNRegressor, Seq2SeqTransformer
from sklearn_rnn._base import BaseRNN
from sklearn_rnn._data import SequenceDataset
from sklearn_rnn._modules import RecurrentNetwork
from sklearn_rnn._parameters import SHARED, declare_parameters, store_parameters
from sklearn_rnn._training import (
    _OPTIMIZERS,
    TrainingSettings,
    TrainingTask,
    train,
    training_history,
)
from sklearn_rnn.lm._neural import RecurrentBackbone, WindowBackbone
from sklearn_rnn.persistence import PersistenceMixin

ESTIMATORS = [RNNRegressor, RNNClassifier, Seq2SeqTransformer]


def _task(rng, n=40, T=5):
    X = torch.from_numpy(rng.normal(size=(n, T, 1)).astype(np.float32))
    y = X.sum(dim=(1, 2))[:, None]
    params = dict(input_size=1, output_size=1, cell="gru", hidden_size=4)
    return TrainingTask(
        module=RecurrentNetwork,
        module_params=params,
        criterion=torch.nn.MSELoss,
        criterion_params={},
        dataset=SequenceDataset(X, None, y),
    )


def test_engine_trains_plain_objects_reproducibly(rng):
    task = _task(rng)
    settings = TrainingSettings(max_epochs=3, lr=1e-2)
    torch.manual_seed(11)
    state = torch.get_rng_state()
    a = train(task, settings, seed=5)
    b = train(task, settings, seed=5)
    c = train(task, settings, seed=6)
    assert torch.equal(torch.get_rng_state(), state)
    for pa, pb, pc in zip(
        a.module_.parameters(), b.module_.parameters(), c.module_.parameters()
    ):
        assert torch.equal(pa, pb)
    assert not all(
        torch.equal(pa, pc)
        for pa, pc in zip(a.module_.parameters(), c.module_.parameters())
    )
    history = training_history(a, early_stopping=False)
    assert history["n_iter_"] == 3 and history["validation_scores_"] is None
    assert history["best_loss_"] == min(history["loss_curve_"])


def test_engine_warm_start_continues_and_restores_on_failure(rng):
    task = _task(rng)
    net = train(task, TrainingSettings(max_epochs=2), seed=0)
    weights = [p.detach().clone() for p in net.module_.parameters()]
    assert train(task, TrainingSettings(max_epochs=1), seed=0, warm_net=net) is net
    assert len(net.history) == 3
    moved = [p.detach().clone() for p in net.module_.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(weights, moved))
    with pytest.raises(ValueError, match="diverged"):
        train(
            task,
            TrainingSettings(max_epochs=2, optimizer="sgd", lr=1e30),
            seed=0,
            warm_net=net,
        )
    assert len(net.history) == 3
    for a, b in zip(moved, net.module_.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("Estimator", [RNNRegressor, Seq2SeqTransformer])
def test_early_stopping_keeps_the_lowest_loss_whatever_tol(rng, Estimator):
    # tol decides what counts as a miss; the weights kept are those of the
    # lowest validation loss, as in scikit-learn's MLP (skorch kept the
    # last epoch that improved by tol).
    X = rng.normal(size=(80, 6))
    y = X.sum(axis=1)
    params = dict(hidden_size=8, max_epochs=40, lr=1e-2, early_stopping=True)
    params.update(n_iter_no_change=3, tol=0.05, random_state=0)
    if Estimator is RNNRegressor:
        params["min_steps"] = 0  # Seq2SeqTransformer has none
    est = Estimator(**params)
    y = y if Estimator is RNNRegressor else X[:, :3].cumsum(axis=1)
    est.fit(X, y)
    assert est.best_loss_ == np.nanmin(est.validation_scores_)


def test_settings_come_from_the_parameters():
    settings = TrainingSettings.from_params(
        RNNRegressor(lr=0.5, max_epochs=7, cell="gru").get_params(), name="x"
    )
    assert (settings.lr, settings.max_epochs, settings.name) == (0.5, 7, "x")
    assert set(SHARED["optimizer"].constraints[0].options) == set(_OPTIMIZERS)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_parameters_are_declared_once(Estimator):
    signature = inspect.signature(Estimator.__init__).parameters
    names = [n for n in signature if n != "self"]
    assert list(Estimator._parameter_constraints) == names
    doc = Estimator.__doc__
    for name in names:
        assert f"\n    {name} : " in doc, name
        if name in SHARED and name not in ("embedding_dim", "vocab_size"):
            assert Estimator._parameter_constraints[name] is not None
    est = Estimator()
    assert est.get_params() == {n: signature[n].default for n in names}
    assert "{" + "parameters}" not in doc


def test_seq2seq_declares_only_its_own_parameters():
    params = Seq2SeqTransformer().get_params()
    assert "return_sequences" not in params
    assert "return_sequences" not in Seq2SeqTransformer._parameter_constraints
    assert "return_sequences :" not in Seq2SeqTransformer.__doc__
    assert not issubclass(Seq2SeqTransformer, BaseRNN)
    assert "teacher_forcing_ratio" in params


def test_a_signature_that_disagrees_with_the_declaration_is_refused():
    class Wrong(BaseEstimator):
        """{parameters}"""

        def __init__(self, lr=0.5):
            store_parameters(self, locals())

    with pytest.raises(TypeError, match="default of 'lr' is 0.5, declared 0.001"):
        declare_parameters()(Wrong)

    class Unknown(BaseEstimator):
        """{parameters}"""

        def __init__(self, colour="red"):
            store_parameters(self, locals())

    with pytest.raises(TypeError, match="'colour' is not declared"):
        declare_parameters()(Unknown)


def test_store_parameters_sets_every_parameter_as_given():
    hidden, weights = np.int64(2), {0: 1.0}
    est = RNNClassifier(class_weight=weights, hidden_size=hidden)
    assert est.hidden_size is hidden and est.class_weight is weights


def test_backbones_take_only_their_parameters():
    common = dict(embedding_dim=4, hidden_size=4, max_epochs=1, random_state=0)
    recurrent = RecurrentBackbone("gru", num_layers=2, **common)
    window = WindowBackbone(**common)
    for backbone in (recurrent, window):
        assert not isinstance(backbone, (BaseRNN, PersistenceMixin))
        params = backbone.get_params()
        assert "return_sequences" not in params and "bidirectional" not in params
        assert set(params) == set(type(backbone)._parameter_constraints)
    assert "cell" not in window.get_params()
    with pytest.raises(TypeError, match="return_sequences"):
        RecurrentBackbone(return_sequences=True, **common)
    ids = np.array([0, 1, 2, 1, 0, 2, 2], dtype=np.int64)
    lengths = np.array([3, 4])
    recurrent.fit_tokens(ids, lengths, n_classes=4, width=4, eos=3)
    assert recurrent.n_iter_ == 1 and recurrent.net_.module_.carried is None
    window.fit_tokens(ids, lengths, n_classes=4, width=2, eos=3)
    assert np.all(np.isfinite(window.log_probs(ids, lengths)))
