# SPDX-License-Identifier: BSD-3-Clause
"""What the two language models share: reading the corpus, the vocabulary and
the prediction API (``predict_proba``, ``score``, ``perplexity``, ``generate``
...). The models plug in how they fit and compute probabilities. Never
imports torch."""

import warnings
import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state, check_scalar
from sklearn.utils.validation import check_is_fitted

from sklearn_rnn._persistence import _spec
from sklearn_rnn.lm._text import (
    EOS_TOKEN,
    UNK_TOKEN,
    Vocabulary,
    make_tokenizer,
    read_corpus,
)
from sklearn_rnn.utils._sklearn_compat import _fit_context

# The Vocabulary of each fitted estimator, see BaseLanguageModel._vocabulary.
_VOCABULARIES = weakref.WeakKeyDictionary()


class BaseLanguageModel(DensityMixin, BaseEstimator):
    """Template of the language models (internal).

    Subclasses define ``_MODEL_ATTRIBUTES`` (fitted attributes that a refit
    removes first), ``_fit_model`` (which gets the encoded corpus and, from a
    subclass whose ``fit`` takes ``X_val``, the encoded validation
    sentences), ``_log_probs``, ``_distributions``, ``_generate_ids`` and
    ``_model_problem``.
    """

    _MODEL_ATTRIBUTES = ()

    # The fitted attributes of the vocabulary a saved file holds
    # (sklearn_rnn.persistence); each model adds its own.
    _persisted_state = {
        "_tokenizer": _spec.Value(),
        "_kind": _spec.Str({"text", "ids"}),
        "classes_": _spec.Array((None,), kinds="iuUO"),
        "_eos": _spec.Int(0),
        "_unk": _spec.Int(0),
        "eos_token_": _spec.Value(),
        "unk_token_": _spec.Value(),
        "_bos": _spec.Int(0),
        "n_tokens_": _spec.Int(0),
        "n_features_in_": _spec.Int(0),
        "feature_names_in_": _spec.Array(("n_features_in_",), kinds="OU"),
    }

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and the model of a corpus.

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
        return self._refit(self._fit, X)

    def _refit(self, fit, *args):
        """Return ``fit(*args)``, run so that a failed fit leaves the
        estimator as it was and a successful one replaces every fitted
        attribute."""
        state = self.__dict__.copy()
        for name in self._MODEL_ATTRIBUTES:
            self.__dict__.pop(name, None)
        try:
            return fit(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    def _check_params(self):
        """Checks across parameters that the constraint table cannot make."""

    def _fit(self, X, X_val=None):
        self._check_params()
        if self.tokenizer not in ("whitespace", "chars"):
            make_tokenizer(self.tokenizer)  # fail early on a bad regex
        # Prediction reads text with the tokenizer of fit (see order_).
        self._tokenizer = self.tokenizer
        kind, tokens, lengths, from_array = self._read(X, reset=True)
        if not from_array:
            # validate_data did not run: n_features_in_ would be stale.
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, name):
                    delattr(self, name)
        vocabulary, ids = Vocabulary.fit(kind, tokens, self.min_count)
        del tokens
        self._kind = kind
        self.classes_ = vocabulary.classes
        self._eos, self._unk, self._bos = vocabulary.eos, vocabulary.unk, vocabulary.bos
        self.eos_token_, self.unk_token_ = vocabulary.eos_token, vocabulary.unk_token
        self.n_tokens_ = int(len(ids))
        # Validation sentences, read with the vocabulary just learnt.
        validation = None if X_val is None else self._encoded(X_val)
        self._fit_model(ids, lengths, validation)
        return self

    def _read(self, X, reset):
        # Models saved before _tokenizer existed read the parameter.
        return read_corpus(
            self,
            X,
            reset=reset,
            tokenizer=getattr(self, "_tokenizer", self.tokenizer),
            fitted_kind=None if reset else self._kind,
        )

    def _vocabulary(self):
        """The fitted Vocabulary, built once per fit (it caches a hash table).

        It is kept outside the estimator's ``__dict__``: what is pickled or
        saved stays the fitted attributes, and a refit (a new ``classes_``)
        or an edited file gets a new one.
        """
        cached = _VOCABULARIES.get(self)
        if cached is None or cached.classes is not self.classes_:
            cached = Vocabulary(self.classes_, self._kind, self._eos, self._unk)
            _VOCABULARIES[self] = cached
        return cached

    def _encoded(self, X):
        """Internal ids of the tokens of ``X`` and the length of each sample."""
        kind, tokens, lengths, _ = self._read(X, reset=False)
        return self._vocabulary().encode(kind, tokens), lengths

    def _check_is_fitted(self):
        # check_is_fitted scans every attribute: too slow for one-sentence
        # calls, and classes_ is the first fitted attribute a fit sets.
        if "classes_" not in self.__dict__:
            check_is_fitted(self)

    # ------------------------------------------------------------------
    # Checking a loaded model
    # ------------------------------------------------------------------
    def _validate_fitted_state(self):
        """Raise a ValueError if the fitted attributes contradict each other.

        :func:`sklearn_rnn.persistence.load` calls it: a file whose header
        was edited (``order_``, the special token ids, ...) is refused instead
        of predicting nonsense or failing later with an IndexError.
        """
        if not hasattr(self, "classes_"):
            return  # not fitted
        try:
            problem = self._vocabulary_problem() or self._model_problem()
        except (AttributeError, TypeError, IndexError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            raise ValueError(
                f"The fitted state of this {type(self).__name__} is inconsistent "
                f"({problem}); the file is corrupted or was edited."
            )

    def _vocabulary_problem(self):
        """Describe the first inconsistency of the vocabulary, or None."""
        if self._kind not in ("text", "ids"):
            return "unknown input kind"
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
        return None

    # ------------------------------------------------------------------
    # Public prediction API
    # ------------------------------------------------------------------
    def _unnormalised(self):
        return False

    def _warn_unnormalised(self, method):
        if self._unnormalised():
            warnings.warn(
                f"With smoothing='stupid_backoff', {method} sums the logarithms of "
                "unnormalised scores, not of probabilities: it is not a "
                "log-likelihood and cannot be compared with other smoothings.",
                UserWarning,
            )

    def predict_proba(self, X):
        """Distribution of the next token after each context.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_contexts, n_tokens)
            Contexts: beginnings of sentences, in the formats of ``fit``. The
            n-gram model and the ``"mlp"`` backbone use their last
            ``order - 1`` tokens, shorter contexts being padded with the start
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
        self._check_is_fitted()
        return np.concatenate(list(self._distributions(*self._encoded(X))), axis=0)

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
        self._check_is_fitted()
        rows = self._distributions(*self._encoded(X))
        return self.classes_[np.concatenate([r.argmax(axis=1) for r in rows])]

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
        self._check_is_fitted()
        self._warn_unnormalised("score_samples")
        ids, lengths = self._encoded(X)
        log_p = self._log_probs(ids, lengths)
        if len(lengths) == 1:
            return np.array([log_p.sum()])
        sentence = np.repeat(np.arange(len(lengths)), lengths + 1)
        return np.bincount(sentence, weights=log_p, minlength=len(lengths))

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
        self._check_is_fitted()
        self._warn_unnormalised("score")
        return float(self._log_probs(*self._encoded(X)).mean())

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
        self._check_is_fitted()
        if self._unnormalised():
            raise ValueError(
                "Perplexity is undefined with smoothing='stupid_backoff': its "
                "scores are not probabilities. Use another smoothing to evaluate "
                "the model."
            )
        return float(np.exp(-self._log_probs(*self._encoded(X)).mean()))

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
        self._check_is_fitted()
        check_scalar(n_tokens, "n_tokens", Integral, min_val=0)
        check_scalar(temperature, "temperature", Real, min_val=0)
        if not np.isfinite(temperature):
            raise ValueError(
                f"temperature must be a finite number >= 0; got {temperature}."
            )
        rng = check_random_state(random_state)
        seed_ids = np.zeros(0, dtype=np.int64)
        if seed is not None:
            seed_ids, _ = self._encoded([seed])
        out = self._generate_ids(seed_ids, n_tokens, temperature, rng)
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
