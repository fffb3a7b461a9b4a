# SPDX-License-Identifier: BSD-3-Clause
"""Validation of sequence input: 2-D, 3-D, ragged, DataFrame, token ids.

Functions of plain arrays that name what is wrong; the estimator template
(``_base.py``) calls them and records the layout it fitted on.
"""

import re
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

FLOAT_DTYPES = (np.float64, np.float32)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(X, name="X"):
    """Refuse finite float64 values that would become inf in float32."""
    # max and min reduce a window view in place; np.abs(X) would allocate a
    # copy of every window.
    if X.dtype != np.float64 or not X.size:
        return
    largest = max(X.max(), -X.min())
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"{name} has values of magnitude up to {largest:.3g}, beyond "
            f"the float32 range the network computes in (about {_FLOAT32_MAX:.3g}"
            f"); scale {name} first (e.g. with StandardScaler)."
        )


def sequence_column(X):
    """A 1-D container of sequences as the list of its sequences, else X.

    A pandas Series (a DataFrame column such as ``df["seq"]``) or a 1-D
    object array whose elements are all arrays, lists or tuples holds one
    sequence per element, of equal lengths or not; NumPy cannot convert it
    to a numeric array. As a list, it goes through the same validation as a
    list of sequences. Anything else is returned as it is.
    """
    if isinstance(X, np.ndarray):
        if X.dtype != object or X.ndim != 1:
            return X
    elif not (hasattr(X, "iloc") and getattr(X, "ndim", None) == 1):
        return X
    elif X.dtype != object:
        return X
    items = list(X)
    if items and all(isinstance(s, (np.ndarray, list, tuple)) for s in items):
        return items
    return X


def ragged_candidates(X):
    """Return X as a list of sequences if it holds sequences of unequal shape.

    A list whose elements all share one shape is an ordinary array and goes
    through the regular validation; None is returned for it.
    """
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        items = list(X)
    elif isinstance(X, (list, tuple)):
        items = list(X)
    else:
        return None
    if not items or any(isinstance(s, (str, bytes)) for s in items):
        return None
    try:
        shapes = {np.shape(s) for s in items}
    except ValueError:  # an element is itself ragged: validate it one by one
        return items
    if len(shapes) <= 1 or () in shapes:
        return None
    return items


def array_ndim(X):
    """The number of dimensions of X as an array, None if it has none."""
    if sp.issparse(X):
        return 2
    ndim = getattr(X, "ndim", None)
    if ndim is not None:
        return ndim
    try:
        return np.asarray(X).ndim
    except (ValueError, TypeError):
        return None  # let check_array name the problem


def check_3d_sequences(X, estimator):
    """Validate a 3-D ``(n_samples, n_timesteps, n_features)`` float array.

    It is kept in its dtype and layout (a window view stays a view): the
    dataset converts each batch to float32 when it is drawn.
    """
    X = check_array(
        X, allow_nd=True, dtype=FLOAT_DTYPES, input_name="X", estimator=estimator
    )
    if X.shape[1] == 0 or X.shape[2] == 0:
        raise ValueError(
            f"Found array with shape {X.shape}: sequences need at least "
            "one time step and one feature."
        )
    check_float32_range(X)
    return X


def _check_one_sequence(seq, i, tokens, estimator):
    try:
        seq = check_array(
            seq,
            ensure_2d=False,
            dtype="numeric" if tokens else FLOAT_DTYPES,
            input_name=f"X[{i}]",
            estimator=estimator,
            ensure_min_samples=0,
        )
    except ValueError as exc:
        if "inhomogeneous" not in str(exc):
            raise
        # numpy's words for nested items of different lengths.
        raise ValueError(
            f"X[{i}] is not an array of numbers: its items are sequences of "
            "different lengths. Numeric sequences need the same number of "
            "features at every step; tokens that are tuples need "
            "input_type='tokens' (Seq2SeqTransformer)."
        ) from None
    if len(seq) == 0:
        raise ValueError(
            f"X[{i}] is an empty sequence; every sequence needs at least one time step."
        )
    if tokens:
        if seq.ndim != 1:
            raise ValueError(
                f"X[{i}] has shape {seq.shape}; with embedding_dim set each "
                "sequence must be a 1-D array of token ids."
            )
        return seq
    if seq.ndim == 1:
        seq = seq[:, None]
    if seq.ndim != 2:
        raise ValueError(
            f"X[{i}] has shape {seq.shape}; each sequence must be "
            "1-D (n_timesteps,) or 2-D (n_timesteps, n_features)."
        )
    check_float32_range(seq, f"X[{i}]")
    return seq


def check_ragged_sequences(items, tokens, estimator):
    """Validate sequences of different lengths, one array each.

    Returns the list of validated arrays: 1-D token ids when ``tokens``,
    else float ``(n_timesteps_i, n_features)`` arrays with one number of
    features.
    """
    sequences = []
    for i, seq in enumerate(items):
        seq = _check_one_sequence(seq, i, tokens, estimator)
        if not tokens and sequences and seq.shape[1] != sequences[0].shape[1]:
            raise ValueError(
                f"X[{i}] has {seq.shape[1]} features per time step but "
                f"X[0] has {sequences[0].shape[1]}; all sequences must "
                "have the same number of features."
            )
        sequences.append(seq)
    return sequences


def check_token_ids(X, lengths=None, *, vocab_size=None, fitted_vocab_size=None):
    """Check integer token ids; return them as int64 and the vocabulary size.

    In fit (``fitted_vocab_size`` None) the vocabulary is ``vocab_size``, or
    learnt from the largest id when that is None; in predict the ids must
    lie in the fitted vocabulary. ``lengths`` marks the padding of ragged
    input, which is not checked.
    """
    if lengths is None:
        values = X
    else:
        values = np.concatenate([row[:n] for row, n in zip(X, lengths)])
    if not np.all(np.mod(values, 1) == 0):
        raise ValueError(
            "With embedding_dim set, X must hold integer token ids; got "
            "non-integer values."
        )
    low, high = values.min(), values.max()
    if low < 0:
        raise ValueError(f"Token ids must be non-negative; got {low:g}.")
    if fitted_vocab_size is not None:
        if high >= fitted_vocab_size:
            raise ValueError(
                f"X contains token id {high:g}, outside the vocabulary of "
                f"{fitted_vocab_size} ids seen in fit; set vocab_size to the "
                "size of the full vocabulary when fitting."
            )
        return X.astype(np.int64), fitted_vocab_size
    vocab = int(high) + 1 if vocab_size is None else int(vocab_size)
    if high >= vocab:
        raise ValueError(
            f"X contains token id {high:g} but vocab_size={vocab}; ids "
            "must lie in [0, vocab_size)."
        )
    return X.astype(np.int64), vocab


def per_step_targets(y, lengths, n_timesteps):
    """Split per-step targets into one array per sequence.

    ``y`` must have one target per time step of each sequence: shape
    ``(n_samples, n_timesteps, ...)`` for equal-length input, or a list
    of arrays of the sequences' lengths for ragged input.
    """
    if lengths is None:
        y = np.asarray(sequence_column(y))
        if y.ndim < 2 or y.shape[1] != n_timesteps:
            raise ValueError(
                "With return_sequences=True, y needs one target per time "
                f"step: expected shape (n_samples, {n_timesteps}, ...), got "
                f"{y.shape}."
            )
        return list(y)
    steps = [np.asarray(t) for t in y]
    for i, (t, n) in enumerate(zip(steps, lengths)):
        if t.ndim == 0 or len(t) != n:
            raise ValueError(
                f"With return_sequences=True, y[{i}] needs one target per "
                f"time step of X[{i}] ({n}); got shape {t.shape}."
            )
    return steps


def check_finite_output(out):
    """Never hand back NaN or inf as if it were a prediction (one row a sample)."""
    bad = np.flatnonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))
    if len(bad):
        raise ValueError(
            f"The network's output is not finite for {len(bad)} sequence(s) "
            f"(X[i] for i in {bad[:5].tolist()}{', ...' if len(bad) > 5 else ''})"
            ": their values overflow the network; scale X like the training data."
        )


# ----------------------------------------------------------------------
# Token input (strings or sequences of tokens)
# ----------------------------------------------------------------------
def _sample_items(data, force):
    """The samples of ``data`` as a list, or None where it holds no tokens."""
    if isinstance(data, (list, tuple)):
        return list(data)
    if hasattr(data, "iloc") and getattr(data, "ndim", 2) == 1:
        return list(data)  # a pandas Series of strings or lists
    if isinstance(data, np.ndarray) and (force or data.dtype.kind in "USO"):
        if data.ndim == 1:
            return list(data)
        if data.ndim == 2 and (force or data.dtype.kind in "US"):
            return [list(row) for row in data]
        if data.ndim == 2 and data.dtype.kind == "O":
            return list(data)
        return None
    if force:
        return list(np.asarray(data, dtype=object))
    return None


def _ndim(sample):
    """``np.ndim(sample)``, or -1 for a nested sequence of ragged items
    (tuples of different lengths, say), which numpy cannot make an array of."""
    try:
        return np.ndim(sample)
    except ValueError:
        return -1


def _forced_token_lists(items, name):
    """Every sample as a token list, or a ValueError naming the first bad one."""
    for i, s in enumerate(items):
        scalar = isinstance(s, np.ndarray) and s.ndim == 0
        if not isinstance(s, (str, list, tuple, np.ndarray)) or scalar:
            raise ValueError(
                f"{name}[{i}] is a {type(s).__name__}; with "
                f"{'input' if name == 'X' else 'output'}_type='tokens' every "
                "sample must be a string or a sequence of tokens."
            )
    return [list(s) for s in items]


def as_token_lists(data, force, name):
    """Return ``data`` as a list of token lists, or None for numeric data.

    Strings are split into characters. Without ``force``, ``data`` is token
    data only when every sample is a string, or every sample is a sequence
    whose items are all strings; numeric arrays are left to the numeric
    validation. With ``force``, every sample is a string or a sequence of
    hashable tokens.
    """
    if isinstance(data, (str, bytes)):
        raise TypeError(
            f"{name} must be a list of samples (strings or token sequences), "
            f"got a single {type(data).__name__}."
        )
    if sp.issparse(data) or data is None:
        return None
    items = _sample_items(data, force)
    if not items:
        return None
    if all(isinstance(s, str) for s in items):
        return [list(s) for s in items]
    if force:
        return _forced_token_lists(items, name)
    _refuse_strings_among_others(items, name, "sample")
    sequences = all(
        isinstance(s, (list, tuple, np.ndarray)) and _ndim(s) == 1 for s in items
    )
    if sequences:
        tokens = [list(s) for s in items]
        if any(tokens) and all(isinstance(t, str) for seq in tokens for t in seq):
            return tokens
        if any(isinstance(t, str) for seq in tokens for t in seq):
            for i, seq in enumerate(tokens):
                _refuse_strings_among_others(seq, f"{name}[{i}]", "token", True)
    return None


def _refuse_strings_among_others(values, name, what, strings_elsewhere=False):
    """A ValueError when ``values`` mix strings with other values (None, NaN).

    Such data is neither text nor numbers: without this, the numeric
    validation that follows reports "could not convert string to float".
    ``strings_elsewhere``: other samples hold strings, so any non-string
    here is wrong.
    """
    if not (strings_elsewhere or any(isinstance(v, str) for v in values)):
        return
    bad = [(i, v) for i, v in enumerate(values) if not isinstance(v, str)]
    if not bad:
        return
    i, value = bad[0]
    raise ValueError(
        f"{name}[{i}] is {value!r} (a {type(value).__name__}), but other "
        f"{what}s are strings: every {what} must be a string. "
        "Missing values (None, NaN) are not supported: drop those samples "
        "or replace them with a string."
    )


def require_token_lists(data, name):
    """Return ``data`` as a list of token lists, or raise a ValueError.

    For data that must hold token sequences (``as_token_lists`` with
    ``force=True``): None, no samples at all, or a layout that cannot hold
    token sequences is an error rather than "not token data".
    """
    tokens = as_token_lists(data, True, name)
    if tokens is not None:
        return tokens
    if data is None:
        raise ValueError(
            f"{name} is None; expected a list of samples (strings or token sequences)."
        )
    if not sp.issparse(data) and len(data) == 0:
        raise ValueError(
            f"Found {name} with 0 samples, while a minimum of 1 is required."
        )
    shape = getattr(data, "shape", None)
    raise ValueError(
        f"{name} must be a list of samples (strings or token sequences), got "
        f"a {type(data).__name__}" + (f" of shape {shape}." if shape else ".")
    )


def learn_vocabulary(token_lists, name):
    """Sorted distinct tokens (in order of appearance if they do not sort)."""
    seen = {}
    try:
        for seq in token_lists:
            for token in seq:
                seen.setdefault(token, None)
    except TypeError as exc:
        raise TypeError(f"The tokens of {name} must be hashable: {exc}") from None
    try:
        return sorted(seen)
    except TypeError:
        return list(seen)


def check_token_kind(tokens, vocabulary, estimator_name):
    """Refuse numbers where the model learnt string tokens.

    A numeric array passes for a list of samples of number tokens, none
    of which can be a string token of the vocabulary: every one would be
    read as the unknown token. Samples mixing strings and other tokens
    keep the documented mapping of unseen tokens.
    """
    if not vocabulary or not all(isinstance(t, str) for t in vocabulary):
        return
    found = False
    for seq in tokens:
        for token in seq:
            if isinstance(token, str):
                return
            found = True
    if found:
        raise ValueError(
            f"X holds numbers, but this {estimator_name} was fitted on strings "
            "or sequences of string tokens; pass the inputs as strings (or "
            "token sequences), or fit on numeric input."
        )


def check_numeric_sequences_target(y, estimator):
    """Validate numeric target sequences: ``(n,)``, ``(n, steps[, outputs])``."""
    y = sequence_column(y)  # a Series of target sequences as a list
    try:
        y = check_array(
            y,
            ensure_2d=False,
            allow_nd=True,
            dtype=np.float64,
            input_name="y",
            estimator=estimator,
        )
    except ValueError as exc:
        if "inhomogeneous" not in str(exc):
            raise
        raise ValueError(
            "Numeric target sequences must all have the same length; "
            "pad them or use token targets (output_type='tokens')."
        ) from None
    if y.ndim > 3:
        raise ValueError(
            "Numeric y must be of shape (n_samples,), (n_samples, n_steps) "
            f"or (n_samples, n_steps, n_outputs); got {y.shape}."
        )
    if y.ndim > 1 and y.shape[1] == 0:
        raise ValueError("y has target sequences of length 0.")
    return y


_LAG_NAME = re.compile(r"^lag_?(\d+)$", re.IGNORECASE)


def warn_if_lags_newest_first(names, estimator):
    """Warn when a 2-D X's columns are lags counted back from the newest.

    Lag tables (``lag_1, lag_2, ...``, as skforecast builds them) put the
    newest value first; a recurrent network reads the columns of a 2-D X
    as time steps in order, so it would read every sequence backwards.
    """
    if names is None or len(names) < 2:
        return
    found = [_LAG_NAME.match(str(name)) for name in names]
    if not all(found):
        return
    lags = [int(m.group(1)) for m in found]
    if all(a < b for a, b in zip(lags, lags[1:])):
        warnings.warn(
            f"X's columns look like lags counted back from the newest value "
            f"({names[0]!r}, {names[1]!r}, ...): {estimator} reads the columns "
            "of a 2-D X as time steps, oldest first, so it would read each "
            "sequence backwards. Reverse them (X.iloc[:, ::-1], or "
            "FunctionTransformer(numpy.fliplr) in a Pipeline).",
            UserWarning,
            stacklevel=4,
        )
