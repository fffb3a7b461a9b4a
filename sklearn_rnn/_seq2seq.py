# SPDX-License-Identifier: BSD-3-Clause
"""Encoder-decoder estimator: sequences (or vectors) in, sequences out."""

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import lambertw
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.callbacks import Callback
from torch import nn

from sklearn_rnn._base import BaseSequenceEstimator, _whole_model
from sklearn_rnn._data import SequenceDataset, to_tensor
from sklearn_rnn._modules import (
    Seq2SeqNetwork,
    SequenceCrossEntropyLoss,
    WeightedCrossEntropy,
    WeightedSquaredError,
    beam_search,
    greedy_search,
)
from sklearn_rnn._parameters import (
    BACKBONE,
    Param,
    declare_parameters,
    store_parameters,
)
from sklearn_rnn._persistence import _spec
from sklearn_rnn._training import _INFERENCE_BATCH_SIZE, TrainingTask
from sklearn_rnn._validation import (
    FLOAT_DTYPES,
    as_token_lists,
    check_finite_output,
    check_numeric_sequences_target,
    check_token_kind,
    learn_vocabulary,
    require_token_lists,
    sequence_column,
)
from sklearn_rnn.utils._sklearn_compat import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

# Target token ids: the decoder starts from _BOS and stops at _EOS; the
# vocabulary learnt in fit follows.
_BOS, _EOS, _N_TARGET_SPECIALS = 0, 1, 2
# The parameters predict reads, which may change after fit.
_DECODING = ("decoding", "beam_width", "length_penalty", "max_output_length")
# Source token ids: 0 is never produced (padding), unseen tokens map to
# _UNK, and every source ends with _SRC_EOS so that even an empty string is a
# sequence of one step.
_UNK, _SRC_EOS, _N_SOURCE_SPECIALS = 1, 2, 3
_IGNORE_INDEX = -100  # padding of the targets, ignored by the loss


def _inverse_sigmoid_k(midpoint):
    """The ``k > 1`` with ``k / (k + exp(midpoint / k)) = 1 / 2``.

    That is ``k * log(k) = midpoint``: with ``k = exp(u)``, ``u * exp(u) =
    midpoint``, so ``u`` is Lambert's W of ``midpoint`` and ``k = midpoint /
    W(midpoint)``.
    """
    return float(midpoint / lambertw(midpoint).real)


class _TeacherForcingSchedule(Callback):
    """Set the decoder's teacher-forcing ratio at the start of each epoch.

    Epochs count from 1 within each call to ``fit``.
    """

    def __init__(self, ratio, kind, n_epochs):
        self.ratio = ratio
        self.kind = kind
        self.n_epochs = n_epochs

    def ratio_at(self, epoch):
        """Ratio of (1-based) ``epoch``."""
        epoch = min(epoch, self.n_epochs)
        if self.kind == "constant" or self.n_epochs == 1:
            return self.ratio
        if self.kind == "linear":
            return self.ratio * (self.n_epochs - epoch) / (self.n_epochs - 1)
        k = _inverse_sigmoid_k(self.n_epochs / 2)
        return self.ratio * k / (k + np.exp((epoch - 1) / k))

    def on_train_begin(self, net, **kwargs):
        self.epochs_before_ = len(net.history)

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - self.epochs_before_
        module = getattr(net.module_, "_orig_mod", net.module_)  # torch.compile
        module.teacher_forcing_ratio = float(self.ratio_at(epoch))


class _Seq2SeqDataset(SequenceDataset):
    """Sources, their lengths, and padded targets.

    A batch is ``({"X": ..., "lengths": ..., "target": y}, y)``: skorch passes
    the dictionary to the module's ``forward``, which needs the target for
    teacher forcing, and ``y`` to the loss.
    """

    def __init__(self, X, lengths, y, y_lengths=None, sample_weight=None):
        super().__init__(X, lengths, y, sample_weight=sample_weight)
        self.y_lengths = y_lengths

    def batch(self, idx):
        idx = self._rows(idx)
        X = self._inputs(idx)
        y = self.y[idx]
        Xi = {"X": X}
        if self.lengths is not None:
            lengths = self.lengths[idx]
            Xi = {"X": X[:, : int(lengths.max())], "lengths": lengths}
        if self.y_lengths is not None:
            y = y[:, : int(self.y_lengths[idx].max())]
        Xi["target"] = y
        return Xi, self.weighted(y, idx)


def _decode_batch(
    module, memory, mask, rep, *, numeric, n_steps, beam_width, length_penalty
):
    """Generate the outputs of one encoded batch.

    Numeric outputs: ``n_steps`` values, each fed back. Token outputs: ids
    of up to ``n_steps`` tokens and the end token, greedy or by beam search
    over ``beam_width`` prefixes.
    """
    state = module.init_state(rep)
    keys = module.precompute_keys(memory)
    if numeric:
        n_out = module.head.out_features

        def feed_back(previous, state):
            if previous.shape[-1] == n_out:  # an output: add the flag
                previous = module.next_inputs(previous)
            return module.step(previous, state, memory, mask, keys)

        start = module.start_inputs(len(rep), rep.device)
        return greedy_search(feed_back, state, start, n_steps)
    K = beam_width
    if K > 1:
        memory = memory.repeat_interleave(K, dim=0)
        mask = mask.repeat_interleave(K, dim=0)
        keys = None if keys is None else keys.repeat_interleave(K, dim=0)
        state = tuple(s.repeat_interleave(K, dim=0) for s in state)

    def step(previous, state):
        logits, state = module.step(previous, state, memory, mask, keys)
        logits[:, _BOS] = float("-inf")  # never generated
        return torch.log_softmax(logits, dim=-1), state

    start = module.start_inputs(len(rep) * K, rep.device)
    # One more step than tokens: the end token.
    if K > 1:
        tokens, _ = beam_search(
            step, state, start, n_steps + 1, _EOS, K, length_penalty
        )
        return tokens
    return greedy_search(step, state, start, n_steps + 1, eos=_EOS)


def _source_kind(X, input_type):
    """What the samples of ``X`` are, and their token lists for token input."""
    tokens = None
    if input_type == "tokens":
        tokens = require_token_lists(X, "X")
    elif input_type == "auto":
        tokens = as_token_lists(X, False, "X")
    if tokens is not None:
        return "tokens", tokens
    return ("sequence" if input_type == "auto" else input_type), None


def _criterion(target_kind, weighted):
    """The loss of token or numeric targets, with sample weights or not."""
    if target_kind == "tokens":
        return WeightedCrossEntropy if weighted else SequenceCrossEntropyLoss
    return WeightedSquaredError if weighted else nn.MSELoss


def _encode_tokens(tokens, index):
    """Source ids of token lists, each ended by ``_SRC_EOS``; unseen: ``_UNK``."""
    lengths = np.fromiter((len(s) + 1 for s in tokens), dtype=np.int64)
    ids = np.zeros((len(tokens), lengths.max()), dtype=np.int64)
    try:
        for row, seq in zip(ids, tokens):
            row[: len(seq)] = [index.get(t, _UNK) for t in seq]
            row[len(seq)] = _SRC_EOS
    except TypeError as exc:
        raise TypeError(f"The tokens of X must be hashable: {exc}") from None
    return ids, lengths


# The fitted state of one kind of target only: a refit on the other kind
# drops it, so that the model holds what a fresh fit would (and loads).
_NUMERIC_TARGET_STATE = ("_y_mean", "_y_scale", "_y_ndim", "_n_target_steps")
_TOKEN_TARGET_STATE = ("_target_is_str",)


def _forget(estimator, names):
    for name in names:
        estimator.__dict__.pop(name, None)


def _encode_token_targets(tokens, vocabulary):
    """Target ids of token lists, each ended by ``_EOS``; and the lengths."""
    index = {t: i + _N_TARGET_SPECIALS for i, t in enumerate(vocabulary)}
    lengths = np.fromiter((len(s) + 1 for s in tokens), dtype=np.int64)
    codes = np.full((len(tokens), lengths.max()), _IGNORE_INDEX, dtype=np.int64)
    for row, seq in zip(codes, tokens):
        row[: len(seq)] = [index[t] for t in seq]
        row[len(seq)] = _EOS
    return codes, lengths


def _score_numeric(y, y_pred, sample_weight):
    """R² averaged uniformly over the output values."""
    y = check_array(
        sequence_column(y),
        ensure_2d=False,
        allow_nd=True,
        dtype=np.float64,
        input_name="y",
    )
    if y.shape[1:] != y_pred.shape[1:]:
        raise ValueError(
            f"y has shape {y.shape}, but the predictions have shape {y_pred.shape}."
        )
    return r2_score(
        y.reshape(len(y), -1),
        y_pred.reshape(len(y_pred), -1),
        sample_weight=sample_weight,
    )


def _score_tokens(y, y_pred, sample_weight):
    """Share of outputs equal to their target, token for token."""
    tokens = require_token_lists(y, "y")
    if len(tokens) != len(y_pred):
        raise ValueError(f"y has {len(tokens)} samples but X has {len(y_pred)}.")
    matches = [list(p) == t for p, t in zip(y_pred, tokens)]
    return float(np.average(matches, weights=sample_weight))


def _encoded_batches(net, n_samples, batches):
    """Yield ``(module, n_rows, memory, mask, representation)`` batches.

    Every forward pass has ``_INFERENCE_BATCH_SIZE`` rows (the last batch
    is padded), so a sample's output does not depend on the batch (up to
    float rounding for inputs of different lengths, which the encoder
    packs: see ``BatchIterator``).
    """
    module = net.module_
    module.eval()
    starts = range(0, n_samples, _INFERENCE_BATCH_SIZE)
    with torch.no_grad():
        for start, (Xb, _) in zip(starts, batches):
            n = min(_INFERENCE_BATCH_SIZE, n_samples - start)
            lb = None
            if isinstance(Xb, dict):
                Xb, lb = Xb["X"], Xb["lengths"]
            memory, mask, rep = module.encode(Xb.to(net.device), lb)
            yield module, n, memory, mask, rep


def _fitted_precision(net):
    """Autocast for encoding and decoding, as in training.

    With ``precision="bfloat16"`` the decoder's steps at predict time run
    in the precision its training forward passes ran in. The precision
    is the fitted one, which the module holds, not the parameter's
    current value: as in RNNRegressor and RNNClassifier, whose modules
    autocast their own forward pass, ``precision`` is a setting of
    training, and the model predicts the way it was trained until it is
    fitted again.
    """
    dtype = net.module_.autocast_dtype
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(net.device).type, dtype=dtype)


def _token_codes(outs, n_steps):
    """Each decoded row's token ids, up to the end token or ``n_steps``."""
    codes = []
    for batch in outs:
        for row in batch.tolist():
            end = row.index(_EOS) if _EOS in row else n_steps
            codes.append(row[: min(end, n_steps)])
    return codes


def _token_outputs(codes, vocabulary, as_strings):
    """Decoded token ids as strings or token lists, in an object array."""
    out = np.empty(len(codes), dtype=object)
    for i, row in enumerate(codes):
        seq = [vocabulary[c - _N_TARGET_SPECIALS] for c in row]
        out[i] = "".join(seq) if as_strings else seq
    return out


def _numeric_outputs(values, y_ndim):
    """``(n, steps, outputs)`` values in the layout of the training ``y``."""
    check_finite_output(values)
    if y_ndim == 3:
        return values
    values = values[..., 0]
    if y_ndim == 1 and values.shape[1] == 1:
        return values[:, 0]
    return values


_OWN_PARAMETERS = {
    # The embeddings serve token input and token targets too.
    "embedding_dim": BACKBONE["embedding_dim"]._replace(
        doc="Size of the token embeddings of the input (token input) and of the "
        "decoder (token targets); None uses ``hidden_size``. With numeric "
        "``X`` it means, as in the other estimators, that ``X`` holds integer "
        "token ids, and ``predict`` raises a ValueError if it went from None "
        "to a size, or back, since ``fit``."
    ),
    "vocab_size": BACKBONE["vocab_size"]._replace(
        doc=BACKBONE["vocab_size"].doc
        + " Ignored for string or token input, whose vocabulary is learnt in fit."
    ),
    "attention": Param(
        None,
        [None, StrOptions({"luong", "bahdanau"})],
        '{"luong", "bahdanau"} or None',
        "Attention of the decoder over the encoder's outputs, which removes "
        'the fixed-size bottleneck on long inputs. ``"luong"`` is '
        "multiplicative attention read after each decoder step (trained on "
        'a whole target in one pass); ``"bahdanau"`` is additive attention '
        "fed into each step (trained step by step, slower).",
    ),
    "teacher_forcing_ratio": Param(
        1.0,
        [Interval(Real, 0, 1, closed="both")],
        "float in [0, 1]",
        "Probability, per sample and step in training, that the decoder is "
        "fed the true previous target rather than its own previous "
        "prediction. 1.0 is full teacher forcing; lower values expose the "
        "decoder to its own mistakes (scheduled sampling, Bengio et al., "
        "2015) at the cost of step-by-step training.",
    ),
    "teacher_forcing_schedule": Param(
        "constant",
        [StrOptions({"constant", "linear", "inverse_sigmoid"})],
        '{"constant", "linear", "inverse_sigmoid"}',
        "How the ratio changes over the epochs of each call to ``fit``, as "
        'in scheduled sampling: ``"constant"`` keeps '
        '``teacher_forcing_ratio``; ``"linear"`` lowers it in equal steps '
        "from ``teacher_forcing_ratio`` in epoch 1 to 0 in epoch "
        '``max_epochs``; ``"inverse_sigmoid"`` multiplies it by ``k / (k + '
        "exp((epoch - 1) / k))`` (epochs counted from 1), with ``k`` set so "
        "that it halves after ``max_epochs / 2`` epochs: a little below the "
        "ratio at first (``k / (k + 1)``: 0.79 of it for 10 epochs), then a "
        "quicker fall. With ``max_epochs=1`` both keep the ratio. A warm "
        "start runs the schedule again over its own epochs, from the "
        "current ``teacher_forcing_ratio``, and continues from the fitted "
        "weights when only these two parameters changed.",
    ),
    "decoding": Param(
        "greedy",
        [StrOptions({"greedy", "beam"})],
        '{"greedy", "beam"}',
        "How ``predict`` generates token outputs: the most likely token at "
        "each step, or beam search over ``beam_width`` prefixes ranked by "
        "their log-probability (see ``length_penalty``). Numeric outputs "
        "are always generated step by step from the previous value. The "
        "decoding parameters, ``max_output_length`` included, are read by "
        "``predict`` only, so they can be changed after ``fit`` with "
        "``set_params``.",
    ),
    "beam_width": Param(
        5,
        [Interval(Integral, 1, None, closed="left")],
        "int",
        "Number of unfinished prefixes kept per sample when "
        '``decoding="beam"``, and of finished outputs (those that produced '
        "the end token) kept aside as candidates until the search ends; 1 "
        "gives greedy decoding.",
    ),
    "length_penalty": Param(
        0.0,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Length normalisation of beam search: outputs are ranked by ``log P "
        "/ ((5 + length) / 6) ** length_penalty`` (Wu et al., 2016), the "
        "length and ``log P`` including the end token. 0 ranks by ``log "
        "P``, the most probable output the beam finds, which favours short "
        "outputs when their length varies; larger values favour longer "
        "ones. An output cut off at ``max_output_length`` without an end "
        "token is only returned when none of the beam's outputs ended.",
    ),
    "max_output_length": Param(
        None,
        [None, Interval(Integral, 1, None, closed="left")],
        "int",
        "Maximum number of tokens generated for token outputs; None uses "
        "the longest training target plus half of it (at least 2). Decoding "
        "stops earlier once every output has ended. For numeric outputs, "
        "the number of steps predicted; None uses the training target "
        "length. The default limit is learnt in ``fit`` "
        "(``max_output_length_``); this parameter is read by ``predict``.",
    ),
    "input_type": Param(
        "auto",
        [StrOptions({"auto", "tokens", "sequence", "vector"})],
        '{"auto", "tokens", "sequence", "vector"}',
        'What a sample of ``X`` is. ``"auto"``: strings and sequences of '
        "strings are token sequences, numeric arrays are numeric sequences "
        "(a 2-D array holds univariate sequences, one per row). "
        '``"tokens"``: strings or sequences of any hashable tokens. '
        '``"sequence"``: numeric sequences. ``"vector"``: each row of a 2-D '
        "numeric ``X`` is one feature vector (vector-to-sequence). "
        "``predict`` and ``transform`` take ``X`` of the kind seen in fit: "
        "numbers given to a model fitted on strings (or string tokens), or "
        "strings given to one fitted on numbers, raise a ValueError.",
    ),
    "output_type": Param(
        "auto",
        [StrOptions({"auto", "tokens", "sequence"})],
        '{"auto", "tokens", "sequence"}',
        'What a target of ``y`` is. ``"auto"``: strings and sequences of '
        "strings are token sequences, numbers are numeric sequences. "
        '``"tokens"`` forces token sequences (e.g. integer labels); '
        '``"sequence"`` numeric ones.',
    ),
}


@declare_parameters(_OWN_PARAMETERS)
class Seq2SeqTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseSequenceEstimator
):
    """Encoder-decoder recurrent network (sequence-to-sequence).

    An encoder reads each input and a decoder generates the output
    sequence one step at a time (Sutskever et al., 2014; Cho et al.,
    2014), optionally attending over the encoder's outputs (Bahdanau et
    al., 2015; Luong et al., 2015). Inputs and outputs may be:

    - strings (character level) or sequences of tokens, mapped to ids by
      vocabularies learnt in ``fit``; input tokens unseen in ``fit`` map
      to an unknown token; start and end tokens are handled internally;
    - numeric sequences (multi-step forecasting by seq2seq), the decoder
      reading its own previous output;
    - for the input only, plain feature vectors (``input_type="vector"``,
      vector-to-sequence): the vector initialises the decoder.

    ``predict`` returns decoded sequences (strings when trained on
    strings), ``transform`` the encoder's fixed-length representation, so
    the estimator also serves as a feature extractor in a Pipeline.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    input_vocabulary_ : list or None
        Input tokens learnt in fit, for token input.

    output_vocabulary_ : list or None
        Output tokens learnt in fit, for token targets.

    max_output_length_ : int
        Output length limit learnt from the training targets (see
        ``max_output_length``), which ``predict`` uses when
        ``max_output_length`` is None.


    {fitted_attributes}
    See Also
    --------
    RNNRegressor : One target vector per sequence, or synced per-step targets.
    RNNClassifier : One label per sequence, or synced per-step labels.

    Notes
    -----
    Numeric targets have one length: ``y`` of shape ``(n_samples,
    n_steps)`` (univariate) or ``(n_samples, n_steps, n_outputs)``. A 1-D
    numeric ``y`` (one number per sample, as scikit-learn's estimator
    checks send) is a target sequence of length 1, and ``predict`` then
    returns shape ``(n_samples,)``. Numeric targets are standardised
    internally and trained with the mean squared error; token targets
    with cross-entropy.

    ``score`` is the exact-match accuracy (the share of outputs equal to
    the target, token for token) for token targets, and for numeric
    targets R² averaged uniformly over the output values (each step and
    feature one output, as ``r2_score``'s ``multioutput="uniform_average"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import Seq2SeqTransformer
    >>> rng = np.random.RandomState(0)
    >>> X = ["".join(rng.choice(list("abc"), rng.randint(1, 5)))
    ...      for _ in range(300)]
    >>> y = [s[::-1] for s in X]                         # learn to reverse
    >>> s2s = Seq2SeqTransformer("gru", 32, attention="luong", lr=1e-2,
    ...                          max_epochs=30, random_state=0).fit(X, y)
    >>> s2s.predict(["abc", "cab"])
    array(['cba', 'bac'], dtype=object)
    >>> s2s.transform(["abc", "cab"]).shape              # encoder features
    (2, 32)
    """

    def __init__(
        self,
        cell="lstm",
        hidden_size=32,
        *,
        attention=None,
        num_layers=1,
        bidirectional=False,
        nonlinearity="tanh",
        dropout=0.0,
        forget_bias=1.0,
        embedding_dim=None,
        vocab_size=None,
        teacher_forcing_ratio=1.0,
        teacher_forcing_schedule="constant",
        decoding="greedy",
        beam_width=5,
        length_penalty=0.0,
        max_output_length=None,
        input_type="auto",
        output_type="auto",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=100,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        precision="float32",
        compile=False,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        store_parameters(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Fit the encoder-decoder to inputs ``X`` and output sequences ``y``.

        Parameters
        ----------
        X : list of str, list of token sequences, array-like of shape \
(n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list \
of arrays
            Input sequences (see ``input_type``); with
            ``input_type="vector"``, an array of shape ``(n_samples,
            n_features)``.

        y : list of str, list of token sequences, or array-like of shape \
(n_samples,), (n_samples, n_steps) or (n_samples, n_steps, n_outputs)
            Output sequences (see ``output_type`` and the Notes).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the (input, output) pairs, as in ``RNNRegressor.fit``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight)

    # ------------------------------------------------------------------
    # Inputs
    # ------------------------------------------------------------------
    def _validate_sequences(self, X, reset):
        if reset:
            kind, tokens = _source_kind(X, self.input_type)
            self._source_kind_ = kind
        else:
            check_is_fitted(self)
            kind = self._source_kind_
            if kind == "tokens":
                tokens = require_token_lists(X, "X")
                check_token_kind(tokens, self.input_vocabulary_, type(self).__name__)
        if kind == "tokens":
            return self._encode_source(tokens, reset)
        if kind == "vector":
            X = validate_data(self, X, reset=reset, dtype=FLOAT_DTYPES)
            self._check_layout(2, X.shape[1], None, reset)
            return X.astype(np.float32, copy=False), None
        if not reset and as_token_lists(X, False, "X") is not None:
            raise ValueError(
                "X holds strings or token sequences, but this "
                f"{type(self).__name__} was fitted on numeric input."
            )
        return super()._validate_sequences(X, reset)

    def _predict_layout_params(self):
        # Decoders always return sequences; embedding_dim only decides how
        # numeric X is read (token ids or values), not strings or vectors.
        if getattr(self, "_source_kind_", None) == "sequence":
            return super()._predict_layout_params()
        return {}

    def _encode_source(self, tokens, reset):
        if reset:
            self.input_vocabulary_ = learn_vocabulary(tokens, "X")
            self._input_index = {
                t: i + _N_SOURCE_SPECIALS for i, t in enumerate(self.input_vocabulary_)
            }
            self._check_layout("tokens", 1, None, reset=True)
        return _encode_tokens(tokens, self._input_index)

    # ------------------------------------------------------------------
    # Targets
    # ------------------------------------------------------------------
    def _encode_target(self, y, n_samples, lengths, n_timesteps):
        tokens = None
        if self.output_type in ("auto", "tokens"):
            tokens = as_token_lists(y, self.output_type == "tokens", "y")
        self.input_vocabulary_ = getattr(self, "input_vocabulary_", None)
        if self._source_kind_ != "tokens":
            self.input_vocabulary_ = self._input_index = None
        if tokens is not None:
            return self._encode_token_target(y, tokens)
        self.output_vocabulary_ = None
        self._target_kind_ = "numeric"
        _forget(self, _TOKEN_TARGET_STATE)
        y = check_numeric_sequences_target(y, self)
        self._y_ndim = y.ndim
        y3 = y.reshape(n_samples, -1, 1) if y.ndim < 3 else y
        self._n_target_steps = y3.shape[1]
        self.max_output_length_ = self._n_target_steps
        # Statistics of the training rows, not of the validation split.
        rows = self._training_rows(n_samples)
        weights = self._training_weights(rows, y3.shape[1])
        self._learn_target_scaling(y3[rows].reshape(-1, y3.shape[-1]), weights)
        y3 = (y3 - self._y_mean) / self._y_scale
        self._target_lengths = None
        return y3.astype(np.float32), y3.shape[-1]

    def _encode_token_target(self, y, tokens):
        self._target_kind_ = "tokens"
        _forget(self, _NUMERIC_TARGET_STATE)
        self._target_is_str = all(isinstance(s, str) for s in y)
        self.output_vocabulary_ = learn_vocabulary(tokens, "y")
        codes, self._target_lengths = _encode_token_targets(
            tokens, self.output_vocabulary_
        )
        longest = int(self._target_lengths.max()) - 1
        self.max_output_length_ = longest + max(2, longest // 2)
        return codes, len(self.output_vocabulary_) + _N_TARGET_SPECIALS

    def _extra_callbacks(self):
        """Callbacks of training: the teacher-forcing schedule."""
        # Also for a constant ratio: a warm start may follow a schedule.
        schedule = _TeacherForcingSchedule(
            self.teacher_forcing_ratio,
            self.teacher_forcing_schedule,
            self.max_epochs,
        )
        return [("teacher_forcing", schedule)]

    def _training_task(self, X, lengths, y, n_outputs):
        dataset = _Seq2SeqDataset(
            to_tensor(X),
            None if lengths is None else torch.from_numpy(lengths),
            to_tensor(y),
            None
            if self._target_lengths is None
            else torch.from_numpy(self._target_lengths),
            sample_weight=self._sample_weight_tensor(),
        )
        return TrainingTask(
            module=Seq2SeqNetwork,
            module_params=self._module_params(n_outputs),
            criterion=_criterion(self._target_kind_, dataset.sample_weight is not None),
            criterion_params={},
            dataset=dataset,
            callbacks=self._extra_callbacks(),
        )

    def _module_params(self, n_outputs):
        # Plain Python types, as in BaseRNN._module_params: torch's layers
        # refuse numpy integers and bools (a GridSearchCV over np.arange).
        embedding_dim = int(self.embedding_dim or self.hidden_size)
        params = dict(
            input_size=int(self._n_step_features),
            output_size=int(n_outputs),
            target="tokens" if self._target_kind_ == "tokens" else "numeric",
            source="vector" if self._source_kind_ == "vector" else "sequence",
            attention=self.attention,
            # Not teacher_forcing_ratio: a training setting, not part of the
            # network, which the schedule callback sets at each epoch (so a
            # warm start with a new ratio continues from the fitted weights).
            bos=_BOS,
            target_embedding_dim=embedding_dim,
            cell=self.cell,
            hidden_size=int(self.hidden_size),
            num_layers=int(self.num_layers),
            bidirectional=bool(self.bidirectional),
            dropout=float(self.dropout),
            nonlinearity=self.nonlinearity,
            forget_bias=float(self.forget_bias),
            autocast_dtype=self._autocast_dtype(),
        )
        if self._source_kind_ == "tokens":
            params.update(
                vocab_size=len(self.input_vocabulary_) + _N_SOURCE_SPECIALS,
                embedding_dim=embedding_dim,
            )
        elif self.embedding_dim is not None and self._source_kind_ != "vector":
            params.update(vocab_size=int(self.vocab_size_), embedding_dim=embedding_dim)
        return params

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _batches(self, X):
        """Yield ``(module, n_rows, memory, mask, representation)`` batches."""
        n_samples, _, batches = self._inference_batches(X)
        return _encoded_batches(self.net_, n_samples, batches)

    @_whole_model
    def transform(self, X):
        """Return the encoder's fixed-length representation of each input.

        For sequence input this is the final state of the encoder's last
        layer (both directions when bidirectional); for vector input, the
        learnt projection that initialises the decoder.

        Parameters
        ----------
        X : list of str, list of token sequences, or array-like
            Inputs, in the layout used in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The representations, float64.
        """
        check_is_fitted(self)
        with _fitted_precision(self.net_):
            out = [
                rep[:n].float().cpu().numpy() for _, n, _, _, rep in self._batches(X)
            ]
        return np.concatenate(out).astype(np.float64)

    @property
    def _n_features_out(self):
        """Number of features of ``transform``'s output."""
        return self.net_.module_.representation_size

    def _output_length(self):
        """Output length limit of ``predict``: the parameter, else the fitted one."""
        if self.max_output_length is None:
            return self.max_output_length_
        return self.max_output_length

    def _predict_codes(self, X):
        """Decoded outputs: token id lists, or a standardised value array."""
        # fit validated them, but set_params may have changed them since.
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in _DECODING},
            {name: getattr(self, name) for name in _DECODING},
            caller_name=type(self).__name__,
        )
        n_steps = self._output_length()
        decode = dict(
            numeric=self._target_kind_ == "numeric",
            n_steps=n_steps,
            beam_width=self.beam_width if self.decoding == "beam" else 1,
            length_penalty=self.length_penalty,
        )
        with _fitted_precision(self.net_):
            outs = [
                _decode_batch(module, memory, mask, rep, **decode)[:n].cpu()
                for module, n, memory, mask, rep in self._batches(X)
            ]
        if self._target_kind_ == "numeric":
            return torch.cat(outs).float().numpy().astype(np.float64)
        return _token_codes(outs, n_steps)

    @_whole_model
    def predict(self, X):
        """Generate the output sequence of each input.

        Parameters
        ----------
        X : list of str, list of token sequences, or array-like
            Inputs, in the layout used in ``fit``.

        Returns
        -------
        y_pred : ndarray
            For string targets, an object array of strings; for other token
            targets, an object array of token lists; for numeric targets,
            an array in the shape of the training ``y`` (with
            ``max_output_length`` steps when set).
        """
        check_is_fitted(self)
        codes = self._predict_codes(X)
        if self._target_kind_ == "numeric":
            return _numeric_outputs(codes * self._y_scale + self._y_mean, self._y_ndim)
        return _token_outputs(codes, self.output_vocabulary_, self._target_is_str)

    @_whole_model
    def score(self, X, y, sample_weight=None):
        """Exact-match accuracy (token targets) or R² (numeric targets).

        Parameters
        ----------
        X : list of str, list of token sequences, or array-like
            Test inputs.
        y : list of str, list of token sequences, or array-like
            True output sequences.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Share of outputs equal to their target (token targets), or R²
            averaged uniformly over the output values, each step and feature
            one output (numeric targets).
        """
        y_pred = self.predict(X)
        if self._target_kind_ == "numeric":
            return _score_numeric(y, y_pred, sample_weight)
        return _score_tokens(y, y_pred, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseSequenceEstimator._persisted_state,
        "_source_kind_": _spec.Str({"tokens", "sequence", "vector"}),
        "input_vocabulary_": _spec.Value(),
        "_input_index": _spec.Value(),
        "_target_kind_": _spec.Str({"tokens", "numeric"}),
        "_target_is_str": _spec.Bool(),
        "output_vocabulary_": _spec.Value(),
        "_target_lengths": _spec.Array((None,), kinds="iu", none=True),
        "max_output_length_": _spec.Int(0),
        "_y_ndim": _spec.Int(1, 3),
        "_n_target_steps": _spec.Int(0),
        "_y_mean": _spec.Array((_spec.N_OUTPUTS,), dtype="float64", finite=True),
        "_y_scale": _spec.Array((_spec.N_OUTPUTS,), dtype="float64", finite=True),
    }
