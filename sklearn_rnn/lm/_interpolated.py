# SPDX-License-Identifier: BSD-3-Clause
"""Linear interpolation of language models that share a vocabulary.

:class:`InterpolatedLanguageModel` mixes the next-token distributions of its
members, ``P(w | h) = sum_i lambda_i P_i(w | h)``, with weights that are given
or tuned by EM on held-out sentences. The input is read and encoded once,
with the vocabulary the members share, and each member's hooks
(``_log_probs``, ``_distributions``) give its probabilities. This module never
imports torch: a neural member's own module does.
"""

import math
import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from sklearn_rnn._persistence import _spec
from sklearn_rnn.lm._estimator import BaseLanguageModel
from sklearn_rnn.lm._text import read_corpus, sample
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _BaseComposition,
    _fit_context,
    _num_samples,
    _safe_indexing,
)

__all__ = ["InterpolatedLanguageModel"]

# EM stops when no weight moves by more than _EM_TOL in one iteration.
_EM_TOL = 1e-7
_EM_MAX_ITER = 10_000
# Contexts per block of predict_proba: blocks of about 4M probabilities.
_BLOCK_CELLS = 1 << 22
# The vocabulary attributes the mixture takes from its (agreeing) members.
_VOCABULARY_ATTRIBUTES = (
    "_tokenizer",
    "_kind",
    "classes_",
    "_eos",
    "_unk",
    "_bos",
    "eos_token_",
    "unk_token_",
    "n_tokens_",
)
_NOT_A_SENTENCE_LIST = (
    "{name} must be a collection of sentences (a list of strings, a list of "
    "token lists or a 2-D array of token ids), not a single string; wrap it "
    "in a list: [{name}]."
)


def em_weights(log_probs, *, tol=_EM_TOL, max_iter=_EM_MAX_ITER):
    """Mixture weights that maximise the likelihood of held-out tokens.

    The classic EM of mixture weights: each iteration gives every member the
    mean over the tokens of its posterior responsibility for the token. The
    likelihood is concave in the weights, so EM climbs to its maximum.

    Parameters
    ----------
    log_probs : ndarray of shape (n_members, n_tokens)
        Natural log-probability that each member gives each held-out token.
    tol : float
        Stop when no weight changes by more than ``tol`` in one iteration.
    max_iter : int
        The most iterations.

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative weights summing to one.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the last iteration moved no weight by more than ``tol``.
    """
    n_members = log_probs.shape[0]
    # A token that every member gives probability zero has likelihood zero
    # whatever the weights: it says nothing about them.
    log_probs = log_probs[:, np.isfinite(log_probs).any(axis=0)]
    weights = np.full(n_members, 1.0 / n_members)
    if log_probs.shape[1] == 0 or n_members == 1:
        return weights, 0, True
    for n_iter in range(1, max_iter + 1):
        with np.errstate(divide="ignore"):
            joint = np.log(weights)[:, None] + log_probs
        posterior = np.exp(joint - logsumexp(joint, axis=0))
        new = posterior.mean(axis=1)
        new /= new.sum()
        change = np.abs(new - weights).max()
        weights = new
        if change <= tol:
            return weights, n_iter, True
    return weights, max_iter, False


def _unfrozen(member):
    """The language model inside a ``sklearn.frozen.FrozenEstimator``."""
    return member.estimator if isinstance(member, FrozenEstimator) else member


def _mix(weights, log_probs):
    """``log(sum_i weights[i] * exp(log_probs[i]))`` per column."""
    with np.errstate(divide="ignore"):
        return logsumexp(np.log(weights)[:, None] + log_probs, axis=0)


def _listed(X):
    """``X`` itself, or a list of it when it can be read only once."""
    if isinstance(X, (str, bytes)) or hasattr(X, "__len__") or hasattr(X, "shape"):
        return X
    return list(X)  # an iterator: every member reads it


def _vocabulary_difference(a, b):
    """How the fitted vocabularies of two members differ, or None."""
    if a._kind != b._kind:
        return f"the first read {a._kind}, the second {b._kind}"
    if a._tokenizer != b._tokenizer:
        return f"tokenizer {a._tokenizer!r} versus {b._tokenizer!r}"
    if np.array_equal(a.classes_, b.classes_):
        return None
    only = np.setxor1d(a.classes_, b.classes_)
    if len(only):
        which = "first" if only[0] in set(a.classes_.tolist()) else "second"
        where = f"{only[0]!r} is only in the {which}'s"
    else:
        where = "different special tokens"
    return f"{len(a.classes_)} versus {len(b.classes_)} classes; {where}"


class InterpolatedLanguageModel(PersistenceMixin, BaseLanguageModel, _BaseComposition):
    """Linear interpolation of language models that share a vocabulary.

    The mixture's next-token distribution is ``P(w | h) = sum_i lambda_i
    P_i(w | h)``, the weighted sum of its members' distributions: the
    classic way to combine a neural language model with a Kneser-Ney n-gram
    model. The weights ``lambda_i`` are given, or tuned by EM to maximise the
    likelihood of held-out sentences. Every method of the members works on
    the mixture, with the same inputs and meaning.

    Parameters
    ----------
    estimators : list of (str, language model)
        The members, each named: :class:`NGramLanguageModel`,
        :class:`NeuralLanguageModel` or another subclass of their template.
        They are cloned and fitted on the same sentences, and must end up
        with the same :attr:`classes_`: give them the same ``min_count`` and
        ``tokenizer``. A member's parameters are reached as
        ``<name>__<parameter>`` (``set_params``, grid searches). An n-gram
        model with ``smoothing="stupid_backoff"`` is refused: its scores are
        not probabilities. A fitted member wrapped in
        ``sklearn.frozen.FrozenEstimator`` is used as it is, neither cloned
        nor refitted: the way to tune the weights of models trained before
        (a network that took an hour).

    weights : "auto" or array-like of shape (n_estimators,), default="auto"
        The weights ``lambda_i``: non-negative numbers, one per member,
        normalised to sum to one (all zero is refused). A member of weight
        zero is fitted but never evaluated. ``"auto"`` tunes them by EM on
        the ``X_val`` given to :meth:`fit`, or else on the last
        ``validation_fraction`` of the training sentences.

    validation_fraction : float in (0, 1), default=0.1
        With ``weights="auto"`` and no ``X_val``: the fraction of the
        training sentences, taken from the end of ``X``, held out to tune
        the weights. The members are then fitted on the other sentences
        only and are not refitted on all of them: the held-out sentences
        must stay unseen for the weights to generalise. Pass ``X_val`` to
        fit the members on all of ``X``.

    Attributes
    ----------
    estimators_ : list of language models
        The fitted members, in the order of ``estimators``.

    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The fitted members by name.

    weights_ : ndarray of shape (n_estimators,)
        The weights of the mixture, summing to one.

    validation_perplexity_ : float
        Perplexity of the mixture on the held-out sentences; only when the
        weights were tuned.

    member_validation_perplexities_ : ndarray of shape (n_estimators,)
        Perplexity of each member on the held-out sentences; only when the
        weights were tuned.

    n_iter_ : int
        EM iterations run; only when the weights were tuned.

    classes_ : ndarray of shape (n_classes,)
        The tokens the model predicts, those of every member.

    eos_token_ : str or int
        The end-of-sentence token in :attr:`classes_`.

    unk_token_ : str or int
        The unknown token in :attr:`classes_`.

    n_tokens_ : int
        Number of tokens the members were fitted on.

    n_features_in_ : int
        Number of columns of ``X``, only when fitted on a 2-D array of token
        ids.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X``, only when fitted on a DataFrame with
        string column names.

    See Also
    --------
    NGramLanguageModel : Counted n-grams with classic smoothings.
    NeuralLanguageModel : Recurrent and feed-forward networks.
    sklearn.ensemble.VotingClassifier : The same composition for classifiers.

    Notes
    -----
    **Tuning.** EM maximises the held-out log-likelihood, which is concave in
    the weights: it stops when no weight moves by more than 1e-7 in one
    iteration (a ``ConvergenceWarning`` says when 10,000 iterations were not
    enough). The tuned mixture's held-out perplexity is therefore at most
    that of its best member. ``X_val`` is also handed to the ``fit`` of each
    member that takes an ``X_val`` keyword (early stopping on it); the
    weights are tuned on the same sentences.

    **Cost.** Scoring asks every member of non-zero weight; :meth:`generate`
    asks each member for the next-token distribution after the whole
    growing sentence at every step, so a recurrent member reads each
    sentence again at every token.

    Examples
    --------
    >>> from sklearn_rnn import InterpolatedLanguageModel, NGramLanguageModel
    >>> corpus = ["the cat sat on the mat", "the dog sat on the log",
    ...           "a cat ate the fish", "a dog ate the bone"]
    >>> lm = InterpolatedLanguageModel(
    ...     [("bigram", NGramLanguageModel(order=2, smoothing="mle")),
    ...      ("unigram", NGramLanguageModel(order=1))],
    ...     weights=[4, 1],
    ... ).fit(corpus)
    >>> lm.weights_
    array([0.8, 0.2])
    >>> lm.predict(["the dog sat on", "a cat"])
    array(['the', 'ate'], dtype=object)
    >>> round(float(lm.predict_proba(["a cat"]).sum()), 12)
    1.0
    >>> lm.generate(5, seed="a cat", temperature=0)
    ['ate', 'the', 'cat', 'ate', 'the']

    The unsmoothed bigram model gives an unseen bigram probability zero;
    the mixture does not. With ``weights="auto"``, EM tunes the weights on
    held-out sentences:

    >>> held_out = ["the fish sat on the dog"]
    >>> lm.named_estimators_["bigram"].perplexity(held_out)
    inf
    >>> lm.set_params(weights="auto").fit(corpus, X_val=held_out).weights_.round(3)
    array([0.607, 0.393])
    >>> round(lm.validation_perplexity_, 2), round(lm.perplexity(held_out), 2)
    (5.79, 5.79)
    """

    _parameter_constraints: dict = {
        "estimators": [list],
        "weights": [StrOptions({"auto"}), "array-like"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    _MODEL_ATTRIBUTES = (
        "estimators_",
        "_names",
        "weights_",
        "validation_perplexity_",
        "member_validation_perplexities_",
        "n_iter_",
    )

    # The fitted attributes a saved file holds (sklearn_rnn.persistence): the
    # shared vocabulary and the fitted members, each with its own declaration.
    _persisted_state = {
        **BaseLanguageModel._persisted_state,
        "estimators_": _spec.ListOf(_spec.Estimator()),
        "_names": _spec.ListOf(
            _spec.Str(),
            length=_spec.Dim(
                lambda c: len(c["estimators_"]), "the number of estimators_"
            ),
        ),
        "weights_": _spec.Array(
            (_spec.Dim(lambda c: len(c["estimators_"]), "the number of estimators_"),),
            dtype="float64",
            finite=True,
        ),
        "validation_perplexity_": _spec.Float(finite=False),
        "member_validation_perplexities_": _spec.Array(
            (_spec.Dim(lambda c: len(c["estimators_"]), "the number of estimators_"),),
            dtype="float64",
        ),
        "n_iter_": _spec.Int(0),
    }

    def __init__(self, estimators, *, weights="auto", validation_fraction=0.1):
        self.estimators = estimators
        self.weights = weights
        self.validation_fraction = validation_fraction

    # ------------------------------------------------------------------
    # Parameters of the members
    # ------------------------------------------------------------------
    def get_params(self, deep=True):
        """Get the parameters of the mixture and, with ``deep``, its members'.

        Parameters
        ----------
        deep : bool, default=True
            Also return each member (by its name) and its parameters (as
            ``<name>__<parameter>``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set the parameters of the mixture or of its members.

        Parameters
        ----------
        **params : keyword arguments
            ``estimators``, ``weights``, ``validation_fraction``, a member's
            name (to replace it) or ``<name>__<parameter>``.

        Returns
        -------
        self : object
            The mixture.
        """
        self._set_params("estimators", **params)
        return self

    @property
    def named_estimators_(self):
        # A view of estimators_, so that a file stores each member once.
        return Bunch(**dict(zip(self._names, self.estimators_)))

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    # The members check their own parameters: nested validation stays on.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, X_val=None):
        """Fit the members and set (or tune) the weights.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Training sentences, in the formats the members read. With
            ``weights="auto"`` and no ``X_val``, the last
            ``validation_fraction`` of them are held out to tune the weights
            and the members are fitted on the others.

        y : None
            Ignored.

        X_val : list of str, list of list of tokens, or array-like, \
default=None
            Held-out sentences: with ``weights="auto"`` the weights are tuned
            on them (and the members are fitted on all of ``X``). Each member
            whose ``fit`` takes an ``X_val`` keyword also gets them.

        Returns
        -------
        self : object
            Fitted mixture.
        """
        # A failed fit leaves the mixture as it was (as the members do).
        return self._refit(
            self._fit_mixture, _listed(X), None if X_val is None else _listed(X_val)
        )

    def _fit_mixture(self, X, X_val):
        names, members = self._check_members()
        weights = self._check_weights(len(members))
        for data, name in ((X, "X"), (X_val, "X_val")):
            if isinstance(data, (str, bytes)):
                raise ValueError(_NOT_A_SENTENCE_LIST.format(name=name))
            if sp.issparse(data):
                raise TypeError(
                    f"Sparse data was passed for {name}, but dense data is "
                    "required: token ids are read from a dense 2-D array "
                    f"({name}.toarray())."
                )
        train, held_out = X, X_val
        if weights is None and X_val is None:
            train, held_out = self._split(X)
        fitted = []
        for name, member in zip(names, members):
            fitted.append(self._fit_member(name, member, train, X_val))
        self._adopt_vocabulary(names, fitted)
        self.estimators_, self._names = fitted, list(names)
        if weights is None:
            self._tune(held_out)
        else:
            self.weights_ = weights
        return self

    def _check_members(self):
        """The names and estimators of ``estimators``, checked."""
        if not self.estimators or not all(
            isinstance(item, tuple) and len(item) == 2 for item in self.estimators
        ):
            raise ValueError(
                "estimators must be a non-empty list of (name, language model) "
                f"tuples; got {self.estimators!r}."
            )
        names, members = zip(*self.estimators)
        if not all(isinstance(name, str) for name in names):
            raise TypeError(f"The names of estimators must be strings; got {names}.")
        self._validate_names(names)
        self._check_estimators_are_instances(members)
        members = [_unfrozen(member) for member in members]
        for name, member in zip(names, members):
            if not isinstance(member, BaseLanguageModel):
                raise TypeError(
                    f"The estimator {name!r} is a {type(member).__name__}, not a "
                    "language model of sklearn_rnn (NGramLanguageModel, "
                    "NeuralLanguageModel)."
                )
        tokenizers = {
            name: member.get_params(deep=False).get("tokenizer")
            for name, member in zip(names, members)
        }
        first = names[0]
        for name, tokenizer in tokenizers.items():
            if tokenizer != tokenizers[first]:
                raise ValueError(
                    f"The language models {first!r} and {name!r} split text "
                    f"differently (tokenizer={tokenizers[first]!r} and "
                    f"tokenizer={tokenizer!r}): give them the same tokenizer."
                )
        return names, [
            frozen if isinstance(frozen, FrozenEstimator) else member
            for frozen, member in zip(self._members(), members)
        ]

    def _members(self):
        return [member for _, member in self.estimators]

    def _check_weights(self, n_members):
        """The normalised weights, or None for ``"auto"``."""
        if isinstance(self.weights, str):
            return None
        weights = np.asarray(self.weights)
        if weights.dtype.kind not in "biuf":
            raise TypeError(f"weights must be 'auto' or numbers; got {self.weights!r}.")
        weights = weights.astype(np.float64)
        if weights.shape != (n_members,):
            raise ValueError(
                f"weights must hold one number per estimator ({n_members}); got "
                f"shape {weights.shape}."
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(
                f"weights must be finite and non-negative; got {self.weights!r}."
            )
        if weights.sum() == 0:
            raise ValueError("weights are all zero: at least one must be positive.")
        return weights / weights.sum()

    def _split(self, X):
        """The sentences to fit the members on and those held out."""
        n = _num_samples(X)
        n_val = math.ceil(self.validation_fraction * n)
        if n - n_val < 1:
            raise ValueError(
                "weights='auto' without X_val holds out the last "
                "validation_fraction of the sentences to tune the weights, and "
                f"needs at least 2 sentences; got {n} sample(s). Pass X_val or "
                "explicit weights."
            )
        return (
            _safe_indexing(X, np.arange(n - n_val)),
            _safe_indexing(X, np.arange(n - n_val, n)),
        )

    def _fit_member(self, name, member, X, X_val):
        if isinstance(member, FrozenEstimator):
            # Fitted already (a network trained for an hour, say): used as is.
            member = member.estimator
            check_is_fitted(member)
        else:
            member = clone(member)
            if X_val is not None and has_fit_parameter(member, "X_val"):
                member.fit(X, X_val=X_val)
            else:
                member.fit(X)
        if member._unnormalised():
            raise ValueError(
                f"The language model {name!r} gives unnormalised scores "
                "(smoothing='stupid_backoff'), and a mixture of scores that "
                "are not probabilities is not a distribution. Use another "
                "smoothing."
            )
        return member

    def _adopt_vocabulary(self, names, fitted):
        """Check that the members agree, and take their vocabulary."""
        first = fitted[0]
        for name, member in zip(names[1:], fitted[1:]):
            problem = _vocabulary_difference(first, member)
            if problem:
                raise ValueError(
                    f"The language models {names[0]!r} and {name!r} do not share "
                    f"a vocabulary ({problem}). Give them the same min_count and "
                    "tokenizer: fitted on the same sentences, they then have the "
                    "same classes_."
                )
        for name in _VOCABULARY_ATTRIBUTES:
            setattr(self, name, getattr(first, name))
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, name):
                setattr(self, name, getattr(first, name))
            else:
                self.__dict__.pop(name, None)

    def _tune(self, held_out):
        """Tune the weights by EM on the held-out sentences."""
        ids, lengths = self._encoded(held_out)
        log_probs = np.stack(
            [member._log_probs(ids, lengths) for member in self.estimators_]
        )
        weights, self.n_iter_, converged = em_weights(log_probs)
        # EM reaches an optimum on the boundary (a useless member) only in
        # the limit: a single member is taken when it is as good.
        candidates = [weights, *np.eye(len(weights))]
        scores = [_mix(w, log_probs).sum() for w in candidates]
        weights = candidates[int(np.argmax(scores))]
        if not converged:
            warnings.warn(
                f"EM did not converge in {self.n_iter_} iterations: the weights "
                f"{weights.round(6).tolist()} may be slightly off the optimum.",
                ConvergenceWarning,
            )
        self.weights_ = weights
        self.validation_perplexity_ = float(np.exp(-_mix(weights, log_probs).mean()))
        self.member_validation_perplexities_ = np.exp(-log_probs.mean(axis=1))

    # ------------------------------------------------------------------
    # The hooks of the prediction API
    # ------------------------------------------------------------------
    def _read(self, X, reset):
        # The members' tokenizer: the mixture has no parameter of its own.
        return read_corpus(
            self, X, reset=reset, tokenizer=self._tokenizer, fitted_kind=self._kind
        )

    def _active(self):
        """``(weight, member)`` of the members of non-zero weight."""
        return [
            (float(w), member)
            for w, member in zip(self.weights_, self.estimators_)
            if w > 0
        ]

    def _log_probs(self, ids, lengths):
        active = self._active()
        if len(active) == 1:
            return active[0][1]._log_probs(ids, lengths)
        log_probs = np.stack([member._log_probs(ids, lengths) for _, member in active])
        return _mix(np.array([w for w, _ in active]), log_probs)

    def _mixed_rows(self, active, ids, lengths):
        """The mixture's distributions after the contexts, in one array."""
        total = None
        for w, member in active:
            rows = np.concatenate(list(member._distributions(ids, lengths)), axis=0)
            total = w * rows if total is None else total + w * rows
        return total

    def _distributions(self, ids, lengths):
        active = self._active()
        # The members chunk their outputs differently: mix them in blocks of
        # contexts, each of bounded size.
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        step = max(1, _BLOCK_CELLS // len(self.classes_))
        for start in range(0, len(lengths), step):
            stop = min(start + step, len(lengths))
            block = ids[offsets[start] : offsets[stop]]
            yield self._mixed_rows(active, block, lengths[start:stop])

    def _generate_ids(self, seed_ids, n_tokens, temperature, rng):
        active = self._active()
        sentence = [int(i) for i in seed_ids]
        out = np.empty(n_tokens, dtype=np.int64)
        for i in range(n_tokens):
            context = np.asarray(sentence, dtype=np.int64)
            p = self._mixed_rows(active, context, np.array([len(context)]))[0]
            token = sample(p, temperature, rng)
            out[i] = token
            sentence = [] if token == self._eos else sentence + [token]
        return out

    def _unnormalised(self):
        return False

    def _model_problem(self):
        """Describe the first inconsistency of the members, or None."""
        members, weights = self.estimators_, self.weights_
        if not members:
            return "no estimators_"
        if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
            return "weights_ are not non-negative numbers summing to one"
        for name, member in zip(self._names, members):
            if not isinstance(member, BaseLanguageModel):
                return f"the member {name!r} is not a language model"
            if member._kind != self._kind or not np.array_equal(
                member.classes_, self.classes_
            ):
                return f"the vocabulary of the member {name!r} is not classes_"
            if member._unnormalised():
                return f"the member {name!r} gives unnormalised scores"
        return None
