# SPDX-License-Identifier: BSD-3-Clause
"""Reading, tokenising, vocabulary, padding and sampling of the language models.

Shared by :class:`~sklearn_rnn.NGramLanguageModel` and
:class:`~sklearn_rnn.NeuralLanguageModel`. Never imports torch: the counting
model must stay usable without it.

Internal token ids are positions in ``classes_`` (the end symbol ``</s>`` and
the unknown token ``<unk>`` included); ``len(classes_)`` is the start symbol
``<s>``, which is only ever a context.
"""

import re
from itertools import chain
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

BOS_TOKEN, EOS_TOKEN, UNK_TOKEN = "<s>", "</s>", "<unk>"

# Separates sentences when a whole corpus is split on whitespace in one call;
# used only when it does not occur in the text (checked).
_SENTINEL = "\ue000"  # private-use code point, not whitespace

# Integer token ids must lie strictly between -_MAX_ID and _MAX_ID: the ids
# of the end and unknown tokens (the largest id + 1 and + 2) then fit int64.
_MAX_ID = 2**62

# Encoding looks every token up in the sorted classes_ (np.searchsorted, no
# hash table built per call); above this many tokens the distinct tokens are
# found first (pd.factorize) and only those are looked up.
_FACTORIZE_ABOVE = 4096


# ----------------------------------------------------------------------
# Tokenising
# ----------------------------------------------------------------------
def _all_of(items, kind):
    """Whether every item is an instance of ``kind`` (fast: by distinct type)."""
    return all(issubclass(t, kind) for t in set(map(type, items)))


def _is_token_sequence(item):
    return hasattr(item, "__iter__") and not isinstance(item, (str, bytes, dict))


def _holds_strings(values):
    """Whether a 2-D array holds string tokens rather than numeric ids.

    An object array with any string is text: a missing cell among strings
    is then named by the checks of the sentences, not read as an id.
    """
    if values.dtype.kind == "U":
        return True
    return values.dtype == object and any(isinstance(v, str) for v in values.flat)


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


def make_tokenizer(tokenizer):
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


def object_array(values):
    """A 1-D object array of ``values`` (never a 2-D array of characters)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def tokenize(sentences, tokenizer):
    """Tokenise a list of strings into ``(flat tokens, tokens per sentence)``."""
    if tokenizer == "whitespace":
        if len(sentences) == 1:
            return object_array(sentences[0].split()), None
        # One split of the joined corpus is several times faster than one
        # split per sentence; the sentinel tokens mark the boundaries.
        text = f" {_SENTINEL} ".join(sentences)
        if text.count(_SENTINEL) == len(sentences) - 1:
            flat = object_array(text.split())
            is_sep = flat == _SENTINEL
            bounds = np.concatenate([[-1], np.flatnonzero(is_sep), [len(flat)]])
            return flat[~is_sep], np.diff(bounds) - 1
    if tokenizer == "chars":
        lengths = np.fromiter(map(len, sentences), np.int64, len(sentences))
        return code_points("".join(sentences)), lengths
    split = make_tokenizer(tokenizer)
    lists = [split(s) for s in sentences]
    lengths = np.fromiter(map(len, lists), np.int64, len(lists))
    return object_array(list(chain.from_iterable(lists))), lengths


def code_points(text):
    """The characters of ``text`` as a uint32 array of code points.

    The "chars" tokenizer gives these instead of an object array of
    one-character strings: no Python object per character.
    """
    try:
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError as exc:
        _refuse_surrogates(exc)


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
        return "text", object_array(flat)
    if _all_of(flat, Integral):
        _check_id_range(int(min(flat)), int(max(flat)))
        return "ids", np.asarray(flat, dtype=np.int64)
    bad = [t for t in flat if not isinstance(t, (str, Integral))][:1]
    if bad and isinstance(bad[0], bytes):
        _refuse_bytes("a token")
    if bad:
        detail = f"found {bad[0]!r} of type {type(bad[0]).__name__}"
    else:
        detail = "found a mix of strings and integers"
    raise ValueError(
        "Tokens must all be strings or all be integer token ids; " + detail + "."
    )


def _refuse_bytes(what):
    raise TypeError(
        f"X holds bytes as {what}; the language models read text as str. "
        "Decode it first, e.g. [s.decode('utf-8') for s in X]."
    )


# ----------------------------------------------------------------------
# Reading a corpus
# ----------------------------------------------------------------------
def read_corpus(estimator, X, *, reset, tokenizer, fitted_kind=None):
    """Read a corpus: return ``(kind, tokens, lengths, from_array)``.

    ``kind`` is "text" or "ids", ``tokens`` the concatenated tokens,
    ``lengths`` the number of tokens of each sentence and ``from_array``
    whether ``X`` went through ``validate_data`` (which sets or checks
    ``n_features_in_`` on ``estimator``). ``fitted_kind`` is the kind of an
    empty corpus outside fit.
    """
    if type(X) is list and len(X) == 1 and type(X[0]) is str:
        # One sentence, the most frequent call when scoring: no inspection.
        tokens, _ = tokenize(X, tokenizer)
        return "text", tokens, np.array([len(tokens)]), False
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "X must be a collection of sentences (a list of strings, a list "
            "of token lists or a 2-D array of token ids), not a single "
            "string; wrap it in a list: [X]."
        )
    ndim = None if sp.issparse(X) else getattr(X, "ndim", None)
    items = None
    if ndim is not None:
        items = _array_items(X, ndim)
    elif not sp.issparse(X) and hasattr(X, "__iter__"):
        listed = list(X)
        if not listed or any(
            s is None or isinstance(s, (str, bytes)) or _is_token_sequence(s)
            for s in listed
        ):
            items = listed
        else:
            X = listed  # numbers: validate_data explains the expected shape
    if items is not None:
        return (*_read_items(items, tokenizer, fitted_kind), False)
    return (*_read_id_array(estimator, X, reset), True)


def _array_items(X, ndim):
    """The sentences of an array of text, or None for an array of ids."""
    values = X if isinstance(X, np.ndarray) else np.asarray(X)
    if values.dtype.kind == "S":
        _refuse_bytes("sentences")
    if ndim == 2 and values.shape[1] == 1 and _holds_strings(values):
        # One column of text (a DataFrame column, as ColumnTransformer
        # passes it): one sentence per row, tokenized by `tokenizer`.
        return values[:, 0].tolist()
    if ndim == 2 and _holds_strings(values):
        return values.tolist()
    if ndim == 1 and values.dtype.kind in "UO":
        return list(values)
    return None


def _read_items(items, tokenizer, fitted_kind):
    if not items:
        raise ValueError(
            "X contains no sentences: found 0 sample(s), while a minimum of "
            "1 is required."
        )
    if _all_of(items, str):
        tokens, lengths = tokenize(items, tokenizer)
        if lengths is None:  # one sentence
            lengths = np.array([len(tokens)], dtype=np.int64)
        return "text", tokens, lengths
    split = None
    lists = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            split = split or make_tokenizer(tokenizer)
            lists.append(split(item))
        elif isinstance(item, bytes):
            _refuse_bytes(f"X[{i}]")
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
        kind = fitted_kind or "text"
        empty = np.zeros(0, dtype=object if kind == "text" else np.int64)
        return kind, empty, lengths
    kind, tokens = _token_array(flat)
    return kind, tokens, lengths


def _read_id_array(estimator, X, reset):
    X = validate_data(estimator, X, reset=reset, dtype="numeric")
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


def _refuse_surrogates(exc):
    bad = exc.object[exc.start : exc.end]
    text = exc.object[max(exc.start - 20, 0) : exc.end + 20]
    raise ValueError(
        f"X holds the lone surrogate {bad!r} (in {text!r}), which is not valid "
        "Unicode text (a str decoded with errors='surrogateescape' or "
        "'surrogatepass'?). Decode the input with errors='replace', or remove "
        "the surrogates."
    ) from None


def _factorize(tokens):
    """``pd.factorize`` of tokens, with a clear error for unencodable text."""
    try:
        return pd.factorize(tokens)
    except UnicodeEncodeError as exc:
        _refuse_surrogates(exc)


def _check_encodable(tokens):
    """Refuse text that is not valid Unicode, as ``_factorize`` does."""
    try:
        "".join(tokens).encode("utf-8")
    except UnicodeEncodeError as exc:
        _refuse_surrogates(exc)


# ----------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------
class Vocabulary:
    """The tokens a model predicts and the mapping of tokens to internal ids.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        Sorted tokens: the vocabulary, the end and the unknown tokens.
    kind : {"text", "ids"}
        Whether the tokens are strings or integer token ids.
    eos, unk : int
        Positions of the end and unknown tokens in ``classes``.
    """

    def __init__(self, classes, kind, eos, unk):
        self.classes = classes
        self.kind = kind
        self.eos = eos
        self.unk = unk
        self._index = None  # token -> id, built at the first text lookup
        self._char_ids = None  # code point -> id, for the "chars" tokenizer

    @property
    def bos(self):
        """Internal id of the start symbol: only ever a context."""
        return len(self.classes)

    @classmethod
    def fit(cls, kind, tokens, min_count):
        """Learn the vocabulary of ``tokens``; return it and the tokens' ids.

        ``tokens`` is an object array of str or int64 ids, or for characters
        a uint32 array of code points (see :func:`code_points`).
        """
        if tokens.dtype == np.uint32:
            return cls._fit_characters(tokens, min_count)
        codes, uniques = _factorize(tokens)
        counts = np.bincount(codes, minlength=len(uniques))
        frequent = counts >= min_count
        if kind == "text":
            _check_reserved(uniques)
            _check_encodable(uniques)
            words = uniques[frequent & (uniques != UNK_TOKEN)]
            specials = np.array([EOS_TOKEN, UNK_TOKEN], dtype=object)
            classes = np.sort(np.concatenate([words, specials]))
            index = pd.Index(classes)
            eos, unk = int(index.get_loc(EOS_TOKEN)), int(index.get_loc(UNK_TOKEN))
            lut = index.get_indexer(uniques)
            lut[~frequent] = -1
        else:
            # The end and unknown tokens take the two ids after the largest
            # id seen, so that they can never collide with a real token.
            top = int(uniques.max()) if len(uniques) else -1
            words = np.sort(uniques[frequent]).astype(np.int64)
            classes = np.concatenate([words, [top + 1, top + 2]])
            eos, unk = len(words), len(words) + 1
            lut = np.where(frequent, np.searchsorted(words, uniques), -1)
        lut[lut < 0] = unk
        return cls(classes, kind, eos, unk), lut[codes]

    @classmethod
    def _fit_characters(cls, points, min_count):
        counts = np.bincount(points)
        seen = np.flatnonzero(counts)
        chars = object_array([chr(c) for c in seen[counts[seen] >= min_count]])
        specials = np.array([EOS_TOKEN, UNK_TOKEN], dtype=object)
        classes = np.sort(np.concatenate([chars, specials]))
        position = dict(zip(classes.tolist(), range(len(classes))))
        vocabulary = cls(
            classes, "text", position[EOS_TOKEN], position[UNK_TOKEN]
        )
        return vocabulary, vocabulary._encode_characters(points)

    def _encode_characters(self, points):
        """Internal ids of code points, through a table indexed by them."""
        if getattr(self, "_char_ids", None) is None:
            chars = [c for c in self.classes.tolist() if len(c) == 1]
            table = np.full(max(map(ord, chars), default=0) + 1, self.unk)
            table[[ord(c) for c in chars]] = [self._position(c) for c in chars]
            self._char_ids = table
        table = self._char_ids
        ids = table.take(points, mode="clip")
        ids[points >= len(table)] = self.unk
        return ids

    def _position(self, token):
        return int(np.searchsorted(self.classes, token))

    @property
    def eos_token(self):
        return int(self.classes[self.eos]) if self.kind == "ids" else EOS_TOKEN

    @property
    def unk_token(self):
        return int(self.classes[self.unk]) if self.kind == "ids" else UNK_TOKEN

    def encode(self, kind, tokens):
        """Map tokens to internal ids; unknown tokens to the unknown id."""
        if len(tokens) == 0:
            return np.zeros(0, dtype=np.int64)
        if kind != self.kind:
            fitted = "text" if self.kind == "text" else "integer token ids"
            got = "text" if kind == "text" else "integer token ids"
            raise ValueError(f"This model was fitted on {fitted}; got {got}.")
        if tokens.dtype == np.uint32:
            return self._encode_characters(tokens)
        if len(tokens) <= _FACTORIZE_ABOVE:
            return self._lookup(tokens)
        codes, uniques = _factorize(tokens)
        return self._lookup(uniques)[codes]

    def _lookup(self, tokens):
        if self.kind == "text":
            return self._lookup_text(tokens)
        classes = self.classes
        # classes is sorted: a binary search per token.
        idx = np.searchsorted(classes, tokens)
        idx[idx == len(classes)] = 0
        found = (classes[idx] == tokens) & (idx != self.eos)
        return np.where(found, idx, self.unk)

    def _lookup_text(self, tokens):
        if self._index is None:
            # The reserved symbols map to -1, which no token id is.
            index = dict(zip(self.classes.tolist(), range(len(self.classes))))
            index[BOS_TOKEN] = index[EOS_TOKEN] = -1
            self._index = index
        get, unk = self._index.get, self.unk
        ids = [get(t, unk) for t in tokens]
        if -1 in ids:
            _check_reserved(np.asarray(tokens, dtype=object))
        _check_encodable(tokens)
        return np.array(ids, dtype=np.int64)


def _check_reserved(tokens):
    reserved = (tokens == BOS_TOKEN) | (tokens == EOS_TOKEN)
    if reserved.any():
        found = sorted(set(tokens[reserved].tolist()))
        raise ValueError(
            f"The tokens {found} are reserved: sentences are padded "
            "with the start and end symbols here, remove them from the text."
        )


# ----------------------------------------------------------------------
# Padding and sampling
# ----------------------------------------------------------------------
def pad(ids, lengths, order, bos, eos):
    """Pad each sentence with ``order - 1`` start symbols and one end symbol.

    Returns the concatenated padded sentences and, for each position, its
    offset inside its padded sentence.
    """
    padded = lengths + order
    if len(lengths) == 1:  # one sentence: no bookkeeping of boundaries
        total = int(padded[0])
        dtype = np.int32 if max(total, bos) < 2**31 else np.int64
        stream = np.full(total, bos, dtype=dtype)
        stream[order - 1 : total - 1] = ids
        stream[-1] = eos
        return stream, np.arange(total, dtype=dtype)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(padded[:-1], out=starts[1:])
    total = int(padded.sum())
    dtype = np.int32 if max(total, bos) < 2**31 else np.int64
    stream = np.full(total, bos, dtype=dtype)
    # Flags rather than index arrays: a byte per position, not eight.
    is_token = np.ones(total, dtype=bool)
    for k in range(order - 1):
        is_token[starts + k] = False
    ends = starts + padded - 1
    is_token[ends] = False
    stream[is_token] = ids
    del is_token
    stream[ends] = eos
    pos = np.arange(total, dtype=dtype)
    pos -= np.repeat(starts.astype(dtype), padded)
    return stream, pos


def histories(ids, lengths, width, bos):
    """The last ``width`` ids of each run of ``ids``, padded with ``bos``."""
    history = np.full((len(lengths), width), bos, dtype=np.int64)
    ends = np.cumsum(lengths)
    for back in range(1, width + 1):
        has = lengths >= back
        history[has, width - back] = ids[ends[has] - back]
    return history


def sample(p, temperature, rng):
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
