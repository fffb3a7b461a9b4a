# SPDX-License-Identifier: BSD-3-Clause
"""PyTorch modules behind the estimators.

Only ``torch.nn`` code lives here: no numpy, no scikit-learn. Every module is
batch-first, ``(batch, time, features)``, and returns raw outputs (regression
values or logits); turning them into predictions is the estimator's job.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _make_rnn(
    cell,
    input_size,
    hidden_size,
    num_layers,
    dropout,
    nonlinearity,
    bidirectional=False,
):
    """A batch-first torch LSTM, GRU or Elman RNN (``nonlinearity`` for "rnn")."""
    kwargs = dict(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        # torch only applies dropout between layers, and warns when there is
        # a single layer; the modules add their own dropout on the outputs,
        # so there is nothing to warn about.
        dropout=dropout if num_layers > 1 else 0.0,
        batch_first=True,
    )
    if cell == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    return _CELLS[cell](**kwargs)


def _init_forget_bias(lstm, value):
    """Set the forget-gate bias of every layer of ``lstm`` to ``value``."""
    # PyTorch orders the LSTM gates (input, forget, cell, output) and has two
    # bias vectors; their sum is the effective bias, so put the whole value on
    # one of them.
    hidden = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[hidden : 2 * hidden].fill_(value)
            elif name.startswith("bias_hh"):
                param[hidden : 2 * hidden].zero_()


class RecurrentEncoder(nn.Module):
    """Embedding (optional) followed by a stacked recurrent layer.

    Parameters
    ----------
    input_size : int
        Number of features per time step (ignored when ``vocab_size`` is set).
    cell : {"lstm", "gru", "rnn"}
        Recurrent cell; ``"rnn"`` is the Elman network.
    hidden_size, num_layers, bidirectional, dropout : see ``torch.nn.LSTM``.
    nonlinearity : {"tanh", "relu"}
        Activation of the ``"rnn"`` cell.
    forget_bias : float
        Initial value of the LSTM forget-gate bias (Jozefowicz et al., 2015):
        a positive value keeps the cell state flowing early in training.
    vocab_size, embedding_dim : int or None
        When both are set, inputs are integer token ids that go through an
        ``nn.Embedding`` first.

    Inputs: ``X`` of shape ``(N, L, input_size)`` (or ``(N, L)`` token ids) and
    optional ``lengths`` of shape ``(N,)`` for padded, variable-length batches.

    Outputs: ``(outputs, summary)`` where ``outputs`` is ``(N, L, D * H)`` (zero
    past each sequence's end) and ``summary`` is ``(N, D * H)``, the last
    layer's final state of each direction, taken at each sequence's true end.
    """

    def __init__(
        self,
        input_size,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        forget_bias=1.0,
        vocab_size=None,
        embedding_dim=None,
    ):
        super().__init__()
        self.embedding = None
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            input_size = embedding_dim
        self.rnn = _make_rnn(
            cell,
            input_size,
            hidden_size,
            num_layers,
            dropout,
            nonlinearity,
            bidirectional=bidirectional,
        )
        self.num_directions = 2 if bidirectional else 1
        self.output_size = hidden_size * self.num_directions
        if cell == "lstm":
            _init_forget_bias(self.rnn, forget_bias)

    def forward(self, X, lengths=None):
        outputs, h_n = self.run(X, lengths)
        if isinstance(h_n, tuple):  # LSTM returns (h_n, c_n)
            h_n = h_n[0]
        # h_n is (num_layers * D, N, H); keep the last layer's D directions.
        summary = h_n[-self.num_directions :].transpose(0, 1)
        summary = summary.reshape(X.shape[0], self.output_size)
        return outputs, summary

    def run(self, X, lengths=None, state=None):
        """Return ``(outputs, final_state)``, starting from ``state``.

        ``state`` and ``final_state`` are what the torch cell takes and
        returns: ``h`` or, for the LSTM, ``(h, c)``, each of shape
        ``(num_layers * D, N, H)``; ``final_state`` is taken at each
        sequence's true end. None starts from zeros. Carrying the state from
        one call to the next is truncated backpropagation through time.
        """
        if self.embedding is not None:
            X = self.embedding(X)
        return self.run_embedded(X, lengths, state)

    def run_embedded(self, X, lengths=None, state=None):
        """:meth:`run` on inputs already embedded, ``(N, L, features)``."""
        total_length = X.shape[1]
        if lengths is not None:
            packed = pack_padded_sequence(
                X, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            outputs, h_n = self.rnn(packed, state)
            outputs, _ = pad_packed_sequence(
                outputs, batch_first=True, total_length=total_length
            )
        else:
            outputs, h_n = self.rnn(X, state)
        return outputs, h_n


def autocast_call(dtype, device, function, *args):
    """Return ``function(*args)``, run under ``torch.autocast`` when ``dtype``.

    Mixed precision: the computation runs in autocast's lower precision where
    it is safe; the output goes back to float32 so that the loss and the
    gradients flowing into it stay in float32. ``dtype=None`` just calls.
    """
    if dtype is None:
        return function(*args)
    with torch.autocast(torch.device(device).type, dtype=dtype):
        out = function(*args)
    return out.float()


def step_mask(lengths, n_steps, device):
    """``(N, n_steps)`` boolean mask, True on each sequence's real steps.

    ``lengths=None`` means every sequence has all ``n_steps`` steps.
    """
    steps = torch.arange(n_steps, device=device)
    if lengths is None:
        return steps.new_ones((1, n_steps), dtype=torch.bool)
    return steps[None, :] < lengths.to(device)[:, None]


class AttentionPooling(nn.Module):
    """Additive attention pooling over time with a learned query.

    The score of step ``t`` is ``v^T tanh(W o_t + b)`` (Bahdanau et al.'s
    additive score, with one learned query instead of a decoder state; Yang
    et al. 2016 use it to pool a recurrent encoder's outputs). The weights are
    the softmax of the scores over each sequence's real steps: padding gets
    a weight of exactly zero, and the output is the weighted sum of the
    step outputs.

    Inputs: ``outputs`` ``(N, L, M)`` and ``mask`` ``(N, L)`` or ``(1, L)``
    (True on real steps). Output: ``(N, M)``.
    """

    def __init__(self, input_size, attention_size=None):
        super().__init__()
        attention_size = attention_size or input_size
        self.proj = nn.Linear(input_size, attention_size)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def weights(self, outputs, mask):
        """The attention weights ``(N, L)``: zero on padding, rows sum to 1."""
        scores = self.v(torch.tanh(self.proj(outputs)))[..., 0]
        scores = scores.masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=-1)

    def forward(self, outputs, mask):
        weights = self.weights(outputs, mask)
        return torch.bmm(weights[:, None, :].to(outputs.dtype), outputs)[:, 0]


_POOLINGS = ("last", "mean", "max", "attention")


def pool_steps(outputs, summary, mask, pooling, attention=None):
    """Summarise ``(N, L, M)`` step outputs as one ``(N, M)`` vector each.

    ``"last"`` returns ``summary`` (the encoder's final states); ``"mean"``
    and ``"max"`` reduce over the real steps of ``mask`` only; ``"attention"``
    calls the :class:`AttentionPooling` module ``attention``.
    """
    if pooling == "last":
        return summary
    if pooling == "attention":
        return attention(outputs, mask)
    if pooling == "mean":
        mask = mask.to(outputs.dtype)[..., None]
        total = (outputs * mask).sum(dim=1)
        return total / mask.sum(dim=1).clamp(min=1)
    # max: padding can never win, whatever the sign of the real outputs.
    return outputs.masked_fill(~mask[..., None], float("-inf")).amax(dim=1)


class RecurrentNetwork(nn.Module):
    """A :class:`RecurrentEncoder`, a pooling over time and a linear head.

    ``return_sequences=False`` is the sequence-to-vector pattern: the head
    reads one vector per sequence, chosen by ``pooling``, and the output is
    ``(N, output_size)``. ``return_sequences=True`` is the synced
    sequence-to-sequence pattern: the head reads every step and the output is
    ``(N, L, output_size)``. ``autocast_dtype`` (e.g. ``torch.bfloat16``)
    runs the forward pass under ``torch.autocast``; the output is float32
    either way.

    ``pooling`` (sequence-to-vector only) is one of:

    - ``"last"`` (default): the last layer's final state, taken at each
      sequence's true end (padding is packed away, never read). With
      ``bidirectional=True`` it is the forward direction's state after the
      last real step concatenated with the backward direction's state after
      it has read the sequence back to its first step: each direction's
      final state, ``h_n`` in torch's terms.
    - ``"mean"``: the mean of the top layer's outputs over the real steps.
    - ``"max"``: their element-wise maximum over the real steps.
    - ``"attention"``: their weighted sum, with the learned additive
      attention of :class:`AttentionPooling`; padding has weight zero.

    Padding steps never count in any of them: a sequence gives the same
    output alone and in a padded batch, up to float rounding.
    """

    def __init__(
        self,
        input_size,
        output_size,
        return_sequences=False,
        autocast_dtype=None,
        pooling="last",
        **encoder,
    ):
        super().__init__()
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {_POOLINGS}; got {pooling!r}.")
        if return_sequences and pooling != "last":
            raise ValueError(
                f"pooling={pooling!r} summarises a sequence as one vector, but "
                "return_sequences=True predicts at every step; use "
                "pooling='last' (the default) with return_sequences=True."
            )
        self.autocast_dtype = autocast_dtype
        self.pooling = pooling
        dropout = encoder.get("dropout", 0.0)
        self.encoder = RecurrentEncoder(input_size, **encoder)
        self.return_sequences = return_sequences
        # nn.Dropout(0.0) still costs a call per batch in training mode.
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(self.encoder.output_size, output_size)
        # Created after the head, so that the encoder and head of every
        # pooling start from the same weights for one seed, and "last" has
        # exactly the parameters (and random draws) it always had.
        self.attention = None
        if pooling == "attention":
            self.attention = AttentionPooling(self.encoder.output_size)

    def forward(self, X, lengths=None):
        return autocast_call(self.autocast_dtype, X.device, self._forward, X, lengths)

    def _forward(self, X, lengths):
        outputs, summary = self.encoder(X, lengths)
        if self.return_sequences:
            z = outputs
        elif self.pooling == "last":
            z = summary
        else:
            mask = step_mask(lengths, outputs.shape[1], outputs.device)
            z = pool_steps(outputs, summary, mask, self.pooling, self.attention)
        return self.head(self.dropout(z))


class SeriesEmbeddingNetwork(nn.Module):
    """A :class:`RecurrentNetwork` that knows which series it reads.

    The last input feature holds the series' integer code (the same at every
    step); ``input_size`` counts the features without it. Two per-series
    parameters may be learnt with the network:

    - ``embedding_size > 0``: a vector per series (``nn.Embedding``),
      appended to the other features at every step.
    - ``level_smoothing=True``, after ES-RNN (Smyl, 2020): a smoothing
      coefficient per series, ``alpha = sigmoid(a_i)``. The level of a
      window is the exponentially weighted mean, with ``alpha``, of its
      first ``history_steps`` target values (feature 0; the first value is
      the initial level). The network reads the target minus that level,
      and the level is added back to its outputs, converted to the units of
      the standardised targets (``target_mean``, ``target_scale``).
    """

    def __init__(
        self,
        input_size,
        n_series,
        embedding_size=0,
        level_smoothing=False,
        history_steps=None,
        target_mean=(0.0,),
        target_scale=(1.0,),
        **network,
    ):
        super().__init__()
        self.series_embedding = None
        if embedding_size:
            self.series_embedding = nn.Embedding(n_series, embedding_size)
        self.level_logit = None
        if level_smoothing:
            self.level_logit = nn.Embedding(n_series, 1)
            nn.init.constant_(self.level_logit.weight, -1.0)  # alpha about 0.27
        self.history_steps = history_steps
        self.register_buffer("target_mean", torch.tensor(list(target_mean)))
        self.register_buffer("target_scale", torch.tensor(list(target_scale)))
        self.network = RecurrentNetwork(input_size + embedding_size, **network)

    def _smoothed_level(self, codes, target):
        """``(N, 1)``: the exponentially weighted mean of ``target (N, T)``."""
        alpha = torch.sigmoid(self.level_logit(codes))
        power = torch.arange(target.shape[1] - 1, -1, -1, device=target.device)
        decay = (1 - alpha) ** power.to(alpha.dtype)
        weights = torch.cat([decay[:, :1], alpha * decay[:, 1:]], 1)
        return (weights * target).sum(1, keepdim=True)

    def forward(self, X, lengths=None):
        codes = X[:, 0, -1].round().long()
        X = X[..., :-1]
        level = None
        if self.level_logit is not None:
            steps = self.history_steps or X.shape[1]
            level = self._smoothed_level(codes, X[:, :steps, 0]).to(X.dtype)
            history = X[:, :steps, :1] - level[:, :, None]
            X = torch.cat([torch.cat([history, X[:, steps:, :1]], 1), X[..., 1:]], 2)
        if self.series_embedding is not None:
            vectors = self.series_embedding(codes)[:, None, :]
            vectors = vectors.expand(X.shape[0], X.shape[1], vectors.shape[2])
            X = torch.cat([X, vectors.to(X.dtype)], 2)
        out = self.network(X, lengths)
        if level is not None:
            out = out + (level - self.target_mean) / self.target_scale
        return out


class MaskedMSELoss(nn.Module):
    """Mean squared error over the targets that are not NaN.

    Padded time steps of variable-length targets are stored as NaN, so one
    criterion serves fixed and ragged per-step regression.
    """

    def forward(self, y_pred, y_true):
        mask = ~torch.isnan(y_true)
        diff = y_pred[mask] - y_true[mask]
        return (diff * diff).mean()


class SequenceCrossEntropyLoss(nn.CrossEntropyLoss):
    """Cross-entropy for ``(N, C)`` or per-step ``(N, L, C)`` logits.

    Padded steps carry the target ``ignore_index`` (-100) and do not count.
    """

    def forward(self, logits, target):
        if logits.dim() == 3:
            logits = logits.reshape(-1, logits.shape[-1])
            target = target.reshape(-1)
        return super().forward(logits, target)


def _weighted_mean(losses, entry_weights, sample_weight):
    """Mean of ``losses`` weighted by entry and by sample (``sample_weight``).

    ``losses`` and ``entry_weights`` have the shape of the targets, samples
    first; each sample's weight multiplies all its entries (time steps,
    outputs). A batch whose weights are all zero has a loss of 0.
    """
    shape = (-1,) + (1,) * (losses.dim() - 1)
    weights = entry_weights * sample_weight.reshape(shape).to(losses.dtype)
    total = weights.sum().clamp_min(torch.finfo(weights.dtype).tiny)
    return (weights * losses).sum() / total


class WeightedSquaredError(nn.Module):
    """Mean squared error weighted per sample; NaN targets do not count.

    The targets are a dict ``{"target": y, "sample_weight": w}`` (see
    ``SequenceDataset``); the loss is ``sum(w_i * e_ij) / sum(w_i)`` over
    the entries ``j`` (outputs, time steps) of each sample ``i``: with
    equal weights, :class:`MaskedMSELoss`.
    """

    def forward(self, y_pred, y_true):
        target = y_true["target"]
        mask = ~torch.isnan(target)
        diff = torch.where(mask, y_pred - target, 0.0)
        return _weighted_mean(diff * diff, mask.to(diff.dtype), y_true["sample_weight"])


class WeightedCrossEntropy(nn.Module):
    """Cross-entropy weighted per sample and per class (``sample_weight``).

    Takes ``(N, C)`` or per-step ``(N, L, C)`` logits and the dict targets of
    :class:`WeightedSquaredError`; each term counts with the product of its
    sample's weight and its class's ``weight``, as ``class_weight`` and
    ``sample_weight`` combine in scikit-learn. Steps labelled -100 do not
    count.
    """

    def __init__(self, weight=None):
        super().__init__()
        self.weight = weight

    def forward(self, logits, y_true):
        target = y_true["target"]
        if logits.dim() == 3:
            logits = logits.transpose(1, 2)  # (N, C, L), as torch expects
        losses = nn.functional.cross_entropy(
            logits, target, ignore_index=-100, reduction="none"
        )
        entry = (target != -100).to(losses.dtype)
        if self.weight is not None:
            weight = self.weight.to(device=logits.device, dtype=losses.dtype)
            entry = entry * weight[target.clamp_min(0)]
        return _weighted_mean(losses, entry, y_true["sample_weight"])


# ----------------------------------------------------------------------
# Encoder-decoder (Seq2SeqTransformer)
# ----------------------------------------------------------------------
class LuongAttention(nn.Module):
    """Multiplicative ("general") attention of Luong et al. (2015).

    The score of memory step ``s`` for query ``q`` is ``q^T W m_s``. Queries
    are the decoder's current outputs, so attention over a whole
    teacher-forced target runs in one batched matrix product.

    Inputs: ``query`` ``(N, T, H)``, ``memory`` ``(N, S, M)``, ``mask``
    ``(N, S)`` (True on real steps). Outputs: the contexts ``(N, T, M)``.
    """

    def __init__(self, query_size, memory_size):
        super().__init__()
        self.proj = nn.Linear(memory_size, query_size, bias=False)

    def forward(self, query, memory, mask, keys=None):
        keys = self.proj(memory) if keys is None else keys
        scores = torch.bmm(query, keys.transpose(1, 2))
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        return torch.bmm(torch.softmax(scores, dim=-1), memory)


class BahdanauAttention(nn.Module):
    """Additive attention of Bahdanau et al. (2015).

    The score of memory step ``s`` for query ``q`` is
    ``v^T tanh(W_q q + W_m m_s)``; the query is the decoder's previous state,
    so the decoder runs one step at a time.

    Inputs: ``query`` ``(N, H)``, ``memory`` ``(N, S, M)``, ``mask`` ``(N,
    S)``, and optionally the precomputed ``keys = W_m memory``. Outputs: the
    context ``(N, M)``.
    """

    def __init__(self, query_size, memory_size, attention_size=None):
        super().__init__()
        attention_size = attention_size or query_size
        self.query = nn.Linear(query_size, attention_size, bias=False)
        self.proj = nn.Linear(memory_size, attention_size)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query, memory, mask, keys=None):
        keys = self.proj(memory) if keys is None else keys
        scores = self.v(torch.tanh(keys + self.query(query)[:, None, :]))[..., 0]
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights[:, None, :], memory)[:, 0]


class Seq2SeqNetwork(nn.Module):
    """Encoder-decoder network with optional attention.

    The encoder is a :class:`RecurrentEncoder` (``source="sequence"``), or,
    for vector-to-sequence (``source="vector"``), a linear layer that maps
    each input vector to a representation. A linear "bridge" turns the
    representation into the initial state of every decoder layer, so the
    encoder may be bidirectional and of a different depth.

    Parameters
    ----------
    input_size : int
        Features per input step (per input vector when ``source="vector"``).
    output_size : int
        Size of the target vocabulary (``target="tokens"``) or features per
        target step (``target="numeric"``).
    target : {"tokens", "numeric"}
        Token targets: the decoder embeds the previous token and the module
        returns logits. Numeric targets: the decoder reads the previous value
        (plus a start flag) and the module returns values.
    source : {"sequence", "vector"}
    attention : {None, "luong", "bahdanau"}
    teacher_forcing_ratio : float, default=1.0
        Initial value of the ``teacher_forcing_ratio`` attribute: the
        probability, per sample and step in training, that the decoder is fed
        the true previous target rather than its own previous prediction. It
        is a training setting, not part of the architecture: it may be set on
        the module at any time (``Seq2SeqTransformer`` sets it at the start
        of each epoch and does not pass it here).
    bos : int
        Token id that starts decoding (``target="tokens"``).
    target_embedding_dim : int
        Embedding size of the target tokens.
    **encoder
        Parameters of the :class:`RecurrentEncoder` (``cell``,
        ``hidden_size``, ``num_layers``, ...). The decoder uses the same cell,
        hidden size, depth and LSTM ``forget_bias``.

    Inputs of ``forward``: ``X`` and ``lengths`` as for the encoder, and
    ``target``: ``(N, T)`` token ids padded with -100, or ``(N, T, F)``
    values. Output: ``(N, T, output_size)`` logits or values, one step per
    target step, computed with teacher forcing.
    """

    def __init__(
        self,
        input_size,
        output_size,
        target="tokens",
        source="sequence",
        attention=None,
        teacher_forcing_ratio=1.0,
        bos=0,
        target_embedding_dim=None,
        autocast_dtype=None,
        **encoder,
    ):
        super().__init__()
        self.autocast_dtype = autocast_dtype
        cell = encoder.get("cell", "lstm")
        hidden_size = encoder.get("hidden_size", 32)
        num_layers = encoder.get("num_layers", 1)
        dropout = encoder.get("dropout", 0.0)
        self.target = target
        self.attention_kind = attention
        self.teacher_forcing_ratio = teacher_forcing_ratio
        self.bos = bos
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.is_lstm = cell == "lstm"
        if source == "vector":
            self.encoder = None
            self.vector = nn.Linear(input_size, hidden_size)
            memory_size = hidden_size
        else:
            self.encoder = RecurrentEncoder(input_size, **encoder)
            memory_size = self.encoder.output_size
        self.representation_size = memory_size
        self.bridge = nn.Linear(memory_size, num_layers * hidden_size)
        if target == "tokens":
            emb = target_embedding_dim or hidden_size
            self.embedding = nn.Embedding(output_size, emb)
            step_input = emb
        else:
            self.embedding = None
            step_input = output_size + 1  # previous value and a start flag
        self.attention = None
        if attention == "bahdanau":
            self.attention = BahdanauAttention(hidden_size, memory_size)
            step_input += memory_size
        elif attention == "luong":
            self.attention = LuongAttention(hidden_size, memory_size)
        self.decoder = _make_rnn(
            cell,
            step_input,
            hidden_size,
            num_layers,
            dropout,
            encoder.get("nonlinearity", "tanh"),
        )
        if self.is_lstm:
            _init_forget_bias(self.decoder, encoder.get("forget_bias", 1.0))
        out_in = hidden_size
        if attention is not None:
            # Both attentions read [decoder output; context] (Luong's
            # "attentional hidden state").
            self.combine = nn.Linear(hidden_size + memory_size, hidden_size)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(out_in, output_size)

    # -- encoding ---------------------------------------------------------
    def encode(self, X, lengths=None):
        """Return ``(memory, mask, representation)``.

        ``memory`` ``(N, S, M)`` holds what attention reads, ``mask`` ``(N,
        S)`` its real steps, ``representation`` ``(N, M)`` the fixed-length
        summary of each input.
        """
        if self.encoder is None:
            rep = torch.tanh(self.vector(X))
            memory = rep[:, None, :]
            mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=X.device)
            return memory, mask, rep
        memory, rep = self.encoder(X, lengths)
        steps = torch.arange(memory.shape[1], device=memory.device)
        if lengths is None:
            mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=X.device)
        else:
            mask = steps[None, :] < lengths.to(memory.device)[:, None]
        return memory, mask, rep

    def init_state(self, rep):
        """Decoder state from the representation, batch-first.

        Returns ``(h,)`` or ``(h, c)`` with tensors of shape ``(N,
        num_layers, H)``; batch-first so that beam search can reorder it
        along the first axis.
        """
        h = torch.tanh(self.bridge(rep)).view(-1, self.num_layers, self.hidden_size)
        if self.is_lstm:
            return (h, torch.zeros_like(h))
        return (h,)

    def precompute_keys(self, memory):
        return None if self.attention is None else self.attention.proj(memory)

    # -- decoding ---------------------------------------------------------
    def _rnn_state(self, state):
        state = tuple(s.transpose(0, 1).contiguous() for s in state)
        return state if self.is_lstm else state[0]

    def _batch_state(self, state):
        state = state if isinstance(state, tuple) else (state,)
        return tuple(s.transpose(0, 1) for s in state)

    def _embed_inputs(self, previous):
        if self.embedding is not None:
            return self.embedding(previous)
        return previous

    def step(self, previous, state, memory, mask, keys=None):
        """One decoding step for a batch.

        ``previous``: ``(N,)`` token ids or ``(N, F + 1)`` values with the
        start flag; ``state`` as returned by :meth:`init_state`. Returns
        ``(out, state)`` with ``out`` ``(N, output_size)`` logits or values.
        """
        inputs = self._embed_inputs(previous)
        context = None
        if self.attention_kind == "bahdanau":
            # Attend with the previous state of the top layer.
            context = self.attention(state[0][:, -1], memory, mask, keys)
            inputs = torch.cat([inputs, context], dim=-1)
            context = context[:, None, :]
        output, rnn_state = self.decoder(inputs[:, None, :], self._rnn_state(state))
        out = self._output(output, memory, mask, keys, context)
        return out[:, 0], self._batch_state(rnn_state)

    def _output(self, output, memory, mask, keys, context=None):
        """Head over decoder outputs ``(N, T, H)`` (with attention)."""
        if self.attention is not None:
            if context is None:  # Luong: attend with the current output
                context = self.attention(output, memory, mask, keys)
            output = torch.tanh(self.combine(torch.cat([output, context], dim=-1)))
        return self.head(self.dropout(output))

    def start_inputs(self, n, device):
        """The decoder input of the first step for ``n`` samples."""
        if self.target == "tokens":
            return torch.full((n,), self.bos, dtype=torch.long, device=device)
        previous = torch.zeros(n, self.head.out_features + 1, device=device)
        previous[:, -1] = 1.0
        return previous

    def next_inputs(self, out):
        """The decoder input that follows a step's own output."""
        if self.target == "tokens":
            return out.argmax(dim=-1)
        return torch.cat([out, out.new_zeros(len(out), 1)], dim=-1)

    def _teacher_inputs(self, target):
        """Decoder inputs for every step: the start, then the true targets."""
        n = target.shape[0]
        start = self.start_inputs(n, target.device)
        if self.target == "tokens":
            previous = target[:, :-1].clamp(min=0)  # -100 padding -> any id
            return torch.cat([start[:, None], previous], dim=1)
        values = torch.nan_to_num(target[:, :-1])
        values = torch.cat([values, values.new_zeros(*values.shape[:2], 1)], dim=-1)
        return torch.cat([start[:, None, :], values], dim=1)

    def forward(self, X, lengths=None, target=None):
        if target is None:
            raise ValueError("Seq2SeqNetwork.forward needs the target sequence.")
        return autocast_call(
            self.autocast_dtype, X.device, self._forward, X, lengths, target
        )

    def _forward(self, X, lengths, target):
        memory, mask, rep = self.encode(X, lengths)
        state = self.init_state(rep)
        keys = self.precompute_keys(memory)
        inputs = self._teacher_inputs(target)
        forced = not self.training or self.teacher_forcing_ratio >= 1.0
        # A ratio of 0 always feeds the decoder its own outputs: no draw
        # (training then takes nothing from the random generator).
        sampled = not forced and self.teacher_forcing_ratio > 0.0
        if forced and self.attention_kind != "bahdanau":
            # The whole target in one call of the recurrent layer.
            output, _ = self.decoder(
                self._embed_inputs(inputs), self._rnn_state(state)
            )
            return self._output(output, memory, mask, keys)
        outs = []
        previous = inputs[:, 0]
        for t in range(inputs.shape[1]):
            out, state = self.step(previous, state, memory, mask, keys)
            outs.append(out)
            if t + 1 < inputs.shape[1]:
                previous = inputs[:, t + 1]
                if sampled:
                    own = self.next_inputs(out.detach())
                    use_true = (
                        torch.rand(len(out), device=out.device)
                        < self.teacher_forcing_ratio
                    )
                    shape = (-1,) + (1,) * (own.dim() - 1)
                    previous = torch.where(use_true.view(shape), previous, own)
                elif not forced:
                    previous = self.next_inputs(out.detach())
        return torch.stack(outs, dim=1)


def greedy_search(step, state, start, max_length, eos=None):
    """Decode by taking the most likely token (or the output value) each step.

    Parameters
    ----------
    step : callable
        ``step(previous, state) -> (out, state)``; ``out`` holds the scores
        (logits or log-probabilities) of the next token, ``(N, V)``, or, for
        numeric outputs, the next values.
    state : tuple of torch.Tensor
        Decoder state, batch-first.
    start : torch.Tensor
        Decoder inputs of the first step, ``(N,)`` token ids (or ``(N, ...)``).
    max_length : int
        Number of steps at most.
    eos : int or None
        End token: decoding stops once every sequence has produced it. None
        for numeric outputs: the function then returns the ``(N, T, ...)``
        outputs themselves, and ``step`` must also accept them as the next
        ``previous`` (see ``next_inputs``).

    Returns
    -------
    tokens : torch.Tensor of shape (N, T)
        Token ids, with ``eos`` repeated after each sequence's end; or the
        stacked outputs when ``eos`` is None.
    """
    previous = start
    outs = []
    finished = None
    for _ in range(max_length):
        out, state = step(previous, state)
        if eos is None:
            outs.append(out)
            previous = out
            continue
        token = out.argmax(dim=-1)
        if finished is not None:
            token = token.masked_fill(finished, eos)
            finished = finished | (token == eos)
        else:
            finished = token == eos
        outs.append(token)
        previous = token
        if bool(finished.all()):
            break
    return torch.stack(outs, dim=1)


def _length_norm(length, length_penalty):
    """Wu et al.'s (2016) length normalisation ``((5 + length) / 6) ** alpha``."""
    return ((5.0 + length) / 6.0) ** length_penalty


def beam_search(step, state, start, max_length, eos, beam_width, length_penalty=0.0):
    """Batched beam search over the next-token log-probabilities of ``step``.

    Every sample keeps ``beam_width`` live (unfinished) prefixes and a pool of
    the ``beam_width`` best finished hypotheses. At each step every live
    prefix is extended by every token: the extensions by ``eos`` are finished
    hypotheses and compete for a place in the pool, the best ``beam_width``
    of the other extensions are the next live prefixes. A finished hypothesis
    therefore stays a candidate until the end, however many longer prefixes
    outrank it on the way. All samples and beams go through ``step`` as one
    batch of ``N * beam_width`` rows.

    Hypotheses are ranked by ``log P / ((5 + length) / 6) ** length_penalty``
    (Wu et al., 2016), ``length`` counting the tokens including ``eos``.
    Search stops for all samples once no live prefix of any sample can
    outrank that sample's best finished hypothesis, or after ``max_length``
    steps. Since log-probabilities only decrease, a live prefix can at best
    reach ``log P_prefix / ((5 + max_length) / 6) ** length_penalty``; with
    ``length_penalty=0`` that is its own ``log P``, so search stops as soon
    as the best finished hypothesis is at least as probable as every live
    prefix, and the result is the same as when running to ``max_length``.

    Parameters
    ----------
    step : callable
        ``step(previous, state) -> (log_probs, state)`` with ``previous``
        ``(B,)`` token ids and ``log_probs`` ``(B, V)`` log-probabilities of
        the next token; ``state`` is a tuple of tensors whose first axis is
        the ``B`` rows (any constant context of a row must be repeated
        ``beam_width`` times by the caller, row ``i * beam_width + k`` being
        beam ``k`` of sample ``i``).
    state : tuple of torch.Tensor
        Initial state for the ``N * beam_width`` rows.
    start : torch.Tensor of shape (N * beam_width,)
        First decoder inputs.
    max_length : int
        Number of steps at most, the end token included.
    eos : int
        End token.
    beam_width : int
        Number of live prefixes and of finished hypotheses kept per sample.
    length_penalty : float, default=0.0
        Exponent of the length normalisation above. 0 ranks by ``log P``
        itself, the most probable output the beam finds, which favours short
        outputs when lengths vary; > 0 counters that bias.

    Returns
    -------
    tokens : torch.Tensor of shape (N, T)
        The best finished hypothesis of each sample, ``eos`` repeated after
        its end. A sample none of whose hypotheses finished within
        ``max_length`` steps gets its most probable live prefix instead, of
        ``max_length`` tokens and no ``eos``: unfinished prefixes are only
        returned when there is no finished hypothesis to return.
    log_prob : torch.Tensor of shape (N,)
        Its log-probability (the end token included for a finished one).
    """
    K = beam_width
    B = start.shape[0]
    N = B // K
    device = start.device
    neg_inf = float("-inf")
    # Live prefixes. Only the first beam is alive at the start: the others
    # would be copies of it.
    scores = torch.full((N, K), neg_inf, device=device)
    scores[:, 0] = 0.0
    history = torch.empty(N, K, 0, dtype=torch.long, device=device)
    # Pool of finished hypotheses, padded with eos to max_length tokens.
    pool_scores = torch.full((N, K), neg_inf, device=device)
    pool_rank = torch.full((N, K), neg_inf, device=device)
    pool_tokens = torch.full((N, K, max_length), eos, dtype=torch.long, device=device)
    # How far a live prefix's rank can rise: by the longest normalisation.
    best_norm = _length_norm(max_length, length_penalty)
    previous = start
    offsets = (torch.arange(N, device=device) * K)[:, None]
    n_steps = 0
    for t in range(1, max_length + 1):
        n_steps = t
        log_probs, state = step(previous, state)
        V = log_probs.shape[-1]
        candidates = scores[..., None] + log_probs.view(N, K, V)
        # Extensions by eos: finished hypotheses of t tokens, into the pool.
        ended = candidates[..., eos].clone()
        # Their tokens: the prefix, then eos up to max_length.
        ended_tokens = nn.functional.pad(history, (0, max_length - t + 1), value=eos)
        merged_rank = torch.cat(
            [pool_rank, ended / _length_norm(t, length_penalty)], dim=1
        )
        pool_rank, keep = merged_rank.topk(K, dim=1)
        pool_scores = torch.cat([pool_scores, ended], dim=1).gather(1, keep)
        pool_tokens = torch.cat([pool_tokens, ended_tokens], dim=1).gather(
            1, keep[..., None].expand(N, K, max_length)
        )
        # Other extensions: all have t tokens, so log P ranks them.
        candidates[..., eos] = neg_inf
        scores, best = candidates.view(N, K * V).topk(K, dim=1)
        beam = torch.div(best, V, rounding_mode="floor")
        token = best % V
        history = torch.cat(
            [history.gather(1, beam[..., None].expand_as(history)), token[..., None]],
            dim=2,
        )
        # A sample is done once its best finished hypothesis outranks what
        # its best live prefix could ever reach (nothing live: -inf).
        if bool((pool_rank[:, 0] >= scores[:, 0] / best_norm).all()):
            break
        rows = (offsets + beam).view(-1)
        state = tuple(s.index_select(0, rows) for s in state)
        previous = token.view(-1)
    idx = torch.arange(N, device=device)
    has_finished = torch.isfinite(pool_scores[:, 0])
    tokens = torch.where(
        has_finished[:, None], pool_tokens[idx, 0, :n_steps], history[idx, 0]
    )
    log_prob = torch.where(has_finished, pool_scores[:, 0], scores[:, 0])
    return tokens, log_prob


class LockedDropout(nn.Module):
    """Dropout with one mask per sequence, shared by all its time steps.

    Gal and Ghahramani's variational dropout on the inputs and outputs of a
    recurrent layer (as in Merity et al.'s AWD-LSTM): the same units are
    dropped at every step of a ``(N, L, H)`` batch.
    """

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, X):
        if not self.training or self.p == 0:
            return X
        keep = 1 - self.p
        mask = X.new_empty((X.shape[0], 1, X.shape[2])).bernoulli_(keep)
        return X * mask / keep


def _drop_word_types(embedding, X, p):
    """Embed ``X`` with whole word types dropped with probability ``p``.

    Gal and Ghahramani's embedding dropout: a dropped type is zero wherever
    it occurs in the batch; the others are scaled by ``1 / (1 - p)``.
    """
    weight = embedding.weight
    keep = weight.new_empty((weight.shape[0], 1)).bernoulli_(1 - p) / (1 - p)
    return nn.functional.embedding(X, weight * keep)


class NextTokenHead(nn.Module):
    """Log-probabilities of the next token from the network's outputs.

    ``"full"``: a linear layer and a softmax over all ``n_classes``.
    ``"adaptive"``: Grave et al.'s adaptive softmax
    (``torch.nn.AdaptiveLogSoftmaxWithLoss``): the frequent classes in a
    head, the rare ones in clusters of smaller projections, which is what
    makes large vocabularies affordable on a CPU; probabilities stay exact.
    ``class_rank[c]`` is the frequency rank of class ``c`` (0: the most
    frequent), which the adaptive softmax's ``cutoffs`` count in.

    With ``tied`` (an ``nn.Embedding`` whose first ``n_classes`` rows are
    the classes'), the full softmax's weights are those rows (Press and
    Wolf, 2017; Inan et al., 2017), after a projection to the embedding
    size when it differs from ``input_size``.
    """

    def __init__(
        self,
        input_size,
        n_classes,
        softmax="full",
        cutoffs=None,
        class_rank=None,
        tied=None,
    ):
        super().__init__()
        self.softmax = softmax
        self.n_classes = n_classes
        # In a tuple, not a submodule: its weights are the encoder's.
        self._tied = (tied,) if tied is not None else ()
        if softmax == "adaptive":
            # Each cluster's projection is 4 times smaller than the one
            # before (Grave et al.), or less where it would be empty.
            div_value = 4.0
            while div_value > 1 and input_size < div_value ** len(cutoffs):
                div_value /= 2
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(
                input_size, n_classes, list(cutoffs), div_value=div_value
            )
            rank = torch.arange(n_classes) if class_rank is None else class_rank
            self.register_buffer(
                "class_rank", torch.as_tensor(rank, dtype=torch.long)
            )
        elif tied is not None:
            size = tied.embedding_dim
            self.projection = (
                nn.Identity() if size == input_size else nn.Linear(input_size, size)
            )
            self.bias = nn.Parameter(torch.zeros(n_classes))
        else:
            self.linear = nn.Linear(input_size, n_classes)

    def logits(self, X):
        """Unnormalised scores of the full softmax, ``(..., n_classes)``."""
        if self.softmax == "adaptive":
            raise ValueError("the adaptive softmax has no logits; use log_prob")
        if self._tied:
            weight = self._tied[0].weight[: self.n_classes]
            return nn.functional.linear(self.projection(X), weight, self.bias)
        return self.linear(X)

    def log_prob(self, X):
        """``(n, n_classes)`` log-probabilities of every class, in class order."""
        if self.softmax == "adaptive":
            return self.adaptive.log_prob(X)[:, self.class_rank]
        return torch.log_softmax(self.logits(X), dim=-1)

    def target_log_prob(self, X, targets):
        """``(n,)`` log-probability of each ``targets`` after ``X`` ``(n, H)``."""
        if self.softmax == "adaptive":
            return self.adaptive(X, self.class_rank[targets]).output
        logits = self.logits(X)
        return -nn.functional.cross_entropy(logits, targets, reduction="none")


class RecurrentLanguageModel(nn.Module):
    """A :class:`RecurrentEncoder` over token ids with a next-token head.

    Called without ``targets``, the output at step ``t`` holds the logits
    of the token after the first ``t + 1`` inputs: ``(N, L, n_classes)``
    (full softmax only). Called with the ``(N, L)`` ``targets`` (padding:
    any value past ``lengths``), it returns the log-probability of each
    target within ``lengths``, flattened row by row: that is what training
    needs, and it spares the head the padded steps. The input vocabulary
    has ``vocab_size`` ids (the classes plus the start symbol).

    ``dropout`` drops units of the embeddings, between layers and of the
    last layer's outputs; ``embedding_dropout`` drops whole word types.
    ``locked_dropout`` shares the masks of the embeddings and the outputs
    across time steps (variational dropout). ``softmax``, ``cutoffs``,
    ``class_rank`` and ``tie_weights`` configure the :class:`NextTokenHead`.

    For truncated backpropagation through time, ``forward`` takes each row's
    ``lane`` and whether it ``carry``-s on from the previous chunk of that
    lane: such rows start from the (detached) final state the previous call
    left for their lane, the others from zeros. The carried state is
    training bookkeeping, not a parameter.
    """

    def __init__(
        self,
        vocab_size,
        n_classes,
        embedding_dim=64,
        cell="lstm",
        hidden_size=128,
        num_layers=1,
        dropout=0.0,
        nonlinearity="tanh",
        forget_bias=1.0,
        embedding_dropout=0.0,
        locked_dropout=False,
        softmax="full",
        cutoffs=None,
        class_rank=None,
        tie_weights=False,
    ):
        super().__init__()
        self.encoder = RecurrentEncoder(
            embedding_dim,
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            nonlinearity=nonlinearity,
            forget_bias=forget_bias,
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
        )
        self.embedding_dropout = embedding_dropout
        if locked_dropout:
            self.input_dropout = LockedDropout(dropout)
            self.dropout = LockedDropout(dropout)
        else:
            self.input_dropout = nn.Identity()
            self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = NextTokenHead(
            self.encoder.output_size,
            n_classes,
            softmax=softmax,
            cutoffs=cutoffs,
            class_rank=class_rank,
            tied=self.encoder.embedding if tie_weights else None,
        )
        self.carried = None

    def run(self, X, lengths=None, state=None):
        """The encoder's ``(outputs, final_state)``, with the input dropouts.

        The padded batch runs whole, without packing (packed sequences take
        a much slower path in torch's CPU kernels): the outputs past a row's
        length, and its final state when it is shorter than the batch, are
        those of the padding. Only the real steps are scored, and a state
        is carried on only from a chunk that fills the batch (``bptt``
        steps: see ``TokenStreamDataset.plan``), so neither is ever read.
        """
        encoder = self.encoder
        if self.training and self.embedding_dropout > 0:
            X = _drop_word_types(encoder.embedding, X, self.embedding_dropout)
        else:
            X = encoder.embedding(X)
        return encoder.run_embedded(self.input_dropout(X), None, state)

    def forward(self, X, lengths=None, lanes=None, carry=None, targets=None):
        if lanes is None:
            outputs, _ = self.run(X, lengths)
        else:
            outputs = self.run_lanes(X, lengths, lanes, carry)
        outputs = self.dropout(outputs)
        if targets is None:
            return self.head.logits(outputs)
        valid = step_mask(lengths, X.shape[1], X.device).expand(X.shape[0], -1)
        return self.head.target_log_prob(outputs[valid], targets[valid])

    def run_lanes(self, X, lengths, lanes, carry):
        """The outputs of :meth:`run` on chunks of lanes, the state carried.

        A row that ``carry``-s on starts from the final state the previous
        call left for its ``lane``, the others from zeros; each row's final
        state is kept for its lane (detached: truncated backpropagation
        through time), in :attr:`carried`.
        """
        outputs, final = self.run(X, lengths, self._initial_state(lanes, carry))
        self._store(lanes, final)
        return outputs

    def _initial_state(self, lanes, carry):
        if self.carried is None or not bool(carry.any()):
            return None
        size = int(lanes.max()) + 1
        if self.carried[0].shape[1] < size:
            self._grow(size, self.carried)  # a lane new to the store
        keep = carry.to(self.carried[0].dtype)[None, :, None]
        state = tuple(s[:, lanes] * keep for s in self.carried)
        return state if len(state) == 2 else state[0]  # LSTM: (h, c)

    def _store(self, lanes, final):
        final = final if isinstance(final, tuple) else (final,)
        size = int(lanes.max()) + 1
        if self.carried is None or self.carried[0].shape[1] < size:
            self._grow(size, final)
        for store, s in zip(self.carried, final):
            store[:, lanes] = s.detach()

    def _grow(self, size, like):
        """Make room for ``size`` lanes (zeros, shaped as ``like``); the
        lanes already stored keep their states."""
        grown = tuple(s.new_zeros((s.shape[0], size, s.shape[2])) for s in like)
        for new, old in zip(grown, self.carried or ()):
            new[:, : old.shape[1]] = old
        self.carried = grown


class TargetLogLikelihoodLoss(nn.Module):
    """Mean negative log-likelihood of log-probabilities the module computed.

    For modules that score their own targets (``RecurrentLanguageModel``
    called with ``targets``): ``y`` is not read again.
    """

    def forward(self, target_log_probs, y=None):
        return -target_log_probs.mean()


class WindowLanguageModel(nn.Module):
    """Bengio et al.'s neural probabilistic language model.

    The embeddings of the ``context_size`` previous token ids are
    concatenated and go through a ``tanh`` hidden layer to the next-token
    logits: ``(N, context_size)`` ids give ``(N, n_classes)`` logits.
    """

    def __init__(
        self,
        vocab_size,
        n_classes,
        context_size,
        embedding_dim=64,
        hidden_size=128,
        dropout=0.0,
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.hidden = nn.Linear(context_size * embedding_dim, hidden_size)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, X):
        z = torch.tanh(self.hidden(self.embedding(X).flatten(1)))
        return self.head(self.dropout(z))
