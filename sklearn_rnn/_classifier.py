# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent network classifier."""

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from sklearn_rnn._base import BaseRNN, _whole_model, warn_degenerate
from sklearn_rnn._modules import SequenceCrossEntropyLoss, WeightedCrossEntropy
from sklearn_rnn._parameters import (
    RNN_OWN,
    SEQUENCE_TO_VECTOR,
    TRAINING,
    Param,
    declare_parameters,
    store_parameters,
)
from sklearn_rnn._persistence import _spec
from sklearn_rnn.utils._sklearn_compat import StrOptions

_IGNORE_INDEX = -100  # CrossEntropyLoss' default for "no label here"


_OWN_PARAMETERS = {
    "class_weight": Param(
        None,
        [dict, StrOptions({"balanced"}), None],
        'dict, "balanced" or None',
        "Weights of the classes in the loss, ``{label: weight}``; "
        '"balanced" uses weights inversely proportional to class frequencies.',
    ),
    "pooling": SEQUENCE_TO_VECTOR["pooling"]._replace(
        default="max",
        doc=SEQUENCE_TO_VECTOR["pooling"].doc
        + ' The default, ``"max"``, scored best on validation splits of the '
        "training data of JapaneseVowels and OSULeaf "
        "(``benchmarks/select_budget.py``, ``benchmarks/select_pooling.py``).",
    ),
    "validation_split": TRAINING["validation_split"]._replace(
        default="stratified",
        constraints=[StrOptions({"last", "shuffle", "stratified"})],
        type='{"last", "shuffle", "stratified"}',
        doc=TRAINING["validation_split"].doc.rstrip(".")
        + ', ``"stratified"`` (the default) a random subset with the class '
        "proportions of ``y`` (every class needs at least 2 samples), so that "
        "a training set sorted by class still validates on every class.",
    ),
}


@declare_parameters({**RNN_OWN, **_OWN_PARAMETERS})
class RNNClassifier(ClassifierMixin, BaseRNN):
    """Recurrent neural network classifier (LSTM, GRU or Elman RNN).

    Sequence-to-vector: each sequence of ``X`` gets one label. With
    ``return_sequences=True`` each time step gets a label (synced sequence
    labelling). Labels may be any hashable values (strings, integers); the
    network is trained with cross-entropy on their codes and predictions are
    returned as the original labels.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    {fitted_attributes}

    See Also
    --------
    RNNRegressor : The regressor with the same backbone.
    sklearn.neural_network.MLPClassifier : Feed-forward network classifier.

    Notes
    -----
    **Labels never seen in fit** are never predicted: ``predict`` returns
    elements of ``classes_`` only, and ``score`` counts a sample whose
    true label is not in ``classes_`` as misclassified (labels of
    another type, numbers against strings, raise a ValueError).

    {reliability_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 10))               # 200 sequences of 10 steps
    >>> y = np.where(X.cumsum(axis=1)[:, -1] > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=16, max_epochs=30, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
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
        pooling="max",
        scale=False,
        class_weight=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=300,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="stratified",
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
                check_array(
                    t, ensure_2d=False, dtype=None, input_name="y", estimator=self
                )
                for t in self._per_step_targets(y, lengths, n_timesteps)
            ]
            if any(t.ndim != 1 for t in steps):
                raise ValueError(
                    "With return_sequences=True, y must hold one label per time "
                    "step: shape (n_samples, n_timesteps) or a list of 1-D arrays."
                )
            labels = np.concatenate(steps)
        else:
            y = check_array(
                y, ensure_2d=False, dtype=None, input_name="y", estimator=self
            )
            labels = column_or_1d(y, warn=True)
        check_classification_targets(labels)
        encoder = LabelEncoder().fit(labels)
        if self.warm_start and hasattr(self, "classes_"):
            previous = self.classes_
            if len(previous) != len(encoder.classes_) or np.any(
                previous != encoder.classes_
            ):
                # The output units stand for the previous classes.
                raise ValueError(
                    "warm_start can only be used where y has the same classes as "
                    f"in the previous call to fit. Previously got "
                    f"{previous.tolist()}, y has {encoder.classes_.tolist()}."
                )
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                f"the data, but the data contains only one class: "
                f"{self.classes_[0]!r}."
            )
        codes = encoder.transform(labels)
        weights = getattr(self, "_fit_sample_weight", None)
        if weights is not None and self.return_sequences:
            weights = np.repeat(weights, [len(t) for t in steps])
        self._class_weights = self._compute_class_weight(codes, weights)
        if not self.return_sequences:
            return codes.astype(np.int64), len(self.classes_)
        width = n_timesteps
        target = np.full((n_samples, width), _IGNORE_INDEX, dtype=np.int64)
        start = 0
        for row, t in zip(target, steps):
            row[: len(t)] = codes[start : start + len(t)]
            start += len(t)
        return target, len(self.classes_)

    def _compute_class_weight(self, codes, sample_weight=None):
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            # Weighted class frequencies, as in scikit-learn; a class whose
            # sample weights are all zero gets an infinite weight there,
            # which times those zeros would make the loss NaN: it counts for
            # nothing either way.
            weights = compute_class_weight(
                "balanced",
                classes=np.arange(len(self.classes_)),
                y=codes,
                sample_weight=sample_weight,
            )
            return np.where(np.isfinite(weights), weights, 0.0)
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(map(str, unknown))} that are "
                f"not in the training classes {self.classes_.tolist()}."
            )
        weights = [self.class_weight.get(c, 1.0) for c in self.classes_]
        return np.array(weights, dtype=np.float64)

    def _criterion(self):
        # Always named, None included: a warm fit sets it on the net again.
        weight = None
        if self._class_weights is not None:
            weight = torch.tensor(self._class_weights, dtype=torch.float32)
        if self._sample_weight_tensor() is not None:
            return WeightedCrossEntropy, {"weight": weight}
        return SequenceCrossEntropyLoss, {"weight": weight}

    def _validation_labels(self, y):
        if not self.return_sequences:
            return y
        if self.early_stopping and self.validation_split == "stratified":
            raise ValueError(
                "validation_split='stratified' needs one label per sequence; "
                "with return_sequences=True use 'last' or 'shuffle'."
            )
        return None

    def _warn_if_degenerate(self, outputs, y):
        predicted = outputs.argmax(axis=1)
        majority = np.bincount(y).max() / len(y)
        accuracy = np.mean(predicted == y)
        if np.all(predicted == predicted[0]):
            label = self.classes_[predicted[:1]].tolist()[0]  # a Python value
            problem = (
                f"predicts the single class {label!r} for every one of the "
                f"{len(y)} training sequences checked"
            )
        elif accuracy <= majority:
            problem = (
                f"has a training accuracy of {accuracy:.3f}, no better than "
                f"always predicting the most frequent class ({majority:.3f})"
            )
        else:
            return
        warn_degenerate(self, problem)

    @_whole_model
    def predict_proba(self, X):
        """Return the class probabilities of each sequence (or time step).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Sequences, in the layout used in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Probabilities in the order of ``classes_``. Per step:
            ``(n_samples, n_timesteps, n_classes)``, or a list of
            ``(n_timesteps_i, n_classes)`` arrays for variable-length ``X``.
        """
        logits, lengths = self._forward(X)
        proba = softmax(logits, axis=-1)
        if lengths is None or not self.return_sequences:
            return proba
        return [row[:n] for row, n in zip(proba, lengths)]

    @_whole_model
    def predict(self, X):
        """Predict the label of each sequence (or each time step).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Sequences, in the layout used in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or list of ndarray
            Predicted labels; per step ``(n_samples, n_timesteps)``, or a list
            of 1-D arrays for variable-length ``X``.
        """
        proba = self.predict_proba(X)
        if isinstance(proba, list):
            return [self.classes_[p.argmax(axis=-1)] for p in proba]
        return self.classes_[proba.argmax(axis=-1)]

    def score(self, X, y, sample_weight=None):
        """Return the accuracy of the predictions.

        With ``return_sequences=True`` every (sequence, time step) pair
        counts as one sample.

        Parameters
        ----------
        X : array-like or list of arrays
            Test sequences.
        y : array-like or list of arrays
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; not supported with ``return_sequences=True``.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)`` against ``y``.
        """
        if not self.return_sequences:
            return super().score(X, y, sample_weight=sample_weight)
        return self._score_per_step(X, y, accuracy_score, sample_weight)

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseRNN._persisted_state,
        "classes_": _spec.Array((_spec.N_OUTPUTS,), kinds="biufUO"),
        "_class_weights": _spec.Array(
            (_spec.N_OUTPUTS,), dtype="float64", finite=True, none=True
        ),
    }
