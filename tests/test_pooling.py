# SPDX-License-Identifier: BSD-3-Clause
"""Pooling heads of RecurrentNetwork: padding never counts."""

import pytest
import torch

from sklearn_rnn._modules import (
    AttentionPooling,
    RecurrentNetwork,
    pool_steps,
    step_mask,
)

POOLINGS = ["last", "mean", "max", "attention"]
LENGTHS = [5, 2, 7, 1]


def _network(pooling, bidirectional=False, seed=0, **kwargs):
    torch.manual_seed(seed)
    net = RecurrentNetwork(
        3,
        2,
        pooling=pooling,
        hidden_size=4,
        bidirectional=bidirectional,
        **kwargs,
    )
    return net.eval()


def _ragged_batch(seed=1, pad_value=0.0):
    """Padded (4, 7, 3) inputs of LENGTHS steps, and the sequences alone."""
    gen = torch.Generator().manual_seed(seed)
    sequences = [torch.randn(n, 3, generator=gen) for n in LENGTHS]
    X = torch.full((len(LENGTHS), max(LENGTHS), 3), pad_value)
    for i, seq in enumerate(sequences):
        X[i, : len(seq)] = seq
    return X, torch.tensor(LENGTHS), sequences


def _step_outputs(net, X, lengths):
    outputs, summary = net.encoder(X, lengths)
    return outputs, summary


def test_default_pooling_is_last_and_adds_no_parameters():
    torch.manual_seed(0)
    default = RecurrentNetwork(3, 2, hidden_size=4)
    torch.manual_seed(0)
    last = RecurrentNetwork(3, 2, hidden_size=4, pooling="last")
    assert default.pooling == "last"
    assert default.attention is None
    names = [name for name, _ in default.named_parameters()]
    assert names == [name for name, _ in last.named_parameters()]
    assert not any(name.startswith("attention") for name in names)
    X, lengths, _ = _ragged_batch()
    out = default.eval()(X, lengths)
    # The final state of the encoder, through the head: today's behaviour.
    _, summary = default.encoder(X, lengths)
    assert torch.equal(out, default.head(summary))


@pytest.mark.parametrize("pooling", POOLINGS)
def test_poolings_share_encoder_and_head_initialisation(pooling):
    reference = _network("last")
    net = _network(pooling)
    for name, param in reference.named_parameters():
        assert torch.equal(param, dict(net.named_parameters())[name])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_mean_pooling_is_the_mean_over_real_steps(bidirectional):
    net = _network("mean", bidirectional)
    X, lengths, _ = _ragged_batch()
    outputs, summary = _step_outputs(net, X, lengths)
    mask = step_mask(lengths, X.shape[1], X.device)
    pooled = pool_steps(outputs, summary, mask, "mean")
    for i, n in enumerate(LENGTHS):
        expected = outputs[i, :n].mean(dim=0)
        torch.testing.assert_close(pooled[i], expected, rtol=1e-6, atol=1e-7)
    # A different padding value changes nothing: padding is never read.
    X_other, _, _ = _ragged_batch(pad_value=1e3)
    torch.testing.assert_close(net(X_other, lengths), net(X, lengths))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_max_pooling_ignores_padding(bidirectional):
    net = _network("max", bidirectional)
    X, lengths, _ = _ragged_batch()
    outputs, summary = _step_outputs(net, X, lengths)
    # Make every real output negative: a zero-padded step would then win a
    # plain max over time.
    outputs = outputs - 10.0
    mask = step_mask(lengths, X.shape[1], X.device)
    pooled = pool_steps(outputs, summary, mask, "max")
    for i, n in enumerate(LENGTHS):
        torch.testing.assert_close(pooled[i], outputs[i, :n].amax(dim=0))
    assert bool((pooled < -5).all())


def test_attention_weights_are_zero_on_padding():
    torch.manual_seed(0)
    attention = AttentionPooling(4)
    gen = torch.Generator().manual_seed(2)
    outputs = torch.randn(4, 7, 4, generator=gen)
    lengths = torch.tensor(LENGTHS)
    mask = step_mask(lengths, 7, outputs.device)
    weights = attention.weights(outputs, mask)
    for i, n in enumerate(LENGTHS):
        assert bool((weights[i, n:] == 0).all())
        assert bool((weights[i, :n] > 0).all())
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    pooled = attention(outputs, mask)
    expected = (weights[..., None] * outputs).sum(dim=1)
    torch.testing.assert_close(pooled, expected)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_sequence_alone_equals_sequence_in_padded_batch(pooling, bidirectional):
    net = _network(pooling, bidirectional, cell="gru")
    X, lengths, sequences = _ragged_batch()
    with torch.no_grad():
        batch = net(X, lengths)
        for i, seq in enumerate(sequences):
            alone = net(seq[None], None)
            alone_packed = net(seq[None], torch.tensor([len(seq)]))
            torch.testing.assert_close(batch[i], alone[0], rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(
                batch[i], alone_packed[0], rtol=1e-5, atol=1e-6
            )


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_pooling_without_lengths_reads_every_step(pooling):
    net = _network(pooling)
    X, _, _ = _ragged_batch()
    full = torch.full((len(X),), X.shape[1])
    with torch.no_grad():
        torch.testing.assert_close(net(X), net(X, full))


def test_bidirectional_last_is_each_directions_final_state():
    net = _network("last", bidirectional=True)
    X, lengths, sequences = _ragged_batch()
    outputs, summary = _step_outputs(net, X, lengths)
    H = 4
    for i, n in enumerate(LENGTHS):
        # Forward: its output at the last real step; backward: its output
        # at the first step, after reading the sequence from its end.
        torch.testing.assert_close(summary[i, :H], outputs[i, n - 1, :H])
        torch.testing.assert_close(summary[i, H:], outputs[i, 0, H:])


@pytest.mark.parametrize("pooling", POOLINGS)
def test_poolings_train(pooling):
    # Gradients flow through every head, attention included.
    net = _network(pooling).train()
    X, lengths, _ = _ragged_batch()
    net(X, lengths).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and bool(torch.isfinite(g).all()) for g in grads)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_poolings_under_autocast_return_float32(pooling):
    net = _network(pooling, autocast_dtype=torch.bfloat16)
    X, lengths, _ = _ragged_batch()
    out = net(X, lengths)
    assert out.dtype == torch.float32
    assert bool(torch.isfinite(out).all())


def test_bad_pooling_raises():
    with pytest.raises(ValueError, match="pooling must be one of"):
        RecurrentNetwork(3, 2, pooling="median")
    with pytest.raises(ValueError, match="return_sequences=True"):
        RecurrentNetwork(3, 2, pooling="mean", return_sequences=True)
    # The default still works with per-step outputs.
    RecurrentNetwork(3, 2, return_sequences=True)
