# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent network regressor."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array
from torch import nn

from sklearn_rnn._base import BaseRNN, _whole_model, warn_degenerate
from sklearn_rnn._data import pad_sequences
from sklearn_rnn._modules import MaskedMSELoss, WeightedSquaredError
from sklearn_rnn._parameters import (
    RNN_OWN,
    SEQUENCE_TO_VECTOR,
    declare_parameters,
    store_parameters,
)
from sklearn_rnn._persistence import _spec

_OWN_PARAMETERS = {
    "scale": SEQUENCE_TO_VECTOR["scale"]._replace(
        default=True,
        doc="Whether to standardise each input feature with its mean and "
        "standard deviation over every real time step of the training "
        "sequences (those of the validation split left out), as "
        ":class:`~sklearn_rnn.preprocessing.SequenceScaler` does in a "
        "pipeline, except that each sequence weighs its ``sample_weight``. "
        "On by default: regression inputs are often measurements "
        "far from zero (lagged values of a series, say), which saturate the "
        "gates of an unscaled network. It scored better on validation splits "
        "of the training data of Covid3Month and Tecator "
        "(``benchmarks/select_budget.py``) and of skforecast's lag table of "
        "the airline series (``benchmarks/bench_skforecast.py --validate``). "
        "Ignored with ``embedding_dim`` set (token ids are not scaled).",
    ),
}


@declare_parameters({**RNN_OWN, **_OWN_PARAMETERS})
class RNNRegressor(RegressorMixin, BaseRNN):
    """Recurrent neural network regressor (LSTM, GRU or Elman RNN).

    Sequence-to-vector: each sequence of ``X`` gets one target, a scalar or a
    vector (several outputs, e.g. a multi-step forecast). With
    ``return_sequences=True`` each time step gets a target (synced
    sequence-to-sequence). Targets are standardised internally and
    predictions are returned in the original units and shape of ``y``.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {fitted_attributes}

    See Also
    --------
    RNNClassifier : The classifier with the same backbone.
    sklearn.neural_network.MLPRegressor : Feed-forward network regressor.

    Notes
    -----
    ``y`` may be of shape ``(n_samples,)`` or ``(n_samples, n_outputs)``, or,
    with ``return_sequences=True``, ``(n_samples, n_timesteps)``,
    ``(n_samples, n_timesteps, n_outputs)`` or a list of per-sequence arrays
    matching a variable-length ``X``. ``predict`` returns the same layout.

    {reliability_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 8))       # 200 sequences of 8 steps
    >>> y = X.sum(axis=1)                             # target: their sum
    >>> reg = RNNRegressor(hidden_size=16, max_epochs=40, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    def __init__(
        self,
        cell="lstm",
        hidden_size=32,
        *,
        num_layers=1,
        bidirectional=False,
        nonlinearity="tanh",
        dropout=0.0,
        forget_bias=1.0,
        embedding_dim=None,
        vocab_size=None,
        return_sequences=False,
        pooling="last",
        scale=True,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=300,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        min_steps=500,
        tol=1e-4,
        device="cpu",
        precision="float32",
        compile=False,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        store_parameters(self, locals())

    def _encode_target(self, y, n_samples, lengths, n_timesteps):
        if self.return_sequences:
            steps = [
                check_array(t, ensure_2d=False, dtype=np.float64, input_name="y")
                for t in self._per_step_targets(y, lengths, n_timesteps)
            ]
            self._y_ndim = steps[0].ndim + 1
            steps = [t.reshape(len(t), -1) for t in steps]
            y2, _ = pad_sequences(steps, np.float64)
            if lengths is not None:
                for row, n in zip(y2, lengths):
                    row[n:] = np.nan  # padding: ignored by the loss
            # Statistics of the training rows, not of the validation split.
            rows = self._training_rows(n_samples)
            flat = y2[rows].reshape(-1, y2.shape[-1])
            weights = self._training_weights(rows, y2.shape[1])
        else:
            y = check_array(
                y, ensure_2d=False, allow_nd=True, dtype=np.float64, input_name="y"
            )
            if y.ndim > 2:
                raise ValueError(
                    f"y must be 1-D or 2-D (n_samples, n_outputs); got shape "
                    f"{y.shape}. Several outputs per sample (make_windows' "
                    "(n_windows, horizon, n_targets) targets, say) go in one row "
                    "each: y.reshape(len(y), -1). Targets for every input step "
                    "need return_sequences=True."
                )
            self._y_ndim = y.ndim
            y2 = y.reshape(n_samples, -1)
            rows = self._training_rows(n_samples)
            flat, weights = y2[rows], self._training_weights(rows)
        self._learn_target_scaling(flat, weights)
        y2 = (y2 - self._y_mean) / self._y_scale
        return y2.astype(np.float32), y2.shape[-1]

    def _warn_if_degenerate(self, outputs, y):
        # R² in the standardised units the network was trained in.
        score = r2_score(y, outputs.reshape(y.shape))
        if score <= 0:
            warn_degenerate(
                self,
                f"has a training R² of {score:.3f}, no better than always "
                "predicting the mean target (R² = 0)",
            )

    def _criterion(self):
        if self._sample_weight_tensor() is not None:
            return WeightedSquaredError, {}
        if self.return_sequences:
            return MaskedMSELoss, {}
        return nn.MSELoss, {}

    @_whole_model
    def predict(self, X):
        """Predict targets for the sequences in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Sequences, in the layout used in ``fit``.

        Returns
        -------
        y_pred : ndarray or list of ndarray
            Predictions in the shape of the training ``y``: ``(n_samples,)``
            or ``(n_samples, n_outputs)``; per step ``(n_samples,
            n_timesteps[, n_outputs])``, or a list of per-sequence arrays
            for variable-length ``X``.
        """
        out, lengths = self._forward(X)
        out = out * self._y_scale + self._y_mean
        if not self.return_sequences:
            return out.ravel() if self._y_ndim == 1 else out
        if self._y_ndim == 2:
            out = out[..., 0]
        if lengths is None:
            return out
        return [row[:n] for row, n in zip(out, lengths)]

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination R² of the predictions.

        With ``return_sequences=True`` every (sequence, time step) pair
        counts as one sample.

        Parameters
        ----------
        X : array-like or list of arrays
            Test sequences.
        y : array-like or list of arrays
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; not supported with ``return_sequences=True``.

        Returns
        -------
        score : float
            R² of ``self.predict(X)`` against ``y``.
        """
        if not self.return_sequences:
            return super().score(X, y, sample_weight=sample_weight)
        return self._score_per_step(X, y, r2_score, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseRNN._persisted_state,
        "_y_ndim": _spec.Int(1, 3),
        "_y_mean": _spec.Array((_spec.N_OUTPUTS,), dtype="float64", finite=True),
        "_y_scale": _spec.Array((_spec.N_OUTPUTS,), dtype="float64", finite=True),
    }
