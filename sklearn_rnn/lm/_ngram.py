# SPDX-License-Identifier: BSD-3-Clause
"""Count-based n-gram language model, vectorised with numpy.

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
``gamma = 1``.
"""

import re
import warnings
from itertools import chain
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_rnn._persistence import _spec
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions, _fit_context

__all__ = ["NGramLanguageModel"]

BOS_TOKEN, EOS_TOKEN, UNK_TOKEN = "<s>", "</s>", "<unk>"

# Fitted attributes of one backbone only: a refit removes them all first.
_BACKBONE_ATTRIBUTES = (
    "count_of_counts_",
    "discounts_",
    "_keys",
    "_alphas",
    "_gammas",
    "_network",
    "net_",
    "n_iter_",
    "loss_curve_",
    "validation_scores_",
    "best_loss_",
)

_KNESER_NEY = ("kneser_ney", "modified_kneser_ney")
_SMOOTHINGS = ("mle", "add_k", *_KNESER_NEY, "stupid_backoff")

# Discounts used by modified Kneser-Ney for an order whose count-of-counts
# cannot give valid estimates (KenLM's ``--discount_fallback`` default).
_FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)

# Number of float64 cells computed at once by predict and predict_proba
# (32 MiB): dense next-token distributions are built in chunks of rows.
_CELLS_PER_CHUNK = 2**22

# Separates sentences when a whole corpus is split on whitespace in one call;
# used only when it does not occur in the text (checked).
_SENTINEL = "\ue000"  # private-use code point, not whitespace


# ----------------------------------------------------------------------
# Reading and tokenising the input
# ----------------------------------------------------------------------
def _is_token_sequence(item):
    return hasattr(item, "__iter__") and not isinstance(item, (str, bytes, dict))


def _holds_strings(values):
    """Whether a 2-D array holds string tokens rather than numeric ids."""
    if values.dtype.kind in "US":
        return True
    return (
        values.dtype == object
        and values.size > 0
        and all(isinstance(v, str) for v in values.flat)
    )


def _call_tokenizer(tokenizer, sentence):
    """Tokens of ``sentence`` by a callable tokenizer, checked: a list of str."""
    tokens = tokenizer(sentence)
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(
            "A callable tokenizer must return a list of str tokens; for the "
            f"sentence {sentence[:50]!r} it returned {type(tokens).__name__} "
            f"{str(tokens)[:50]!r}."
        )
    tokens = list(tokens)
    if not _all_of(tokens, str):
        bad = next(t for t in tokens if not isinstance(t, str))
        raise TypeError(
            "A callable tokenizer must return a list of str tokens; for the "
            f"sentence {sentence[:50]!r} it returned a token {bad!r} of type "
            f"{type(bad).__name__}."
        )
    return tokens


def _make_tokenizer(tokenizer):
    """Return a function mapping one sentence to its list of tokens."""
    if callable(tokenizer):
        return lambda sentence: _call_tokenizer(tokenizer, sentence)
    if tokenizer == "whitespace":
        return str.split
    if tokenizer == "chars":
        return list
    try:
        pattern = re.compile(tokenizer)
    except re.error as exc:
        raise ValueError(
            f"tokenizer={tokenizer!r} is neither 'whitespace', 'chars' nor a valid "
            f"regular expression: {exc}."
        ) from None
    if pattern.groups > 1:
        raise ValueError(
            f"The regular expression tokenizer={tokenizer!r} has {pattern.groups} "
            "capturing groups; use at most one (re.findall returns it as the "
            "token)."
        )
    return pattern.findall


def _object_array(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _tokenize(sentences, tokenizer):
    """Tokenise a list of strings into ``(flat tokens, tokens per sentence)``."""
    if tokenizer == "whitespace":
        # One split of the joined corpus is several times faster than one
        # split per sentence; the sentinel tokens mark the boundaries.
        text = f" {_SENTINEL} ".join(sentences)
        if text.count(_SENTINEL) == len(sentences) - 1:
            flat = _object_array(text.split())
            is_sep = flat == _SENTINEL
            bounds = np.concatenate([[-1], np.flatnonzero(is_sep), [len(flat)]])
            return flat[~is_sep], np.diff(bounds) - 1
    if tokenizer == "chars":
        lengths = np.fromiter(map(len, sentences), np.int64, len(sentences))
        return _object_array(list("".join(sentences))), lengths
    tokenize = _make_tokenizer(tokenizer)
    lists = [tokenize(s) for s in sentences]
    lengths = np.fromiter(map(len, lists), np.int64, len(lists))
    return _object_array(list(chain.from_iterable(lists))), lengths


def _all_of(items, kind):
    """Whether every item is an instance of ``kind`` (fast: by distinct type)."""
    return all(issubclass(t, kind) for t in set(map(type, items)))


# Integer token ids must lie strictly between -_MAX_ID and _MAX_ID: the ids
# of the end and unknown tokens (the largest id + 1 and + 2) then fit int64.
_MAX_ID = 2**62


def _check_id_range(low, high):
    if low <= -_MAX_ID or high >= _MAX_ID:
        bad = high if high >= _MAX_ID else low
        raise ValueError(
            f"Token ids must lie in (-2**62, 2**62); got {bad}. Map large ids "
            "to smaller integers, or pass the tokens as strings."
        )


def _token_array(flat):
    """Return ``(kind, array)``: "text" for str tokens, "ids" for integers."""
    if _all_of(flat, str):
        return "text", _object_array(flat)
    if _all_of(flat, Integral):
        _check_id_range(int(min(flat)), int(max(flat)))
        return "ids", np.asarray(flat, dtype=np.int64)
    bad = [t for t in flat if not isinstance(t, (str, Integral))][:1]
    if bad:
        detail = f"found {bad[0]!r} of type {type(bad[0]).__name__}"
    else:
        detail = "found a mix of strings and integers"
    raise ValueError(
        "Tokens must all be strings or all be integer token ids; " + detail + "."
    )


# ----------------------------------------------------------------------
# Array helpers
# ----------------------------------------------------------------------
def _pad(ids, lengths, order, bos, eos):
    """Pad each sentence with ``order - 1`` start symbols and one end symbol.

    Returns the concatenated padded sentences and, for each position, its
    offset inside its padded sentence.
    """
    padded = lengths + order
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(padded[:-1], out=starts[1:])
    total = int(padded.sum())
    dtype = np.int32 if max(total, bos) < 2**31 else np.int64
    stream = np.full(total, bos, dtype=dtype)
    sentence = np.repeat(np.arange(len(lengths)), lengths)
    stream[np.arange(len(ids)) + (order - 1) + order * sentence] = ids
    stream[starts + padded - 1] = eos
    pos = np.arange(total, dtype=dtype) - np.repeat(starts, padded).astype(dtype)
    return stream, pos


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
    """``np.unique(keys, return_inverse=True)``, faster (see above)."""
    sorted_keys, order = _sort_with_order(keys, bound)
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    inverse = np.empty(len(keys), dtype=dtype)
    inverse[order] = np.cumsum(new) - 1
    return sorted_keys[new], inverse


def _lookup(table, keys, bound):
    """Index of each key in the sorted ``table``, or -1 when absent."""
    out = np.full(len(keys), -1, dtype=np.int64)
    if len(table) == 0 or len(keys) == 0:
        return out
    # searchsorted is much faster on sorted queries (cache locality).
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


def _histories(ids, lengths, width, bos):
    """The last ``width`` ids of each run of ``ids``, padded with ``bos``."""
    history = np.full((len(lengths), width), bos, dtype=np.int64)
    ends = np.cumsum(lengths)
    for back in range(1, width + 1):
        has = lengths >= back
        history[has, width - back] = ids[ends[has] - back]
    return history


def _sample(p, temperature, rng):
    """Draw an index from the distribution (or scores) ``p``.

    ``temperature`` 0 takes the most likely index; otherwise the draw is from
    ``p ** (1 / temperature)``, renormalised. When a temperature so small
    that ``log(p) / temperature`` overflows leaves no finite value, the draw
    is its limit: the most likely index. An index of probability zero is
    never drawn.
    """
    if temperature == 0:
        return int(p.argmax())
    if temperature != 1:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            log_p = np.log(p) / temperature
        top = log_p.max()
        if not np.isfinite(top):
            return int(p.argmax())
        p = np.exp(log_p - top)
    candidates = np.flatnonzero(p > 0)
    if len(candidates) == 0:
        return int(p.argmax())
    cumulative = np.cumsum(p[candidates])
    u = rng.random_sample() * cumulative[-1]
    pick = np.searchsorted(cumulative, u, side="right")
    return int(candidates[min(int(pick), len(candidates) - 1)])


def _modified_kn_discounts(n1, n2, n3, n4):
    """Chen & Goodman's estimates of D1, D2 and D3+, or None if undefined."""
    if min(n1, n2, n3, n4) == 0:
        return None
    y = n1 / (n1 + 2 * n2)
    discounts = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    if not all(0 < d <= r for r, d in enumerate(discounts, start=1)):
        return None
    return discounts


class NGramLanguageModel(PersistenceMixin, DensityMixin, BaseEstimator):
    """N-gram language model: counts with classic smoothings, or a neural net.

    The model estimates ``P(w | h)``, the probability of the next token ``w``
    given the ``order - 1`` tokens ``h`` before it, from n-gram counts. Each
    sentence is padded with ``order - 1`` start symbols ``<s>`` and one end
    symbol ``</s>``; tokens seen fewer than ``min_count`` times in training,
    and tokens never seen, are mapped to the unknown token ``<unk>``. The
    distributions are over :attr:`classes_`: the vocabulary, ``</s>`` and
    ``<unk>`` (never ``<s>``, which is only a context).

    Counting and scoring are vectorised (sorted integer keys and
    ``np.searchsorted``, no Python object per n-gram): fitting and scoring run
    at over a million tokens per second, and the model stores three numbers
    per distinct n-gram.

    With ``backbone`` set to a neural network, the same vocabulary, padding,
    input formats and methods are used, but ``P(w | h)`` is computed by a
    network trained with cross-entropy on the shared recurrent core (skorch,
    like :class:`RNNClassifier`): ``"lstm"``, ``"gru"`` or ``"rnn"`` read
    the *whole* sentence prefix from ``<s>`` on, ``"mlp"`` the ``order - 1``
    previous tokens (Bengio et al.'s neural probabilistic language model).
    ``order`` and the smoothing parameters then only matter where stated.

    Parameters
    ----------
    order : int, default=3
        Length of the n-grams: the next token is predicted from the
        ``order - 1`` tokens before it. 1 gives a unigram model, 3 a trigram
        model.

    smoothing : {"kneser_ney", "modified_kneser_ney", "add_k", "mle", \
"stupid_backoff"}, default="kneser_ney"
        How probability mass is moved to unseen n-grams:

        - ``"mle"``: relative frequencies ``c(h w) / c(h)``, no smoothing.
          An n-gram never seen after a seen context gets probability 0 (and
          a sentence containing it infinite perplexity). A context never
          seen in training uses the longest of its suffixes that was seen.
        - ``"add_k"``: ``(c(h w) + k) / (c(h) + k |V|)`` on the highest
          order only (Lidstone; Laplace for ``k=1``).
        - ``"kneser_ney"``: interpolated Kneser-Ney with one fixed
          ``discount`` for all orders; every lower-order n-gram uses its
          continuation count (the number of distinct words seen before it;
          1 for an n-gram starting with ``<s>``), as nltk.lm does, and the
          unigram level is interpolated with the uniform distribution.
        - ``"modified_kneser_ney"``: interpolated modified Kneser-Ney (Chen &
          Goodman) as KenLM estimates it: three discounts per order, for
          n-grams seen once, twice and three or more times, estimated from
          the count-of-counts, and KenLM's adjusted counts (see Notes).
        - ``"stupid_backoff"``: Brants et al.'s scores ``c(h w) / c(h)``,
          or ``alpha`` times the score of the shorter context when
          ``c(h w) = 0``. These are **not probabilities**: they do not sum
          to one over the vocabulary, so :meth:`predict_proba` returns
          unnormalised scores, :meth:`score` warns and :meth:`perplexity`
          refuses.

    discount : float in (0, 1], default=None
        Discount of ``"kneser_ney"``; None means 0.75. Must stay None with
        ``"modified_kneser_ney"``, whose discounts are estimated; ignored by
        the other smoothings.

    k : float > 0, default=1.0
        Pseudo-count added to every n-gram by ``"add_k"``; ignored by the
        other smoothings.

    alpha : float in (0, 1], default=0.4
        Back-off factor of ``"stupid_backoff"``; ignored by the other
        smoothings.

    min_count : int, default=1
        Tokens seen fewer times than this in training are mapped to
        ``<unk>``, so that the model learns how to predict unknown words.

    tokenizer : {"whitespace", "chars"}, str or callable, default="whitespace"
        How a sentence given as a string is split into tokens:
        ``"whitespace"`` uses ``str.split()``, ``"chars"`` makes every
        character a token (spaces included), any other string is a regular
        expression whose ``re.findall`` matches are the tokens, and a
        callable maps a string to its list of tokens, which must be strings
        (a ``TypeError`` says which sentence gave what otherwise). Unused
        for input that is already tokenised.

    backbone : {"ngram", "lstm", "gru", "rnn", "mlp"}, default="ngram"
        How the next-token distribution is computed. ``"ngram"`` counts
        n-grams and applies ``smoothing``. ``"lstm"``, ``"gru"`` and
        ``"rnn"`` (Elman) are recurrent networks over the whole sentence
        prefix (``order`` is ignored), trained with truncated
        backpropagation through time (``bptt``). ``"mlp"`` is a
        feed-forward network over the embeddings of the ``order - 1``
        previous tokens (``order=1`` gives a unigram model: the network's
        only input is a constant ``<s>``, whatever the context). The parameters
        below apply to the neural backbones only.

    embedding_dim : int, default=64
        Size of the token embeddings.

    hidden_size : int, default=128
        Units of each recurrent layer, or of the hidden layer of ``"mlp"``.

    num_layers : int, default=1
        Stacked recurrent layers; ``"mlp"`` has one hidden layer.

    dropout : float in [0, 1), default=0.0
        Dropout between stacked layers and before the output layer.

    bptt : int, default=64
        Truncation of backpropagation through time: sentences longer than
        this many tokens are trained in chunks of ``bptt`` steps, the state
        flowing from one chunk to the next but the gradient stopping at
        chunk boundaries. Whole files can thus be one "sentence" (see the
        character-level example). Scoring is exact whatever ``bptt``.

    lr : float, default=2e-3
        Learning rate of the Adam optimizer.

    batch_size : int, default=32
        Mini-batch size: sentences trained side by side (recurrent
        backbones), or n-grams (``"mlp"``).

    max_epochs : int, default=10
        Maximum number of passes over the training corpus.

    clip_grad_norm : float or None, default=1.0
        Clip the gradient norm to this value before each step (None: no
        clipping).

    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the sentences (recurrent
        backbones) or of the n-grams (``"mlp"``) and stop
        when their loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best epoch's weights are kept.

    validation_fraction : float in (0, 1), default=0.1
        Share of the sentences held out when ``early_stopping=True``.

    n_iter_no_change : int, default=3
        Epochs without improvement tolerated by early stopping.

    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as improvement.

    device : str, default="cpu"
        Torch device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``.

    verbose : int, default=0
        Neural backbones only: 0 is silent; 1 shows a progress bar over the
        epochs (on stderr); 2 or more prints one line of losses per epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout and the order of the
        sentences in training; an int makes fit reproducible, also for fits
        in threads (a neural fit with dropout holds torch's generator for its
        whole training, as ``RNNRegressor``'s does). torch's global random
        state is left untouched. Unused by ``"ngram"``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The tokens the model predicts, sorted: the vocabulary plus the end
        and unknown tokens. An object array of strings for text; for integer
        token ids an int64 array in which the end and unknown tokens are the
        two ids following the largest id seen in training.

    eos_token_ : str or int
        The end-of-sentence token in :attr:`classes_`: ``"</s>"`` for text.

    unk_token_ : str or int
        The unknown token in :attr:`classes_`: ``"<unk>"`` for text.

    n_tokens_ : int
        Number of training tokens, padding excluded.

    order_ : int or None
        The ``order`` the model was fitted with (None for the recurrent
        backbones, which read the whole prefix). Prediction uses the fitted
        ``order_``, ``smoothing_``, ``alpha``, ``tokenizer`` and backbone:
        changing these parameters with ``set_params`` takes effect at the
        next ``fit`` only.

    smoothing_ : str or None
        The ``smoothing`` the counts were fitted with; None for the neural
        backbones.

    count_of_counts_ : ndarray of shape (order_, 4)
        Row ``j - 1`` holds ``n1, n2, n3, n4``: how many distinct n-grams of
        order ``j`` have count 1, 2, 3 and 4, using the counts the smoothing
        uses at that order: continuation counts below the highest order for
        the Kneser-Ney smoothings, raw counts otherwise, and KenLM's
        adjusted counts for ``"modified_kneser_ney"`` (see Notes).

    discounts_ : ndarray of shape (order_, 3) or None
        Row ``j - 1`` holds the discounts ``D1, D2, D3+`` of order ``j`` for
        the Kneser-Ney smoothings (all equal to ``discount`` for
        ``"kneser_ney"``); None for the others. ``count_of_counts_`` and
        ``discounts_`` exist with ``backbone="ngram"`` only.

    net_ : skorch.NeuralNet
        The skorch net that trained the network (neural backbones only, as
        are the four attributes below).

    n_iter_ : int
        Number of epochs run.

    loss_curve_ : list of float
        Training loss (mean cross-entropy per token) after each epoch.

    validation_scores_ : list of float or None
        Validation loss after each epoch with ``early_stopping=True``.

    best_loss_ : float
        Lowest validation loss with early stopping, else lowest training loss.

    n_features_in_ : int
        Number of columns of ``X``, only when fitted on a 2-D array of token
        ids.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X``, only when fitted on a DataFrame with
        string column names.

    See Also
    --------
    sklearn.neighbors.KernelDensity : Another density estimator with
        ``score_samples`` and ``score`` as log-likelihoods.

    Notes
    -----
    **Input.** ``X`` is a corpus, one sentence per sample, in any of these
    forms: a list (or 1-D array, or Series) of strings, split by
    ``tokenizer``; a list of token lists; or a 2-D array of integer token
    ids, one sentence per row (all sentences of the same length, which is
    what scikit-learn's tools pass around). The literal string ``"<unk>"``
    in text is read as the unknown token (as in the Penn Treebank); ``"<s>"``
    and ``"</s>"`` are reserved and rejected, since padding is added here.
    For :meth:`predict`, :meth:`predict_proba` and :meth:`generate`'s seed a
    sample is a *context*: the beginning of a sentence, of which the n-gram
    and ``"mlp"`` backbones use the last ``order - 1`` tokens and the
    recurrent backbones all; an empty context predicts the first token of a
    sentence. A 2-D array must have as many columns as the one the
    model was fitted on, as everywhere in scikit-learn; pass a list of token
    lists for other lengths.

    **Modified Kneser-Ney counts and discounts.** ``"modified_kneser_ney"``
    uses KenLM's adjusted counts: below the highest order, the continuation
    count of an n-gram, except for an n-gram starting with ``<s>``, which
    keeps its raw count since nothing can precede ``<s>``; and an n-gram
    with ``<s>`` after its first token (made only by the padding of the
    higher orders, such as ``<s> <s> w``) is not counted at all, so that the
    context of several ``<s>`` backs off to the single ``<s>``: the first
    token of a sentence is predicted from the raw counts of ``<s> w``. (The
    plain ``"kneser_ney"`` keeps nltk.lm's convention: continuation counts
    for every lower-order n-gram, ``<s> w`` included.) For each order, with
    ``n_r`` the number of n-grams of adjusted count ``r``, ``Y = n1 / (n1 +
    2 n2)``, ``D1 = 1 - 2 Y n2 / n1``, ``D2 = 2 - 3 Y n3 / n2`` and ``D3+ =
    3 - 4 Y n4 / n3``. When an ``n_r`` is zero or an estimate falls outside
    ``(0, r]`` (tiny corpora), that order uses ``(0.5, 1.0, 1.5)`` with a
    warning, like KenLM's ``--discount_fallback``.

    **Comparison with nltk.lm.** On the same n-grams and discount, nltk's
    ``KneserNeyInterpolated`` gives the same probabilities (tested to 1e-9),
    except at the lowest order: nltk uses the plain continuation-count
    distribution there, so a class never seen after another token (``<unk>``
    when no training token was rare) gets probability 0, and any sentence
    with an unknown word infinite perplexity. Here the discounted mass of the
    unigram level goes to the uniform distribution over :attr:`classes_`
    (Chen & Goodman; KenLM), which gives nltk's numbers when every class has
    been seen after some token. nltk's padding pipeline also appends
    ``order - 1`` end symbols and counts n-grams ending in ``<s>``, which
    gives ``<s>`` probability mass and scores the extra ``</s>``; here a
    sentence ends with one ``</s>`` and ``<s>`` is never predicted, as in
    KenLM and SRILM. Both read a context never seen in training as "use the
    shorter context". nltk's default discount is 0.1, ours the usual 0.75.

    References
    ----------
    S. F. Chen and J. Goodman, "An empirical study of smoothing techniques for
    language modeling", Computer Speech & Language 13(4), 1999.

    T. Brants, A. C. Popat, P. Xu, F. J. Och and J. Dean, "Large language
    models in machine translation", EMNLP-CoNLL 2007.

    Examples
    --------
    >>> from sklearn_rnn import NGramLanguageModel
    >>> corpus = ["the cat sat on the mat", "the dog sat on the log",
    ...           "a cat ate the fish"]
    >>> lm = NGramLanguageModel(order=2).fit(corpus)
    >>> lm.predict(["the dog", "a cat sat on"])
    array(['sat', 'the'], dtype=object)
    >>> proba = lm.predict_proba(["the dog sat on the"])
    >>> proba.shape, round(float(proba.sum()), 12)
    ((1, 12), 1.0)
    >>> round(lm.perplexity(["the cat sat on the log"]), 2)
    3.33
    >>> lm.generate(6, seed="the dog", temperature=0)
    ['sat', 'on', 'the', 'cat', 'sat', 'on']
    >>> len(lm.generate(100, random_state=0))
    100

    Integer token ids work the same way, one sentence per row:

    >>> import numpy as np
    >>> X = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3]])
    >>> lm = NGramLanguageModel(order=2, smoothing="mle").fit(X)
    >>> lm.classes_, lm.eos_token_, lm.unk_token_
    (array([0, 1, 2, 3, 4, 5]), 4, 5)
    >>> lm.predict_proba([[0]]).round(3)
    array([[0.   , 0.667, 0.333, 0.   , 0.   , 0.   ]])

    A recurrent backbone reads the whole prefix, here at the character level:

    >>> words = ["abcab", "cabca", "bcabc"] * 20
    >>> lstm = NGramLanguageModel(backbone="lstm", tokenizer="chars", lr=1e-2,
    ...                           max_epochs=30, random_state=0).fit(words)
    >>> lstm.generate(4, seed="ab", temperature=0)
    ['c', 'a', 'b', '</s>']
    >>> round(lstm.perplexity(words), 1)  # ideal: 3 ** (1 / 6), the first letter
    1.2
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [
            StrOptions(set(_SMOOTHINGS))
        ],
        "discount": [None, Interval(Real, 0, 1, closed="right")],
        "k": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="right")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        # "whitespace", "chars" or a regular expression: any string.
        "tokenizer": [str, callable],
        "backbone": [StrOptions({"ngram", "lstm", "gru", "rnn", "mlp"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "bptt": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        order=3,
        *,
        smoothing="kneser_ney",
        discount=None,
        k=1.0,
        alpha=0.4,
        min_count=1,
        tokenizer="whitespace",
        backbone="ngram",
        embedding_dim=64,
        hidden_size=128,
        num_layers=1,
        dropout=0.0,
        bptt=64,
        lr=2e-3,
        batch_size=32,
        max_epochs=10,
        clip_grad_norm=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        tol=1e-4,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.order = order
        self.smoothing = smoothing
        self.discount = discount
        self.k = k
        self.alpha = alpha
        self.min_count = min_count
        self.tokenizer = tokenizer
        self.backbone = backbone
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.bptt = bptt
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Count the n-grams of a corpus and compute the smoothed model.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Training sentences, see the Notes of the class: strings are split
            by ``tokenizer``, token lists are used as they are, and a 2-D
            array holds integer token ids, one sentence per row.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        # A failed fit leaves the estimator as it was; a successful one
        # replaces every fitted attribute (those of the other backbone go).
        state = self.__dict__.copy()
        for name in _BACKBONE_ATTRIBUTES:
            self.__dict__.pop(name, None)
        try:
            return self._fit(X)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _fit(self, X):
        if (
            self.backbone == "ngram"
            and self.smoothing == "modified_kneser_ney"
            and self.discount is not None
        ):
            raise ValueError(
                "discount must be None with smoothing='modified_kneser_ney': its "
                "three discounts per order are estimated from the counts. Use "
                "smoothing='kneser_ney' for a fixed discount."
            )
        if self.tokenizer not in ("whitespace", "chars"):
            _make_tokenizer(self.tokenizer)  # fail early on a bad regex
        # Prediction reads text with the tokenizer of fit (see order_).
        self._tokenizer = self.tokenizer
        kind, tokens, lengths, from_array = self._read(X, reset=True)
        if not from_array:
            # validate_data did not run: n_features_in_ would be stale.
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, name):
                    delattr(self, name)
        self._kind = kind
        # Prediction reads what was fitted, never the current parameters: a
        # set_params after fit changes nothing until the next fit.
        self._backbone = self.backbone
        recurrent = self.backbone not in ("ngram", "mlp")
        self.order_ = None if recurrent else int(self.order)
        self.smoothing_ = self.smoothing if self.backbone == "ngram" else None
        ids = self._build_vocabulary(kind, tokens)
        self.n_tokens_ = int(len(ids))
        if self.backbone != "ngram":
            self._fit_network(ids, lengths)
            return self
        stream, pos = _pad(ids, lengths, self.order_, self._bos, self._eos)
        del ids, tokens
        self._count(stream, pos)
        return self

    def _fit_network(self, ids, lengths):
        """Train the neural backbone on the encoded corpus (see ``_neural``)."""
        from sklearn_rnn.lm._neural import RecurrentBackbone, WindowBackbone

        params = dict(
            embedding_dim=self.embedding_dim,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            clip_grad_norm=self.clip_grad_norm,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            device=self.device,
            verbose=self.verbose,
            random_state=self.random_state,
        )
        if self.backbone == "mlp":
            network = WindowBackbone(**params)
            width = self.order_ - 1  # 0 (order 1): a unigram model
        else:
            network = RecurrentBackbone(cell=self.backbone, **params)
            width = self.bptt
        network.fit_tokens(ids, lengths, len(self.classes_), width, self._eos)
        self._network = network
        self.net_ = network.net_
        self.n_iter_ = network.n_iter_
        self.loss_curve_ = network.loss_curve_
        self.validation_scores_ = network.validation_scores_
        self.best_loss_ = network.best_loss_

    def _read(self, X, reset):
        """Read a corpus: return ``(kind, tokens, lengths, from_array)``.

        ``kind`` is "text" or "ids", ``tokens`` the concatenated tokens,
        ``lengths`` the number of tokens of each sentence and ``from_array``
        whether ``X`` went through ``validate_data``.
        """
        if isinstance(X, (str, bytes)):
            raise ValueError(
                "X must be a collection of sentences (a list of strings, a list "
                "of token lists or a 2-D array of token ids), not a single "
                "string; wrap it in a list: [X]."
            )
        ndim = None if sp.issparse(X) else getattr(X, "ndim", None)
        if ndim is not None:
            values = X if isinstance(X, np.ndarray) else np.asarray(X)
            if ndim == 2 and values.shape[1] == 1 and _holds_strings(values):
                # One column of text (a DataFrame column, as ColumnTransformer
                # passes it): one sentence per row, tokenized by `tokenizer`.
                return (*self._read_items(values[:, 0].tolist(), reset), False)
            if ndim == 2 and _holds_strings(values):
                return (*self._read_items(values.tolist(), reset), False)
            if ndim == 1 and values.dtype.kind in "USO":
                return (*self._read_items(list(values), reset), False)
        elif not sp.issparse(X) and hasattr(X, "__iter__"):
            items = list(X)
            if not items or any(
                isinstance(s, str) or _is_token_sequence(s) for s in items
            ):
                return (*self._read_items(items, reset), False)
            X = items  # numbers: validate_data explains the expected shape
        return (*self._read_id_array(X, reset), True)

    def _read_items(self, items, reset):
        if not items:
            raise ValueError(
                "X contains no sentences: found 0 sample(s), while a minimum of "
                "1 is required."
            )
        # Models saved before _tokenizer existed read the parameter.
        tokenizer = getattr(self, "_tokenizer", self.tokenizer)
        if _all_of(items, str):
            tokens, lengths = _tokenize(items, tokenizer)
            return "text", tokens, lengths
        tokenize = None
        lists = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                tokenize = tokenize or _make_tokenizer(tokenizer)
                lists.append(tokenize(item))
            elif _is_token_sequence(item):
                lists.append(item.tolist() if hasattr(item, "tolist") else list(item))
            else:
                raise ValueError(
                    f"X[{i}] is {item!r}; each sample must be a string (a "
                    "sentence) or a sequence of tokens."
                )
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        flat = list(chain.from_iterable(lists))
        if not flat:
            kind = "text" if reset else self._kind
            empty = np.zeros(0, dtype=object if kind == "text" else np.int64)
            return kind, empty, lengths
        kind, tokens = _token_array(flat)
        return kind, tokens, lengths

    def _read_id_array(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype="numeric")
        if X.dtype.kind not in "biu":
            if not np.all(np.floor(X) == X):
                raise ValueError(
                    "A 2-D array X holds integer token ids, one sentence per "
                    "row; got non-integer values. Pass text as a list of "
                    "strings or of token lists."
                )
        if X.size:
            _check_id_range(X.min(), X.max())
        lengths = np.full(X.shape[0], X.shape[1], dtype=np.int64)
        return "ids", X.astype(np.int64).ravel(), lengths

    def _build_vocabulary(self, kind, tokens):
        """Set ``classes_`` and return the tokens' internal ids.

        Internal ids are positions in ``classes_``; ``len(classes_)`` is the
        start symbol, which is only ever a context.
        """
        codes, uniques = pd.factorize(tokens)
        counts = np.bincount(codes, minlength=len(uniques))
        frequent = counts >= self.min_count
        if kind == "text":
            self._check_reserved(uniques)
            words = uniques[frequent & (uniques != UNK_TOKEN)]
            specials = np.array([EOS_TOKEN, UNK_TOKEN], dtype=object)
            self.classes_ = np.sort(np.concatenate([words, specials]))
            index = pd.Index(self.classes_)
            self._eos = int(index.get_loc(EOS_TOKEN))
            self._unk = int(index.get_loc(UNK_TOKEN))
            self.eos_token_, self.unk_token_ = EOS_TOKEN, UNK_TOKEN
            lut = index.get_indexer(uniques)
            lut[~frequent] = -1
        else:
            # The end and unknown tokens take the two ids after the largest
            # id seen, so that they can never collide with a real token.
            top = int(uniques.max()) if len(uniques) else -1
            words = np.sort(uniques[frequent]).astype(np.int64)
            self.classes_ = np.concatenate([words, [top + 1, top + 2]])
            self._eos, self._unk = len(words), len(words) + 1
            self.eos_token_, self.unk_token_ = top + 1, top + 2
            lut = np.where(frequent, np.searchsorted(words, uniques), -1)
        lut[lut < 0] = self._unk
        self._bos = len(self.classes_)
        return lut[codes]

    def _validate_fitted_state(self):
        """Raise a ValueError if the fitted attributes contradict each other.

        :func:`sklearn_rnn.persistence.load` calls it: a file whose header
        was edited (``order_``, the special token ids, ...) is refused instead
        of predicting nonsense or failing later with an IndexError.
        """
        if not hasattr(self, "classes_"):
            return  # not fitted
        try:
            problem = self._fitted_state_problem()
        except (AttributeError, TypeError, IndexError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            raise ValueError(
                f"The fitted state of this {type(self).__name__} is inconsistent "
                f"({problem}); the file is corrupted or was edited."
            )

    def _fitted_state_problem(self):
        """Describe the first inconsistency of the fitted state, or None."""
        backbones = ("ngram", "lstm", "gru", "rnn", "mlp")
        if self._backbone not in backbones or self._kind not in ("text", "ids"):
            return "unknown backbone or input kind"
        classes = self.classes_
        if not isinstance(classes, np.ndarray) or classes.ndim != 1:
            return "classes_ is not a 1-D array"
        if not np.all(classes[1:] > classes[:-1]):
            return "classes_ is not sorted"
        n_classes = len(classes)
        if self._bos != n_classes:
            return f"the start symbol's id {self._bos!r} is not {n_classes}"
        for name, token in (("_eos", self.eos_token_), ("_unk", self.unk_token_)):
            index = getattr(self, name)
            if not (type(index) is int and 0 <= index < n_classes):
                return f"{name} = {index!r} is not a class index"
            if classes[index] != token:
                return f"{name} = {index} does not point to {token!r}"
        if self._kind == "text" and (self.eos_token_, self.unk_token_) != (
            EOS_TOKEN,
            UNK_TOKEN,
        ):
            return "wrong end or unknown token"
        if self._backbone != "ngram":
            return self._network_problem()
        return self._counts_problem()

    def _network_problem(self):
        network = self._network
        if self.smoothing_ is not None:
            return "a neural backbone with a smoothing_"
        if network.n_classes_ != len(self.classes_) or network._eos != self._eos:
            return "the network's classes do not match classes_"
        if self._backbone == "mlp":
            order = self.order_
            if type(order) is not int or network.width_ != order - 1:
                return f"order_ = {order!r} does not match the network's window"
        elif self.order_ is not None:
            return "a recurrent backbone with an order_"
        return None

    def _counts_problem(self):
        n, smoothing = self.order_, self.smoothing_
        if type(n) is not int or n < 1:
            return f"order_ = {n!r}"
        if smoothing not in _SMOOTHINGS:
            return f"smoothing_ = {smoothing!r}"
        if len(self._keys) != n + 1 or len(self._alphas) != n + 1:
            return f"order_ = {n} does not match the stored n-grams"
        if len(self._gammas) != n:
            return f"order_ = {n} does not match the stored n-grams"
        if np.shape(self.count_of_counts_) != (n, 4):
            return "count_of_counts_ does not match order_"
        if (self.discounts_ is None) != (smoothing not in _KNESER_NEY) or (
            self.discounts_ is not None and np.shape(self.discounts_) != (n, 3)
        ):
            return "discounts_ does not match smoothing_ and order_"
        n_ids = self._bos + 1
        sizes = [1, n_ids]
        for j in range(2, n + 1):
            keys = self._keys[j]
            if not (isinstance(keys, np.ndarray) and keys.dtype.kind in "iu"):
                return f"the keys of order {j} are not an integer array"
            bound = sizes[j - 1] * n_ids
            if keys.ndim != 1 or (
                len(keys)
                and (
                    keys[0] < 0
                    or keys[-1] >= bound
                    or not np.all(keys[1:] > keys[:-1])
                )
            ):
                return f"the keys of order {j} are not sorted ids below {bound}"
            sizes.append(len(keys))
        orders = set(self._orders())
        for j in range(1, n + 1):
            alpha = self._alphas[j]
            if j not in orders:
                if alpha is not None:
                    return f"weights of order {j} with smoothing_ = {smoothing!r}"
                continue
            if np.shape(alpha) != (sizes[j] + 1,):
                return f"the weights of order {j} do not match its n-grams"
            gamma = self._gammas[j - 1]
            if smoothing == "stupid_backoff":
                if gamma is not None:
                    return "back-off weights with smoothing_ = 'stupid_backoff'"
            elif np.shape(gamma) != (sizes[j - 1] + 1,):
                return f"the back-off weights of order {j} do not match"
        return None

    @staticmethod
    def _check_reserved(uniques):
        reserved = {BOS_TOKEN, EOS_TOKEN} & set(uniques.tolist())
        if reserved:
            raise ValueError(
                f"The tokens {sorted(reserved)} are reserved: sentences are padded "
                "with the start and end symbols here, remove them from the text."
            )

    def _encode(self, kind, tokens):
        """Map tokens to internal ids with the fitted vocabulary."""
        if len(tokens) == 0:
            return np.zeros(0, dtype=np.int64)
        if kind != self._kind:
            fitted = "text" if self._kind == "text" else "integer token ids"
            got = "text" if kind == "text" else "integer token ids"
            raise ValueError(f"This model was fitted on {fitted}; got {got}.")
        codes, uniques = pd.factorize(tokens)
        if kind == "text":
            self._check_reserved(uniques)
            lut = pd.Index(self.classes_).get_indexer(uniques)
        else:
            idx = np.searchsorted(self.classes_, uniques)
            idx[idx == len(self.classes_)] = 0
            found = (self.classes_[idx] == uniques) & (idx != self._eos)
            lut = np.where(found, idx, -1)
        lut[lut < 0] = self._unk
        return lut[codes]

    def _count(self, stream, pos):
        """Count every order's n-grams and store the smoothed weights."""
        n, n_ids = self.order_, self._bos + 1
        n_classes = len(self.classes_)
        events = np.flatnonzero(stream != self._bos)  # positions predicted
        # keys[j]: sorted keys of the j-grams of the padded corpus (level 1
        # is implicit: the key of a token is its id). ranks: for each
        # position, the index in keys[j] of the j-gram ending there.
        keys = [None, None]
        sizes = [1, n_ids]
        ranks = stream
        event_ranks = [None, stream[events]]
        for j in range(2, n + 1):
            if sizes[j - 1] >= np.iinfo(np.int64).max // n_ids:
                raise ValueError(
                    f"order={n} n-grams over {n_ids} token ids exceed the int64 keys."
                )
            q = np.flatnonzero(pos >= j - 1)
            key = ranks[q - 1].astype(np.int64) * n_ids + stream[q]
            uniq, inv = _unique_inverse(key, sizes[j - 1] * n_ids, stream.dtype)
            del key
            ranks = np.full(len(stream), -1, dtype=stream.dtype)
            ranks[q] = inv
            del q, inv
            keys.append(uniq)
            sizes.append(len(uniq))
            event_ranks.append(ranks[events])
        event_pos = pos[events]
        del ranks, stream, pos

        raw = [None] + [
            np.bincount(event_ranks[j], minlength=sizes[j]) for j in range(1, n + 1)
        ]
        smoothing = self.smoothing_
        kneser_ney = smoothing in _KNESER_NEY
        kenlm = smoothing == "modified_kneser_ney"
        counts = [None]
        for j in range(1, n + 1):
            if kneser_ney and j < n:
                # Continuation count of a j-gram: the number of distinct
                # (j+1)-grams that extend it to the left.
                suffix = np.zeros(sizes[j + 1], dtype=np.int64)
                suffix[event_ranks[j + 1]] = event_ranks[j]
                counts.append(
                    np.bincount(suffix[np.flatnonzero(raw[j + 1])], minlength=sizes[j])
                )
                if kenlm:
                    # Nothing precedes <s>: KenLM keeps the raw count of a
                    # j-gram that starts with it. The sentence's tokens start
                    # at offset n - 1 of the padded sentence, so the j-gram
                    # ending at offset p starts with <s> iff p <= n + j - 3.
                    initial = event_ranks[j][event_pos <= n + j - 3]
                    counts[j][initial] = raw[j][initial]
            else:
                counts.append(raw[j])
        if kenlm:
            # KenLM has no n-gram with <s> after its first token (only the
            # padding of higher orders makes them): they are not counted, so
            # a context of several <s> backs off to the single <s>.
            for j in range(3, n + 1):
                counts[j][event_ranks[j][event_pos <= n + j - 4]] = 0
        del raw, event_ranks, event_pos

        self.count_of_counts_ = np.array(
            [np.bincount(np.minimum(c, 5), minlength=6)[1:5] for c in counts[1:]]
        )
        self.discounts_ = self._discounts() if kneser_ney else None

        # Each weight array ends with one extra cell, read through index -1
        # (an unseen n-gram or context): alpha 0, gamma 1. Stupid backoff has
        # no gamma: alpha holds the score of a seen n-gram, its back-off
        # factor alpha ** (n - j) included.
        orders = [n] if smoothing == "add_k" else range(1, n + 1)
        alphas, gammas = [None] * (n + 1), [None] * n
        for j in orders:
            seen = np.flatnonzero(counts[j])
            c = counts[j][seen].astype(np.float64)
            parent = np.zeros(len(seen), np.int64) if j == 1 else keys[j][seen] // n_ids
            total = np.bincount(parent, weights=c, minlength=sizes[j - 1])
            has_children = total > 0
            alphas[j] = alpha = np.zeros(sizes[j] + 1)
            if smoothing == "stupid_backoff":
                # the score of an n-gram seen in training, back-off included
                alpha[seen] = c / total[parent] * self.alpha ** (n - j)
                continue
            gammas[j - 1] = np.ones(sizes[j - 1] + 1)
            gamma = gammas[j - 1][:-1]  # a view
            if smoothing == "mle":
                alpha[seen] = c / total[parent]
                gamma[has_children] = 0.0
            elif smoothing == "add_k":
                pseudo = self.k * n_classes
                alpha[seen] = c / (total[parent] + pseudo)
                gamma[:] = pseudo / (total + pseudo)
            else:
                d1, d2, d3 = self.discounts_[j - 1]
                if smoothing == "kneser_ney":
                    d = d1
                    mass = d1 * np.bincount(parent, minlength=sizes[j - 1])
                else:
                    d = np.where(c == 1, d1, np.where(c == 2, d2, d3))
                    mass = np.bincount(parent, weights=d, minlength=sizes[j - 1])
                alpha[seen] = (c - d) / total[parent]
                gamma[has_children] = mass[has_children] / total[has_children]
        self._keys = keys
        self._alphas = alphas
        self._gammas = gammas

    def _discounts(self):
        n = self.order_
        if self.smoothing_ == "kneser_ney":
            d = 0.75 if self.discount is None else float(self.discount)
            return np.full((n, 3), d)
        discounts = np.empty((n, 3))
        for j, (n1, n2, n3, n4) in enumerate(self.count_of_counts_.tolist(), 1):
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

    # ------------------------------------------------------------------
    # Probabilities
    # ------------------------------------------------------------------
    def _stream_ranks(self, stream, pos, top):
        """Ranks of the j-grams ending at each position, j = 1..top."""
        n_ids = self._bos + 1
        ranks = [None, stream]
        for j in range(2, top + 1):
            rank = np.full(len(stream), -1, dtype=np.int64)
            q = np.flatnonzero(pos >= j - 1)
            prev = ranks[j - 1][q - 1]
            ok = prev >= 0
            q = q[ok]
            key = prev[ok].astype(np.int64) * n_ids + stream[q]
            bound = (n_ids if j == 2 else len(self._keys[j - 1])) * n_ids
            rank[q] = _lookup(self._keys[j], key, bound)
            ranks.append(rank)
        return ranks

    def _pointwise(self, contexts, grams):
        """P(w | h) for given context ranks (per level) and n-gram ranks."""
        if self.smoothing_ == "stupid_backoff":
            score = np.zeros(len(grams[1]))
            for j in range(1, self.order_ + 1):
                seen = self._alphas[j][grams[j]]
                score = np.where(seen > 0, seen, score)
            return score
        p = np.full(len(grams[1]), 1.0 / len(self.classes_))
        for j in self._orders():
            p = self._alphas[j][grams[j]] + self._gammas[j - 1][contexts[j - 1]] * p
        return p

    def _orders(self):
        n = self.order_
        return [n] if self.smoothing_ == "add_k" else range(1, n + 1)

    def _dense(self, contexts):
        """Next-token distributions (or scores) of contexts, one row each."""
        n, n_ids = self.order_, self._bos + 1
        m = len(contexts[0])
        if self.smoothing_ == "stupid_backoff":
            out = np.empty((m, n_ids))
            out[:] = self._alphas[1][:-1]
            for j in range(2, n + 1):
                rows, grams = _children(self._keys[j], contexts[j - 1], n_ids)
                score = self._alphas[j][grams]
                keep = score > 0
                words = self._keys[j][grams[keep]] % n_ids
                out[rows[keep], words] = score[keep]
            return out[:, : n_ids - 1]
        out = np.full((m, n_ids), 1.0 / len(self.classes_))
        for j in self._orders():
            if j == 1:
                out *= self._gammas[0][0]
                out += self._alphas[1][:-1]
                continue
            out *= self._gammas[j - 1][contexts[j - 1]][:, None]
            rows, grams = _children(self._keys[j], contexts[j - 1], n_ids)
            out[rows, self._keys[j][grams] % n_ids] += self._alphas[j][grams]
        return out[:, : n_ids - 1]

    def _context_ranks(self, ids, lengths):
        """Context ranks (levels 0..order-1) of the end of each token run."""
        n = self.order_
        m, width = len(lengths), n - 1
        contexts = [np.zeros(m, dtype=np.int64)]
        if width == 0:
            return contexts
        history = _histories(ids, lengths, width, self._bos)
        pos = np.tile(np.arange(width), m)
        ranks = self._stream_ranks(history.ravel(), pos, width)
        for j in range(1, n):
            contexts.append(np.asarray(ranks[j]).reshape(m, width)[:, -1])
        return contexts

    def _contexts(self, X):
        kind, tokens, lengths, _ = self._read(X, reset=False)
        return self._context_ranks(self._encode(kind, tokens), lengths)

    def _distributions(self, X):
        """Yield the next-token distributions of the contexts X, in chunks."""
        if self._backbone == "ngram":
            yield from self._chunks(self._contexts(X))
            return
        kind, tokens, lengths, _ = self._read(X, reset=False)
        ids = self._encode(kind, tokens)
        if self._backbone == "mlp":
            width = self._network.width_
            yield from self._network.distributions(
                _histories(ids, lengths, width, self._bos)
            )
        else:
            yield from self._network.distributions(ids, lengths)

    def _chunks(self, contexts):
        step = max(1, _CELLS_PER_CHUNK // (self._bos + 1))
        for start in range(0, len(contexts[0]), step):
            yield self._dense([c[start : start + step] for c in contexts])

    def _log_probs(self, X):
        """Log-probability of every token (and end) of every sentence."""
        kind, tokens, lengths, _ = self._read(X, reset=False)
        ids = self._encode(kind, tokens)
        sentence = np.repeat(np.arange(len(lengths)), lengths + 1)
        if self._backbone != "ngram":
            return self._network.log_probs(ids, lengths), sentence, len(lengths)
        n = self.order_
        stream, pos = _pad(ids, lengths, n, self._bos, self._eos)
        events = np.flatnonzero(stream != self._bos)
        ranks = self._stream_ranks(stream, pos, n)
        contexts = [np.zeros(len(events), dtype=np.int64)]
        contexts += [ranks[j][events - 1] for j in range(1, n)]
        grams = [None] + [ranks[j][events] for j in range(1, n + 1)]
        with np.errstate(divide="ignore"):
            log_p = np.log(self._pointwise(contexts, grams))
        return log_p, sentence, len(lengths)

    def _unnormalised(self):
        return self.smoothing_ == "stupid_backoff"

    def _warn_unnormalised(self, method):
        if self._unnormalised():
            warnings.warn(
                f"With smoothing='stupid_backoff', {method} sums the logarithms of "
                "unnormalised scores, not of probabilities: it is not a "
                "log-likelihood and cannot be compared with other smoothings.",
                UserWarning,
            )

    # ------------------------------------------------------------------
    # Public prediction API
    # ------------------------------------------------------------------
    def predict_proba(self, X):
        """Distribution of the next token after each context.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_contexts, n_tokens)
            Contexts: beginnings of sentences, in the formats of ``fit``. With
            ``backbone="ngram"`` or ``"mlp"`` only the last ``order - 1``
            tokens are used, shorter contexts being padded with the start
            symbol; the recurrent backbones read the whole context.

        Returns
        -------
        proba : ndarray of shape (n_contexts, n_classes)
            ``proba[i, c]`` is the probability that ``classes_[c]`` follows
            context ``i``; each row sums to one. With
            ``smoothing="stupid_backoff"`` the rows hold the unnormalised
            scores instead. The array is dense: with a large vocabulary, ask
            for a few thousand contexts at a time.
        """
        check_is_fitted(self)
        return np.concatenate(list(self._distributions(X)), axis=0)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_contexts, n_tokens)
            Contexts, see :meth:`predict_proba`.

        Returns
        -------
        log_proba : ndarray of shape (n_contexts, n_classes)
            Natural logarithm of the next-token probabilities (``-inf`` for
            probability zero).
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most likely next token after each context.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_contexts, n_tokens)
            Contexts, see :meth:`predict_proba`.

        Returns
        -------
        tokens : ndarray of shape (n_contexts,)
            The most likely next token (an element of ``classes_``; ties go to
            the first in ``classes_``). It may be ``eos_token_`` or
            ``unk_token_``.
        """
        check_is_fitted(self)
        best = [rows.argmax(axis=1) for rows in self._distributions(X)]
        return self.classes_[np.concatenate(best)]

    def score_samples(self, X):
        """Log-probability of each sentence.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Sentences, in the formats of ``fit``.

        Returns
        -------
        log_prob : ndarray of shape (n_sentences,)
            Natural logarithm of the probability of each sentence: the sum of
            the log-probabilities of its tokens and of the end symbol. Unknown
            tokens are scored as ``<unk>``.
        """
        check_is_fitted(self)
        self._warn_unnormalised("score_samples")
        log_p, sentence, n_sentences = self._log_probs(X)
        return np.bincount(sentence, weights=log_p, minlength=n_sentences)

    def score(self, X, y=None):
        """Mean log-likelihood per token (higher is better).

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Sentences, in the formats of ``fit``.

        y : None
            Ignored.

        Returns
        -------
        score : float
            Average natural-log probability of the tokens of ``X``, each
            sentence's end symbol included: ``-log(perplexity(X))``. Can be
            ``-inf`` with ``smoothing="mle"``.
        """
        check_is_fitted(self)
        self._warn_unnormalised("score")
        log_p, _, _ = self._log_probs(X)
        return float(log_p.mean())

    def perplexity(self, X):
        """Perplexity of the model on sentences (lower is better).

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Sentences, in the formats of ``fit``.

        Returns
        -------
        perplexity : float
            ``exp(-score(X))``, the inverse geometric mean of the token
            probabilities, each sentence's end symbol included.
        """
        check_is_fitted(self)
        if self._unnormalised():
            raise ValueError(
                "Perplexity is undefined with smoothing='stupid_backoff': its "
                "scores are not probabilities. Use another smoothing to evaluate "
                "the model."
            )
        log_p, _, _ = self._log_probs(X)
        return float(np.exp(-log_p.mean()))

    def generate(self, n_tokens, *, seed=None, temperature=1.0, random_state=None):
        """Sample tokens from the model.

        Each token is drawn from the next-token distribution of the tokens
        before it. After the end symbol, a new sentence starts.

        Parameters
        ----------
        n_tokens : int
            Number of tokens to generate.

        seed : str or sequence of tokens, default=None
            Beginning of the first sentence (not repeated in the output);
            None starts a new sentence.

        temperature : float >= 0, default=1.0
            Sampling from ``p ** (1 / temperature)``, renormalised: values
            below 1 favour likely tokens, above 1 flatten the distribution,
            and 0 always takes the most likely token (as does a temperature
            so small that ``log(p) / temperature`` overflows). It must be
            finite. A token of probability zero is never drawn. With
            ``smoothing="stupid_backoff"`` the scores are normalised first.

        random_state : int, RandomState instance or None, default=None
            Seeds the sampling; an int makes the output reproducible.

        Returns
        -------
        tokens : list
            The generated tokens, ``eos_token_`` included where a sentence
            ends.
        """
        check_is_fitted(self)
        check_scalar(n_tokens, "n_tokens", Integral, min_val=0)
        check_scalar(temperature, "temperature", Real, min_val=0)
        if not np.isfinite(temperature):
            raise ValueError(
                f"temperature must be a finite number >= 0; got {temperature}."
            )
        rng = check_random_state(random_state)
        seed_ids = np.zeros(0, dtype=np.int64)
        if seed is not None:
            kind, tokens, _, _ = self._read([seed], reset=False)
            seed_ids = self._encode(kind, tokens)
        if self._backbone != "ngram":
            out = self._network.generate(seed_ids, n_tokens, temperature, rng)
            return self.classes_[out].tolist()
        width = self.order_ - 1
        history = np.full(width, self._bos, dtype=np.int64)
        start = seed_ids[-width:] if width else []
        history[width - len(start) :] = start
        out = np.empty(n_tokens, dtype=np.int64)
        one = np.ones(1, dtype=np.int64)
        for i in range(n_tokens):
            p = self._dense(self._context_ranks(history, one * width))[0]
            token = _sample(p, temperature, rng)
            out[i] = token
            if token == self._eos:
                history[:] = self._bos
            elif width:
                history[:-1] = history[1:]
                history[-1] = token
        return self.classes_[out].tolist()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The cells of a 2-D array are token ids: categories, not quantities.
        # (scikit-learn's checks then pass integer-valued arrays.)
        tags.input_tags.categorical = True
        # input_tags.string stays False although lists of strings are the main
        # input: for scikit-learn it also promises that an object array holding
        # arbitrary objects (a dict) is accepted, and a dict is not a token.
        return tags

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        "_tokenizer": _spec.Value(),
        "_kind": _spec.Str({"text", "ids"}),
        "_backbone": _spec.Str(),
        "order_": _spec.Int(1, none=True),
        "smoothing_": _spec.Str(none=True),
        "classes_": _spec.Array((None,), kinds="iuUO"),
        "_eos": _spec.Int(0),
        "_unk": _spec.Int(0),
        "eos_token_": _spec.Value(),
        "unk_token_": _spec.Value(),
        "_bos": _spec.Int(0),
        "n_tokens_": _spec.Int(0),
        "n_features_in_": _spec.Int(0),
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
        "count_of_counts_": _spec.Array(("order_", 4), kinds="iu"),
        "discounts_": _spec.Array(("order_", 3), dtype="float64", none=True),
        "_keys": _spec.ListOf(
            _spec.Array((None,), kinds="iu", none=True),
            length=_spec.Dim(lambda c: c["order_"] + 1, "order_ + 1"),
        ),
        "_alphas": _spec.ListOf(
            _spec.Array((None,), dtype="float64", finite=True, none=True),
            length=_spec.Dim(lambda c: c["order_"] + 1, "order_ + 1"),
        ),
        "_gammas": _spec.ListOf(
            _spec.Array((None,), dtype="float64", finite=True, none=True),
            length="order_",
        ),
        "_network": _spec.Estimator(),
        "net_": _spec.Net(),
        "n_iter_": _spec.Int(0),
        "loss_curve_": _spec.ListOf(_spec.Float(finite=False)),
        "validation_scores_": _spec.ListOf(_spec.Float(finite=False), none=True),
        "best_loss_": _spec.Float(finite=False),
    }
