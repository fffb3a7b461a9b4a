# SPDX-License-Identifier: BSD-3-Clause
"""Counted n-grams and their smoothed weights, vectorised with numpy.

The model never holds a Python object per n-gram. Tokens are integer-encoded
once; every order's n-grams are then int64 keys built from the previous
order's (``key = rank_of_prefix * n_ids + last_token``: a trie stored as
sorted arrays, so keys do not overflow whatever the order), counted by sorting
and looked up with ``np.searchsorted``. Fitting stores, for each order, three
flat arrays: the sorted keys, the interpolation weight of each n-gram as a
prediction (``alpha``) and the back-off weight of each n-gram as a context
(``gamma``). Every smoothing but stupid backoff then reads

    P_j(w | h) = alpha_j(h w) + gamma_j(h) * P_{j-1}(w | h[1:]),
    P_0(w) = 1 / n_classes,

where an n-gram or context never seen in training has ``alpha = 0`` and
``gamma = 1``. Never imports torch.
"""

import warnings

import numpy as np

from sklearn_rnn.lm._text import histories, pad

KNESER_NEY = ("kneser_ney", "modified_kneser_ney")
SMOOTHINGS = ("mle", "add_k", *KNESER_NEY, "stupid_backoff")

# Discounts used by modified Kneser-Ney for an order whose count-of-counts
# cannot give valid estimates (KenLM's ``--discount_fallback`` default).
_FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)

# Number of float64 cells computed at once by predict and predict_proba
# (32 MiB): dense next-token distributions are built in chunks of rows.
_CELLS_PER_CHUNK = 2**22

# Keys counted with a table of flags rather than sorted when they lie below
# this bound (or below twice their number): 32 MiB of flags at most.
_DENSE_BOUND = 2**25

# Queries below this size are looked up without sorting them first.
_SORT_QUERIES_ABOVE = 256


# ----------------------------------------------------------------------
# Array helpers
# ----------------------------------------------------------------------
def _sort_with_order(keys, bound):
    """Return ``keys`` sorted and the permutation that sorts them.

    ``keys`` are non-negative and below ``bound``. When the key and its
    position fit together in 63 bits, one ``np.sort`` of ``key << b |
    position`` replaces ``np.argsort``, which is several times slower.
    """
    n = len(keys)
    position_bits = max(n - 1, 1).bit_length()
    if int(bound - 1).bit_length() + position_bits > 63:
        order = np.argsort(keys)
        return keys[order], order
    packed = keys.astype(np.int64) << position_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << position_bits) - 1)
    packed >>= position_bits
    return packed, order


def _unique_inverse(keys, bound, dtype):
    """``np.unique(keys, return_inverse=True)``, faster (see above).

    Keys below a small ``bound`` (character n-grams) are not sorted: a table
    of ``bound`` flags marks those present, and its running count ranks them.
    """
    if bound <= max(_DENSE_BOUND, 2 * len(keys)) and bound < 2**31:
        present = np.zeros(int(bound), dtype=bool)
        present[keys] = True
        uniq = np.flatnonzero(present)
        rank = np.cumsum(present, dtype=np.int32 if len(uniq) < 2**31 else np.int64)
        del present
        rank -= 1
        return uniq, rank[keys].astype(dtype, copy=False)
    sorted_keys, order = _sort_with_order(keys, bound)
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    inverse = np.empty(len(keys), dtype=dtype)
    inverse[order] = np.cumsum(new) - 1
    return sorted_keys[new], inverse


def _lookup(table, keys, bound):
    """Index of each key in the sorted ``table``, or -1 when absent."""
    if len(table) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    if len(keys) <= _SORT_QUERIES_ABOVE:
        idx = np.searchsorted(table, keys)
        idx[idx == len(table)] = 0
        return np.where(table[idx] == keys, idx, -1)
    # searchsorted is much faster on sorted queries (cache locality).
    out = np.full(len(keys), -1, dtype=np.int64)
    sorted_keys, order = _sort_with_order(keys, bound)
    idx = np.searchsorted(table, sorted_keys)
    idx[idx == len(table)] = 0
    found = table[idx] == sorted_keys
    out[order[found]] = idx[found]
    return out


def _children(keys, parents, n_ids):
    """Rows and key indices of all n-grams extending the given contexts.

    The n-grams whose context has rank ``r`` occupy the contiguous range of
    sorted keys ``[r * n_ids, (r + 1) * n_ids)``.
    """
    rows = np.flatnonzero(parents >= 0)
    if len(keys) == 0 or len(rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    base = parents[rows].astype(np.int64) * n_ids
    lo = np.searchsorted(keys, base)
    count = np.searchsorted(keys, base + n_ids) - lo
    offsets = np.repeat(lo - np.cumsum(count) + count, count)
    return np.repeat(rows, count), offsets + np.arange(count.sum())


def _modified_kn_discounts(n1, n2, n3, n4):
    """Chen & Goodman's estimates of D1, D2 and D3+, or None if undefined.

    As KenLM's ``lmplz``: undefined when ``n1``, ``n2`` or ``n3`` is zero or
    an estimate ``D_r`` falls outside ``[0, r]`` (``n4 = 0`` gives
    ``D3+ = 3``, a valid estimate).
    """
    if min(n1, n2, n3) == 0:
        return None
    y = n1 / (n1 + 2 * n2)
    discounts = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    if not all(0 <= d <= r for r, d in enumerate(discounts, start=1)):
        return None
    return discounts


# ----------------------------------------------------------------------
# Counting
# ----------------------------------------------------------------------
def _count_keys(stream, pos, order, n_ids, bos):
    """Sorted keys of every order and the rank of each predicted position.

    Returns ``keys`` (``keys[j]`` the sorted j-gram keys; level 1 is
    implicit: the key of a token is its id), their sizes, for each order the
    rank in ``keys[j]`` of the j-gram ending at each predicted position, and
    those positions' offsets in their padded sentences.
    """
    # Boolean masks rather than index arrays, and in-place arithmetic: a
    # character corpus has millions of positions.
    is_event = stream != bos  # positions predicted
    keys, sizes = [None, None], [1, n_ids]
    ranks = stream
    event_ranks = [None, stream[is_event]]
    for j in range(2, order + 1):
        if sizes[j - 1] >= np.iinfo(np.int64).max // n_ids:
            raise ValueError(
                f"order={order} n-grams over {n_ids} token ids exceed the int64 keys."
            )
        # The j-gram ending at position i + 1: its context ends at i.
        key = ranks[:-1].astype(np.int64)
        key *= n_ids
        key += stream[1:]
        valid = pos[1:] >= j - 1
        key = key[valid]
        uniq, inv = _unique_inverse(key, sizes[j - 1] * n_ids, stream.dtype)
        del key
        ranks = np.full(len(stream), -1, dtype=stream.dtype)
        ranks[1:][valid] = inv
        del valid, inv
        keys.append(uniq)
        sizes.append(len(uniq))
        event_ranks.append(ranks[is_event])
    return keys, sizes, event_ranks, pos[is_event]


def _smoothing_counts(event_ranks, event_pos, sizes, order, smoothing):
    """The counts each order's smoothing uses (raw, continuation, KenLM's)."""
    n = order
    raw = [None] + [
        np.bincount(event_ranks[j], minlength=sizes[j]) for j in range(1, n + 1)
    ]
    kenlm = smoothing == "modified_kneser_ney"
    counts = [None]
    for j in range(1, n + 1):
        if smoothing not in KNESER_NEY or j == n:
            counts.append(raw[j])
            continue
        # Continuation count of a j-gram: the number of distinct (j+1)-grams
        # that extend it to the left.
        suffix = np.zeros(sizes[j + 1], dtype=np.int64)
        suffix[event_ranks[j + 1]] = event_ranks[j]
        counts.append(
            np.bincount(suffix[np.flatnonzero(raw[j + 1])], minlength=sizes[j])
        )
        if kenlm:
            # Nothing precedes <s>: KenLM keeps the raw count of a j-gram
            # that starts with it. The sentence's tokens start at offset
            # n - 1 of the padded sentence, so the j-gram ending at offset p
            # starts with <s> iff p <= n + j - 3.
            initial = event_ranks[j][event_pos <= n + j - 3]
            counts[j][initial] = raw[j][initial]
    if kenlm:
        # KenLM has no n-gram with <s> after its first token (only the
        # padding of higher orders makes them): they are not counted, so a
        # context of several <s> backs off to the single <s>.
        for j in range(3, n + 1):
            counts[j][event_ranks[j][event_pos <= n + j - 4]] = 0
    return counts


def _discounts(smoothing, discount, count_of_counts):
    """Discounts ``D1, D2, D3+`` of every order, shape ``(order, 3)``."""
    n = len(count_of_counts)
    if smoothing == "kneser_ney":
        return np.full((n, 3), 0.75 if discount is None else float(discount))
    discounts = np.empty((n, 3))
    for j, (n1, n2, n3, n4) in enumerate(count_of_counts.tolist(), 1):
        estimate = _modified_kn_discounts(n1, n2, n3, n4)
        if estimate is None:
            warnings.warn(
                f"The count-of-counts of the order-{j} n-grams (n1..n4 = "
                f"{n1}, {n2}, {n3}, {n4}) give no valid modified Kneser-Ney "
                f"discounts (too little data); using {_FALLBACK_DISCOUNTS}.",
                UserWarning,
            )
            estimate = _FALLBACK_DISCOUNTS
        discounts[j - 1] = estimate
    return discounts


class NGramTables:
    """Sorted n-gram keys with their smoothed weights, and the queries on them.

    A thin view on the arrays the estimator stores (``keys``, ``alphas``,
    ``gammas``): building one costs nothing, :meth:`count` computes them.

    Parameters
    ----------
    keys, alphas, gammas : list
        Per order ``j``: the sorted keys of the j-grams (``keys[0]`` and
        ``keys[1]`` are None), their interpolation weights (one more cell,
        read for an unseen n-gram) and the back-off weights of the j-grams as
        contexts of order ``j + 1``.
    order : int
        Longest n-grams.
    smoothing : str
        One of ``SMOOTHINGS``.
    n_classes : int
        Number of tokens predicted; ``n_classes`` is the start symbol's id.
    """

    def __init__(self, keys, alphas, gammas, order, smoothing, n_classes):
        self.keys = keys
        self.alphas = alphas
        self.gammas = gammas
        self.order = order
        self.smoothing = smoothing
        self.n_classes = n_classes
        self.n_ids = n_classes + 1
        self._bos_padding = np.full(max(order - 1, 0), n_classes, dtype=np.int64)

    # ------------------------------------------------------------------
    # Counting
    # ------------------------------------------------------------------
    @classmethod
    def count(cls, ids, lengths, *, order, n_classes, eos, smoothing, **params):
        """Count the n-grams of encoded sentences and smooth them.

        ``params`` are ``discount``, ``k`` and ``alpha``. Returns the tables,
        the count-of-counts and the discounts (None but for Kneser-Ney).
        """
        bos = n_classes
        stream, pos = pad(ids, lengths, order, bos, eos)
        keys, sizes, event_ranks, event_pos = _count_keys(
            stream, pos, order, n_classes + 1, bos
        )
        del stream, pos
        counts = _smoothing_counts(event_ranks, event_pos, sizes, order, smoothing)
        del event_ranks, event_pos
        count_of_counts = np.array(
            [np.bincount(np.minimum(c, 5), minlength=6)[1:5] for c in counts[1:]]
        )
        discounts = None
        if smoothing in KNESER_NEY:
            discounts = _discounts(smoothing, params["discount"], count_of_counts)
        tables = cls(keys, None, None, order, smoothing, n_classes)
        tables._weigh(counts, sizes, discounts, params["k"], params["alpha"])
        return tables, count_of_counts, discounts

    def _orders(self):
        return [self.order] if self.smoothing == "add_k" else range(1, self.order + 1)

    def _weigh(self, counts, sizes, discounts, k, backoff):
        """Set ``alphas`` and ``gammas`` from the counts of every order."""
        n, n_ids, smoothing = self.order, self.n_ids, self.smoothing
        # Each weight array ends with one extra cell, read through index -1
        # (an unseen n-gram or context): alpha 0, gamma 1. Stupid backoff has
        # no gamma: alpha holds the score of a seen n-gram, its back-off
        # factor ``backoff ** (n - j)`` included.
        alphas, gammas = [None] * (n + 1), [None] * n
        for j in self._orders():
            seen = np.flatnonzero(counts[j])
            c = counts[j][seen].astype(np.float64)
            parent = (
                np.zeros(len(seen), np.int64) if j == 1 else self.keys[j][seen] // n_ids
            )
            total = np.bincount(parent, weights=c, minlength=sizes[j - 1])
            alphas[j] = alpha = np.zeros(sizes[j] + 1)
            if smoothing == "stupid_backoff":
                alpha[seen] = c / total[parent] * backoff ** (n - j)
                continue
            gammas[j - 1] = np.ones(sizes[j - 1] + 1)
            gamma = gammas[j - 1][:-1]  # a view
            has_children = total > 0
            if smoothing == "mle":
                alpha[seen] = c / total[parent]
                gamma[has_children] = 0.0
            elif smoothing == "add_k":
                pseudo = k * self.n_classes
                alpha[seen] = c / (total[parent] + pseudo)
                gamma[:] = pseudo / (total + pseudo)
            else:
                d1, d2, d3 = discounts[j - 1]
                if smoothing == "kneser_ney":
                    d = d1
                    mass = d1 * np.bincount(parent, minlength=sizes[j - 1])
                else:
                    d = np.where(c == 1, d1, np.where(c == 2, d2, d3))
                    mass = np.bincount(parent, weights=d, minlength=sizes[j - 1])
                alpha[seen] = (c - d) / total[parent]
                gamma[has_children] = mass[has_children] / total[has_children]
        self.alphas, self.gammas = alphas, gammas

    # ------------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------------
    def _stream_ranks(self, stream, pos, top):
        """Ranks of the j-grams ending at each position, j = 1..top."""
        n_ids = self.n_ids
        ranks = [None, stream]
        for j in range(2, top + 1):
            rank = np.full(len(stream), -1, dtype=np.int64)
            q = np.flatnonzero(pos >= j - 1)
            prev = ranks[j - 1][q - 1]
            ok = prev >= 0
            q = q[ok]
            key = prev[ok].astype(np.int64) * n_ids + stream[q]
            bound = (n_ids if j == 2 else len(self.keys[j - 1])) * n_ids
            rank[q] = _lookup(self.keys[j], key, bound)
            ranks.append(rank)
        return ranks

    def _pointwise(self, contexts, grams):
        """P(w | h) for given context ranks (per level) and n-gram ranks."""
        if self.smoothing == "stupid_backoff":
            score = np.zeros(len(grams[1]))
            for j in range(1, self.order + 1):
                seen = self.alphas[j][grams[j]]
                score = np.where(seen > 0, seen, score)
            return score
        p = np.full(len(grams[1]), 1.0 / self.n_classes)
        for j in self._orders():
            p = self.alphas[j][grams[j]] + self.gammas[j - 1][contexts[j - 1]] * p
        return p

    def log_probs(self, ids, lengths, eos):
        """Log-probability of every token and end symbol of the sentences."""
        n, bos = self.order, self.n_classes
        if len(lengths) == 1 and self.smoothing != "stupid_backoff":
            return self._sentence_log_probs(ids, eos)
        stream, pos = pad(ids, lengths, n, bos, eos)
        events = np.flatnonzero(stream != bos)
        ranks = self._stream_ranks(stream, pos, n)
        contexts = [np.zeros(len(events), dtype=np.int64)]
        contexts += [ranks[j][events - 1] for j in range(1, n)]
        grams = [None] + [ranks[j][events] for j in range(1, n + 1)]
        with np.errstate(divide="ignore"):
            return np.log(self._pointwise(contexts, grams))

    def _sentence_log_probs(self, ids, eos):
        """``log_probs`` of one sentence with as few numpy calls as possible.

        Scoring one sentence per call is dominated by the fixed cost of each
        numpy call: positions are slices here (no index arrays), and an
        n-gram whose context is unseen gets a negative key, never found.
        """
        n, n_ids = self.order, self.n_ids
        stream = np.concatenate([self._bos_padding[: n - 1], ids, [eos]])
        events = stream[n - 1 :]
        orders = self._orders()
        if 1 in orders:  # the unigram level over the uniform distribution
            p = self.alphas[1][events]
            p += self.gammas[0][0] / self.n_classes
        else:
            p = np.full(len(events), 1.0 / self.n_classes)
        # rank: the ranks of the j-grams ending at positions j - 1, j, ...
        # (prev: of the (j-1)-grams, from position j - 2 on).
        prev = stream
        for j in range(2, n + 1):
            table = self.keys[j]
            # An unseen context (rank -1) gives a negative key, never found.
            key = prev[:-1] * n_ids
            key += stream[j - 1 :]
            idx = table.searchsorted(key)
            rank = np.where(table.take(idx, mode="clip") == key, idx, -1)
            if j in orders:
                # events: positions n - 1, ...; their contexts end one before
                p *= self.gammas[j - 1][prev[n - j : -1]]
                p += self.alphas[j][rank[n - j :]]
            prev = rank
        if p.all():
            return np.log(p)
        with np.errstate(divide="ignore"):
            return np.log(p)

    def context_ranks(self, ids, lengths):
        """Context ranks (levels 0..order-1) of the end of each token run."""
        n = self.order
        m, width = len(lengths), n - 1
        contexts = [np.zeros(m, dtype=np.int64)]
        if width == 0:
            return contexts
        history = histories(ids, lengths, width, self.n_classes)
        pos = np.tile(np.arange(width), m)
        ranks = self._stream_ranks(history.ravel(), pos, width)
        for j in range(1, n):
            contexts.append(np.asarray(ranks[j]).reshape(m, width)[:, -1])
        return contexts

    def dense(self, contexts):
        """Next-token distributions (or scores) of contexts, one row each."""
        n, n_ids = self.order, self.n_ids
        m = len(contexts[0])
        if self.smoothing == "stupid_backoff":
            out = np.empty((m, n_ids))
            out[:] = self.alphas[1][:-1]
            for j in range(2, n + 1):
                rows, grams = _children(self.keys[j], contexts[j - 1], n_ids)
                score = self.alphas[j][grams]
                keep = score > 0
                words = self.keys[j][grams[keep]] % n_ids
                out[rows[keep], words] = score[keep]
            return out[:, : n_ids - 1]
        out = np.full((m, n_ids), 1.0 / self.n_classes)
        for j in self._orders():
            if j == 1:
                out *= self.gammas[0][0]
                out += self.alphas[1][:-1]
                continue
            out *= self.gammas[j - 1][contexts[j - 1]][:, None]
            rows, grams = _children(self.keys[j], contexts[j - 1], n_ids)
            out[rows, self.keys[j][grams] % n_ids] += self.alphas[j][grams]
        return out[:, : n_ids - 1]

    def distributions(self, ids, lengths):
        """Yield the next-token distributions after each context, in chunks."""
        contexts = self.context_ranks(ids, lengths)
        step = max(1, _CELLS_PER_CHUNK // self.n_ids)
        for start in range(0, len(contexts[0]), step):
            yield self.dense([c[start : start + step] for c in contexts])

    def problem(self, count_of_counts, discounts):
        """Describe the first inconsistency of the tables, or None."""
        n, smoothing = self.order, self.smoothing
        if len(self.keys) != n + 1 or len(self.alphas) != n + 1:
            return f"order_ = {n} does not match the stored n-grams"
        if len(self.gammas) != n:
            return f"order_ = {n} does not match the stored n-grams"
        if np.shape(count_of_counts) != (n, 4):
            return "count_of_counts_ does not match order_"
        if (discounts is None) != (smoothing not in KNESER_NEY) or (
            discounts is not None and np.shape(discounts) != (n, 3)
        ):
            return "discounts_ does not match smoothing_ and order_"
        sizes = [1, self.n_ids]
        for j in range(2, n + 1):
            keys = self.keys[j]
            if not (isinstance(keys, np.ndarray) and keys.dtype.kind in "iu"):
                return f"the keys of order {j} are not an integer array"
            bound = sizes[j - 1] * self.n_ids
            if keys.ndim != 1 or (
                len(keys)
                and (keys[0] < 0 or keys[-1] >= bound or np.any(keys[1:] <= keys[:-1]))
            ):
                return f"the keys of order {j} are not sorted ids below {bound}"
            sizes.append(len(keys))
        return self._weights_problem(sizes)

    def _weights_problem(self, sizes):
        orders = set(self._orders())
        for j in range(1, self.order + 1):
            alpha = self.alphas[j]
            if j not in orders:
                if alpha is not None:
                    return f"weights of order {j} with smoothing_ = {self.smoothing!r}"
                continue
            if np.shape(alpha) != (sizes[j] + 1,):
                return f"the weights of order {j} do not match its n-grams"
            gamma = self.gammas[j - 1]
            if self.smoothing == "stupid_backoff":
                if gamma is not None:
                    return "back-off weights with smoothing_ = 'stupid_backoff'"
            elif np.shape(gamma) != (sizes[j - 1] + 1,):
                return f"the back-off weights of order {j} do not match"
        return None
