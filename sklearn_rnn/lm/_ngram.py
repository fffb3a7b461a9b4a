# SPDX-License-Identifier: BSD-3-Clause
"""Count-based n-gram language model.

The estimator: parameters, fitting and the deprecated ``backbone`` switch.
The counting and smoothing are in :mod:`sklearn_rnn.lm._counts`, reading,
the vocabulary and sampling in :mod:`sklearn_rnn.lm._text`. This module
never imports torch (``import sklearn_rnn`` followed by fitting and scoring
an ``NGramLanguageModel`` loads neither torch nor skorch).
"""

import inspect
import warnings
import weakref
from numbers import Integral, Real

import numpy as np

from sklearn_rnn._persistence import _spec
from sklearn_rnn.lm._counts import SMOOTHINGS, NGramTables
from sklearn_rnn.lm._estimator import BaseLanguageModel
from sklearn_rnn.lm._text import sample
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions

__all__ = ["NGramLanguageModel"]

_NEURAL_BACKBONES = ("lstm", "gru", "rnn", "mlp")

# The parameters NGramLanguageModel(backbone=...) took for its networks and
# their defaults then, which the deprecated call keeps.
_FORMER_NEURAL_DEFAULTS = dict(
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
)
_COUNTING_ONLY = ("smoothing", "discount", "k", "alpha")

# The NGramTables of each fitted model, see NGramLanguageModel._tables.
_TABLES = weakref.WeakKeyDictionary()


def _deprecated_neural_model(args, kwargs):
    """The NeuralLanguageModel that ``NGramLanguageModel(backbone=...)`` was."""
    from sklearn_rnn.lm._neural_lm import NeuralLanguageModel

    backbone = kwargs.pop("backbone")
    if args:
        kwargs["order"] = args[0]
    params = {k: v for k, v in kwargs.items() if k not in _COUNTING_ONLY}
    unknown = set(params) - set(_FORMER_NEURAL_DEFAULTS) - {
        "order",
        "min_count",
        "tokenizer",
    }
    if len(args) > 1:
        raise TypeError(
            "NGramLanguageModel(backbone=...) takes one positional argument "
            f"(order) but {len(args)} were given."
        )
    if unknown:
        raise TypeError(
            f"NGramLanguageModel() got unexpected arguments {sorted(unknown)}."
        )
    warnings.warn(
        f"NGramLanguageModel(backbone={backbone!r}) is deprecated since 0.1 and "
        "will be removed in 0.3; use NeuralLanguageModel(backbone="
        f"{backbone!r}). This call returns a NeuralLanguageModel with the former "
        "defaults of NGramLanguageModel's network parameters (hidden_size=128, "
        "embedding_dim=64, lr=2e-3, max_epochs=10, clip_grad_norm=1.0, "
        "n_iter_no_change=3); NeuralLanguageModel's own defaults are those of "
        "the other neural estimators.",
        FutureWarning,
        stacklevel=3,
    )
    return NeuralLanguageModel(
        backbone=backbone, **{**_FORMER_NEURAL_DEFAULTS, **params}
    )


class NGramLanguageModel(PersistenceMixin, BaseLanguageModel):
    """N-gram language model: counted n-grams with classic smoothings.

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

    It never imports torch. :class:`NeuralLanguageModel` has the same
    vocabulary, input formats and methods with a neural network computing
    ``P(w | h)``.

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

    backbone : "ngram", default="deprecated"
        Deprecated since 0.1: the model always counts n-grams. Passing a
        neural backbone (``"lstm"``, ``"gru"``, ``"rnn"``, ``"mlp"``)
        returns a :class:`NeuralLanguageModel` instead, with the former
        defaults of its training parameters, and a ``FutureWarning``; the
        parameter will be removed in 0.3.

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

    order_ : int
        The ``order`` the model was fitted with. Prediction uses the fitted
        ``order_``, ``smoothing_``, ``alpha`` and ``tokenizer``:
        changing these parameters with ``set_params`` takes effect at the
        next ``fit`` only.

    smoothing_ : str
        The ``smoothing`` the counts were fitted with.

    count_of_counts_ : ndarray of shape (order_, 4)
        Row ``j - 1`` holds ``n1, n2, n3, n4``: how many distinct n-grams of
        order ``j`` have count 1, 2, 3 and 4, using the counts the smoothing
        uses at that order: continuation counts below the highest order for
        the Kneser-Ney smoothings, raw counts otherwise, and KenLM's
        adjusted counts for ``"modified_kneser_ney"`` (see Notes).

    discounts_ : ndarray of shape (order_, 3) or None
        Row ``j - 1`` holds the discounts ``D1, D2, D3+`` of order ``j`` for
        the Kneser-Ney smoothings (all equal to ``discount`` for
        ``"kneser_ney"``); None for the others.

    n_features_in_ : int
        Number of columns of ``X``, only when fitted on a 2-D array of token
        ids.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X``, only when fitted on a DataFrame with
        string column names.

    See Also
    --------
    NeuralLanguageModel : The same interface with recurrent or feed-forward
        networks.
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
    sample is a *context*: the beginning of a sentence, of which the model
    uses the last ``order - 1`` tokens; an empty context predicts the first token of a
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
    3 - 4 Y n4 / n3``. When ``n1``, ``n2`` or ``n3`` is zero or an estimate falls
    outside ``[0, r]`` (tiny corpora), that order uses ``(0.5, 1.0, 1.5)`` with a
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
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [StrOptions(set(SMOOTHINGS))],
        "discount": [None, Interval(Real, 0, 1, closed="right")],
        "k": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="right")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        # "whitespace", "chars" or a regular expression: any string.
        "tokenizer": [str, callable],
        "backbone": [StrOptions({"ngram", "deprecated"})],
    }

    _MODEL_ATTRIBUTES = (
        "count_of_counts_",
        "discounts_",
        "_keys",
        "_alphas",
        "_gammas",
    )

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseLanguageModel._persisted_state,
        "_backbone": _spec.Str({"ngram"}),
        "order_": _spec.Int(1),
        "smoothing_": _spec.Str(set(SMOOTHINGS)),
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
    }

    def __new__(cls, *args, **kwargs):
        # The deprecated NGramLanguageModel(backbone="lstm", ...) builds the
        # model that now has the networks; __init__ is then not called.
        backbone = kwargs.get("backbone")
        if isinstance(backbone, str) and backbone in _NEURAL_BACKBONES:
            return _deprecated_neural_model(args, dict(kwargs))
        return super().__new__(cls)

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
        backbone="deprecated",
    ):
        self.order = order
        self.smoothing = smoothing
        self.discount = discount
        self.k = k
        self.alpha = alpha
        self.min_count = min_count
        self.tokenizer = tokenizer
        self.backbone = backbone

    def _check_params(self):
        if self.backbone != "deprecated":
            warnings.warn(
                "The backbone parameter of NGramLanguageModel is deprecated since "
                "0.1 and will be removed in 0.3: the model always counts n-grams "
                "(use NeuralLanguageModel for the networks). Leave it unset.",
                FutureWarning,
            )
        if self.smoothing == "modified_kneser_ney" and self.discount is not None:
            raise ValueError(
                "discount must be None with smoothing='modified_kneser_ney': its "
                "three discounts per order are estimated from the counts. Use "
                "smoothing='kneser_ney' for a fixed discount."
            )

    def _fit_model(self, ids, lengths, validation=None):
        """Count the n-grams of the encoded corpus and smooth them (counts
        need no validation sentences: ``fit`` takes none)."""
        # Prediction reads what was fitted, never the current parameters: a
        # set_params after fit changes nothing until the next fit.
        self._backbone = "ngram"
        self.order_ = int(self.order)
        self.smoothing_ = self.smoothing
        tables, self.count_of_counts_, self.discounts_ = NGramTables.count(
            ids,
            lengths,
            order=self.order_,
            n_classes=len(self.classes_),
            eos=self._eos,
            smoothing=self.smoothing_,
            discount=self.discount,
            k=self.k,
            alpha=self.alpha,
        )
        self._keys, self._alphas, self._gammas = (
            tables.keys,
            tables.alphas,
            tables.gammas,
        )

    def _tables(self):
        """The NGramTables view of the fitted arrays, cached like the
        vocabulary (outside ``__dict__``, renewed when they change)."""
        cached = _TABLES.get(self)
        state = (self._keys, self._alphas, self._gammas)
        if cached is None or cached[0] != tuple(map(id, state)):
            tables = NGramTables(
                *state, self.order_, self.smoothing_, len(self.classes_)
            )
            cached = _TABLES[self] = (tuple(map(id, state)), tables)
        return cached[1]

    def _log_probs(self, ids, lengths):
        return self._tables().log_probs(ids, lengths, self._eos)

    def _distributions(self, ids, lengths):
        return self._tables().distributions(ids, lengths)

    def _unnormalised(self):
        return self.smoothing_ == "stupid_backoff"

    def _generate_ids(self, seed_ids, n_tokens, temperature, rng):
        tables = self._tables()
        width = self.order_ - 1
        history = np.full(width, self._bos, dtype=np.int64)
        start = seed_ids[-width:] if width else []
        history[width - len(start) :] = start
        out = np.empty(n_tokens, dtype=np.int64)
        one = np.ones(1, dtype=np.int64)
        for i in range(n_tokens):
            p = tables.dense(tables.context_ranks(history, one * width))[0]
            token = sample(p, temperature, rng)
            out[i] = token
            if token == self._eos:
                history[:] = self._bos
            elif width:
                history[:-1] = history[1:]
                history[-1] = token
        return out

    def _model_problem(self):
        """Describe the first inconsistency of the counted model, or None."""
        if self._backbone != "ngram":
            return "unknown backbone"
        n, smoothing = self.order_, self.smoothing_
        if type(n) is not int or n < 1:
            return f"order_ = {n!r}"
        if smoothing not in SMOOTHINGS:
            return f"smoothing_ = {smoothing!r}"
        return self._tables().problem(self.count_of_counts_, self.discounts_)


# __new__ takes (*args, **kwargs) for the deprecated backbones: the class's
# signature stays the one of __init__ (scikit-learn's checks read it).
NGramLanguageModel.__signature__ = inspect.signature(
    NGramLanguageModel.__init__
).replace(
    parameters=list(inspect.signature(NGramLanguageModel.__init__).parameters.values())[
        1:
    ]
)

