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
        kwargs = dict(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            # torch only applies dropout between layers, and warns when
            # there is a single layer; the estimator adds its own dropout
            # on the summary, so there is nothing to warn about.
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
        )
        if cell == "rnn":
            kwargs["nonlinearity"] = nonlinearity
        self.rnn = _CELLS[cell](**kwargs)
        self.num_directions = 2 if bidirectional else 1
        self.output_size = hidden_size * self.num_directions
        if cell == "lstm":
            self._init_forget_bias(forget_bias)

    def _init_forget_bias(self, value):
        # PyTorch orders the LSTM gates (input, forget, cell, output) and has
        # two bias vectors; their sum is the effective bias, so put the whole
        # value on one of them.
        hidden = self.rnn.hidden_size
        with torch.no_grad():
            for name, param in self.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    param[hidden : 2 * hidden].fill_(value)
                elif name.startswith("bias_hh"):
                    param[hidden : 2 * hidden].zero_()

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


class RecurrentNetwork(nn.Module):
    """A :class:`RecurrentEncoder` with a linear head.

    ``return_sequences=False`` is the sequence-to-vector pattern: the head
    reads the final state and the output is ``(N, output_size)``.
    ``return_sequences=True`` is the synced sequence-to-sequence pattern: the
    head reads every step and the output is ``(N, L, output_size)``.
    """

    def __init__(self, input_size, output_size, return_sequences=False, **encoder):
        super().__init__()
        dropout = encoder.get("dropout", 0.0)
        self.encoder = RecurrentEncoder(input_size, **encoder)
        self.return_sequences = return_sequences
        # nn.Dropout(0.0) still costs a call per batch in training mode.
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(self.encoder.output_size, output_size)

    def forward(self, X, lengths=None):
        outputs, summary = self.encoder(X, lengths)
        z = outputs if self.return_sequences else summary
        return self.head(self.dropout(z))


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


class RecurrentLanguageModel(nn.Module):
    """A :class:`RecurrentEncoder` over token ids with a next-token head.

    The output at step ``t`` holds the logits of the token after the first
    ``t + 1`` inputs: ``(N, L, n_classes)``. The input vocabulary has
    ``vocab_size`` ids (the classes plus the start symbol).

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
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(self.encoder.output_size, n_classes)
        self.carried = None

    def forward(self, X, lengths=None, lanes=None, carry=None):
        state = None
        if lanes is not None:
            state = self._initial_state(lanes, carry)
        outputs, final = self.encoder.run(X, lengths, state)
        if lanes is not None:
            self._store(lanes, final)
        return self.head(self.dropout(outputs))

    def _initial_state(self, lanes, carry):
        if self.carried is None or not bool(carry.any()):
            return None
        keep = carry.to(self.carried[0].dtype)[None, :, None]
        state = tuple(s[:, lanes] * keep for s in self.carried)
        return state if len(state) == 2 else state[0]  # LSTM: (h, c)

    def _store(self, lanes, final):
        final = final if isinstance(final, tuple) else (final,)
        size = int(lanes.max()) + 1
        if self.carried is None or self.carried[0].shape[1] < size:
            self.carried = tuple(
                s.new_zeros((s.shape[0], size, s.shape[2])) for s in final
            )
        for store, s in zip(self.carried, final):
            store[:, lanes] = s.detach()


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
