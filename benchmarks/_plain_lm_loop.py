# SPDX-License-Identifier: BSD-3-Clause
"""A plain PyTorch training loop for a recurrent language model.

The peer of ``bench_lm_neural.py --part overhead``: the network of
``NeuralLanguageModel`` (embedding, LSTM, adaptive softmax) written out
with ``torch.nn`` and trained for one epoch with Adam and gradient clipping
on the same sentences, batched the same way: sentences of about the same
length side by side, padded, the loss on the real steps only. No skorch, no
callbacks, no validation.
"""

import time
from collections import Counter

import numpy as np
import torch
from torch import nn


def _encode(train, classes):
    index = {token: i for i, token in enumerate(classes)}
    unk, eos = index["<unk>"], index["</s>"]
    return [[index.get(t, unk) for t in s.split()] for s in train], eos


def _batches(sentences, batch_size, rng):
    order = rng.permutation(len(sentences))
    run = 50 * batch_size
    sizes = np.array([len(s) for s in sentences])
    parts = [
        order[i : i + run][np.argsort(sizes[order[i : i + run]], kind="stable")]
        for i in range(0, len(order), run)
    ]
    ordered = np.concatenate(parts)
    groups = [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
    return [groups[g] for g in rng.permutation(len(groups))]


def plain_epoch(train, lm, params, seed=0):
    """Seconds to encode ``train`` and train the network on it for one epoch.

    ``lm`` is a fitted ``NeuralLanguageModel`` whose vocabulary and adaptive
    softmax cutoffs are reused; ``params`` its parameters.
    """
    start = time.perf_counter()
    torch.manual_seed(seed)
    sentences, eos = _encode(train, list(lm.classes_))
    n_classes = len(lm.classes_)
    bos = n_classes
    counts = Counter(t for s in sentences for t in s)
    counts[eos] += len(sentences)
    by_count = sorted(range(n_classes), key=lambda c: (-counts[c], c))
    rank = torch.empty(n_classes, dtype=torch.long)
    rank[torch.tensor(by_count)] = torch.arange(n_classes)
    cutoffs = lm.net_.module_.head.adaptive.cutoffs[:-1]

    embedding = nn.Embedding(n_classes + 1, params["embedding_dim"])
    lstm = nn.LSTM(params["embedding_dim"], params["hidden_size"], batch_first=True)
    head = nn.AdaptiveLogSoftmaxWithLoss(
        params["hidden_size"], n_classes, cutoffs, div_value=4.0
    )
    weights = [*embedding.parameters(), *lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(weights, lr=params["lr"])
    rng = np.random.RandomState(seed)
    for batch in _batches(sentences, params["batch_size"], rng):
        width = max(len(sentences[i]) for i in batch) + 1
        X = torch.full((len(batch), width), bos, dtype=torch.long)
        y = torch.full((len(batch), width), -1, dtype=torch.long)
        for row, i in enumerate(batch):
            s = sentences[i]
            X[row, 1 : len(s) + 1] = torch.tensor(s, dtype=torch.long)
            y[row, : len(s)] = torch.tensor(s, dtype=torch.long)
            y[row, len(s)] = eos
        real = y >= 0
        outputs, _ = lstm(embedding(X))
        loss = head(outputs[real], rank[y[real]]).loss
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(weights, params["clip_grad_norm"])
        optimizer.step()
    return time.perf_counter() - start
