# SPDX-License-Identifier: BSD-3-Clause
"""The panel's network: an ``RNNRegressor`` with its loss and a series embedding."""

import dataclasses

import numpy as np
import torch

from sklearn_rnn._modules import SeriesEmbeddingNetwork, _weighted_mean
from sklearn_rnn._persistence import _spec
from sklearn_rnn._regressor import RNNRegressor


class AbsoluteLoss(torch.nn.Module):
    """Mean absolute error: the loss aligned with sMAPE and MASE."""

    def forward(self, y_pred, y_true):
        if isinstance(y_true, dict):  # {"target": y, "sample_weight": w}
            errors = torch.abs(y_pred - y_true["target"])
            return _weighted_mean(
                errors, torch.ones_like(errors), y_true["sample_weight"]
            )
        return torch.mean(torch.abs(y_pred - y_true))


class SeriesEmbeddingRegressor(RNNRegressor):
    """``RNNRegressor`` whose network learns parameters per series.

    The input's last feature is the series' code (``0 .. n_series - 1``),
    read by :class:`~sklearn_rnn._modules.SeriesEmbeddingNetwork` and never
    scaled: a vector per series (``embedding_size``) and, with
    ``level_smoothing``, a smoothing coefficient per series for the level
    each window is read against. Built by ``PanelForecaster`` (see
    :meth:`configure`), not by users.
    """

    def configure(self, n_series, embedding_size, loss, level_smoothing, window):
        self.panel_embedding_ = (
            int(n_series),
            int(embedding_size),
            bool(level_smoothing),
            int(window),
        )
        self.panel_loss_ = loss
        return self

    def _criterion(self):
        if self.panel_loss_ != "mse":
            return AbsoluteLoss, {}
        return super()._criterion()

    def _module_params(self, n_outputs):
        params = super()._module_params(n_outputs)
        n_series, size, smoothing, window = self.panel_embedding_
        params.update(
            input_size=params["input_size"] - 1,
            n_series=n_series,
            embedding_size=size,
        )
        if smoothing:
            params.update(
                level_smoothing=True,
                history_steps=window,
                target_mean=[float(v) for v in np.ravel(self._y_mean)],
                target_scale=[float(v) for v in np.ravel(self._y_scale)],
            )
        return params

    def _training_task(self, X, lengths, y, n_outputs):
        task = super()._training_task(X, lengths, y, n_outputs)
        return dataclasses.replace(task, module=SeriesEmbeddingNetwork)

    def _learn_input_scaling(self, X, lengths, y, n_outputs):
        super()._learn_input_scaling(X, lengths, y, n_outputs)
        if self._x_mean is not None:  # the code is an id, not a measurement
            self._x_mean[-1], self._x_scale[-1] = 0.0, 1.0
            if self.panel_embedding_[2]:  # the smoothed level is the target's
                self._x_mean[0], self._x_scale[0] = 0.0, 1.0

    _persisted_state = {
        **RNNRegressor._persisted_state,
        "panel_embedding_": _spec.Value(),
        "panel_loss_": _spec.Str({"mae", "mse", "mase"}),
    }
