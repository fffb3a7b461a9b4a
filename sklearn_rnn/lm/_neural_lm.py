# SPDX-License-Identifier: BSD-3-Clause
"""Neural language model: the recurrent and fixed-window backbones of
:mod:`sklearn_rnn.lm._neural` behind the language-model API."""

from numbers import Integral, Real

from sklearn_rnn._parameters import LANGUAGE_MODEL, TRAINING
from sklearn_rnn._persistence import _spec
from sklearn_rnn.lm._estimator import BaseLanguageModel
from sklearn_rnn.lm._neural import RecurrentBackbone, WindowBackbone
from sklearn_rnn.lm._text import histories
from sklearn_rnn.persistence import PersistenceMixin
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions, _fit_context

__all__ = ["NeuralLanguageModel"]

_BACKBONES = ("lstm", "gru", "rnn", "mlp")

# The parameters only the recurrent backbones have (``_parameters.LANGUAGE_MODEL``).
_RECURRENT_OPTIONS = tuple(LANGUAGE_MODEL)


class NeuralLanguageModel(PersistenceMixin, BaseLanguageModel):
    """Neural language model: an LSTM, GRU, Elman RNN or windowed MLP.

    The model estimates ``P(w | h)``, the probability of the next token ``w``
    after the tokens ``h`` before it, with a network trained with
    cross-entropy on the shared training core (skorch, like
    :class:`RNNClassifier`). Vocabulary, padding, ``<unk>`` handling, input
    formats and methods are those of :class:`NGramLanguageModel`: each
    sentence starts with ``<s>`` and ends with ``</s>``, tokens seen fewer
    than ``min_count`` times become ``<unk>``, and the distributions are over
    :attr:`classes_`.

    ``"lstm"``, ``"gru"`` and ``"rnn"`` read the *whole* sentence prefix
    from ``<s>`` on; ``"mlp"`` reads the ``order - 1`` previous tokens
    (Bengio et al.'s neural probabilistic language model).

    Parameters
    ----------
    backbone : {"lstm", "gru", "rnn", "mlp"}, default="lstm"
        ``"lstm"``, ``"gru"`` and ``"rnn"`` (Elman) are recurrent networks
        over the whole sentence prefix, trained with truncated
        backpropagation through time (``bptt``). ``"mlp"`` is a
        feed-forward network over the embeddings of the ``order - 1``
        previous tokens (``order=1`` gives a unigram model: the network's
        only input is a constant ``<s>``, whatever the context).

    hidden_size : int, default=32
        Units of each recurrent layer, or of the hidden layer of ``"mlp"``.

    order : int, default=3
        ``"mlp"`` only: the next token is predicted from the ``order - 1``
        tokens before it. Ignored by the recurrent backbones.

    min_count : int, default=1
        Tokens seen fewer times than this in training are mapped to
        ``<unk>``, so that the model learns how to predict unknown words.

    tokenizer : {"whitespace", "chars"}, str or callable, default="whitespace"
        How a sentence given as a string is split into tokens, as in
        :class:`NGramLanguageModel`.

    embedding_dim : int, default=32
        Size of the token embeddings. (The other neural estimators default
        to None, raw numeric features; a language model always embeds its
        tokens, so the default is the hidden size's.)

    num_layers : int, default=1
        Stacked recurrent layers; ``"mlp"`` has one hidden layer.

    dropout : float in [0, 1), default=0.0
        Dropout between stacked layers and before the output layer (and on
        the embeddings with ``variational_dropout=True``).

    embedding_dropout : float in [0, 1), default=0.0
        Recurrent backbones: probability of dropping a whole word type from
        a training batch, all its occurrences getting a zero embedding (Gal
        and Ghahramani, 2016).

    variational_dropout : bool, default=False
        Recurrent backbones: whether ``dropout`` also applies to the
        embeddings, with one mask per sentence shared by all its steps on the
        embeddings and on the last layer's outputs (Gal and Ghahramani,
        2016; Merity et al., 2018). False: a new mask at every step on the
        outputs only (Zaremba et al., 2014).

    tie_weights : bool, default=False
        Recurrent backbones: the output layer's weights are the input
        embeddings (Press and Wolf, 2017; Inan et al., 2017), after a
        projection to ``embedding_dim`` when it differs from
        ``hidden_size``: fewer parameters and, on small corpora, lower
        perplexity. Needs ``softmax="full"``.

    softmax : {"full", "adaptive"}, default="full"
        Recurrent backbones: ``"full"`` scores the whole vocabulary at each
        step; ``"adaptive"`` is Grave et al.'s adaptive softmax
        (``torch.nn.AdaptiveLogSoftmaxWithLoss``), frequent tokens in a head
        and rare ones in clusters behind smaller projections: several times
        faster to train on vocabularies of thousands of words. Scores and
        distributions stay exact.

    cutoffs : list of int or None, default=None
        The adaptive softmax's cluster boundaries in tokens ranked by
        training frequency (``[2000, 10000]``). None: the head holds the most
        frequent tokens that make up 90 % of the training tokens, the first
        cluster the next ones up to 98 %, the last cluster the rest.

    bptt : int, default=64
        Truncation of backpropagation through time: sentences longer than
        this many tokens are trained in chunks of ``bptt`` steps, the state
        flowing from one chunk to the next but the gradient stopping at
        chunk boundaries. Whole files can thus be one "sentence" (see the
        character-level example). Scoring is exact whatever ``bptt``.

    lr : float, default=1e-3
        Learning rate of the Adam optimizer.

    lr_schedule : {"plateau"} or None, default=None
        ``"plateau"`` halves the learning rate after every epoch whose
        validation loss (the training loss without validation data) did not
        improve by ``tol``. None keeps ``lr``.

    batch_size : int, default=32
        Mini-batch size: sentences trained side by side (recurrent
        backbones), or n-grams (``"mlp"``).

    max_epochs : int, default=100
        Maximum number of passes over the training corpus.

    max_time : float or None, default=None
        A training budget in seconds: no epoch starts that, at the pace of
        the previous one, would end past it (the first always runs).

    clip_grad_norm : float or None, default=None
        Clip the gradient norm to this value before each step (None: no
        clipping).

    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the sentences (recurrent
        backbones) or of the n-grams (``"mlp"``) and stop when their loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept.

    validation_fraction : float in (0, 1), default=0.1
        Share of the sentences held out when ``early_stopping=True``.

    validation_split : {"last", "shuffle"}, default="last"
        Which sentences are held out: ``"last"`` the final ones in the order
        given, ``"shuffle"`` a random subset (drawn from ``random_state``),
        which represents the corpus better when its end differs from the
        rest (the last files of a collection, say).

    n_iter_no_change : int, default=10
        Epochs without improvement tolerated by early stopping.

    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as improvement.

    device : str, default="cpu"
        Torch device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ... or ``"auto"``.

    verbose : int, default=0
        0 is silent; 1 shows a progress bar over the epochs (on stderr); 2 or
        more prints one line of losses per epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout and the order of the
        sentences in training; an int makes fit reproducible, in one process
        and across processes on the same machine and versions. torch's
        global random state is left as the fit found it. Fits running side
        by side in threads of one process share torch's generator, so their
        draws interleave: run reproducible fits in parallel in processes
        (joblib's default backend, dask workers), as for ``RNNRegressor``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The tokens the model predicts, sorted: the vocabulary plus the end
        and unknown tokens (see :class:`NGramLanguageModel`).

    eos_token_ : str or int
        The end-of-sentence token in :attr:`classes_`: ``"</s>"`` for text.

    unk_token_ : str or int
        The unknown token in :attr:`classes_`: ``"<unk>"`` for text.

    n_tokens_ : int
        Number of training tokens, padding excluded.

    order_ : int or None
        The ``order`` of ``"mlp"``; None for the recurrent backbones, which
        read the whole prefix. Prediction uses the fitted ``order_``,
        ``tokenizer`` and backbone: changing them with ``set_params`` takes
        effect at the next ``fit`` only.

    net_ : skorch.NeuralNet
        The skorch net that trained the network.

    n_iter_ : int
        Number of epochs run.

    loss_curve_ : list of float
        Training loss (mean cross-entropy per token) after each epoch.

    validation_scores_ : list of float or None
        Validation loss after each epoch with ``early_stopping=True`` or
        ``X_val``.

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
    NGramLanguageModel : Counted n-grams, the same interface without torch.

    Examples
    --------
    >>> from sklearn_rnn import NeuralLanguageModel

    A recurrent backbone reads the whole prefix, here at the character level:

    >>> words = ["abcab", "cabca", "bcabc"] * 20
    >>> lstm = NeuralLanguageModel("lstm", tokenizer="chars", hidden_size=128,
    ...                            embedding_dim=64, lr=1e-2, max_epochs=30,
    ...                            clip_grad_norm=1.0, random_state=0).fit(words)
    >>> lstm.generate(4, seed="ab", temperature=0)
    ['c', 'a', 'b', '</s>']
    >>> round(lstm.perplexity(words), 1)  # ideal: 3 ** (1 / 6), the first letter
    1.2
    """

    _parameter_constraints: dict = {
        "backbone": [StrOptions(set(_BACKBONES))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "order": [Interval(Integral, 1, None, closed="left")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        # "whitespace", "chars" or a regular expression: any string.
        "tokenizer": [str, callable],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        **{name: LANGUAGE_MODEL[name].constraints for name in _RECURRENT_OPTIONS},
        "bptt": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": TRAINING["lr_schedule"].constraints,
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "max_time": TRAINING["max_time"].constraints,
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_split": TRAINING["validation_split"].constraints,
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    # The fitted attributes a saved file holds (sklearn_rnn.persistence).
    _persisted_state = {
        **BaseLanguageModel._persisted_state,
        "_backbone": _spec.Str(set(_BACKBONES)),
        "order_": _spec.Int(1, none=True),
        "_network": _spec.Estimator(),
        "net_": _spec.Net(),
        "n_iter_": _spec.Int(0),
        "loss_curve_": _spec.ListOf(_spec.Float(finite=False)),
        "validation_scores_": _spec.ListOf(_spec.Float(finite=False), none=True),
        "best_loss_": _spec.Float(finite=False),
    }

    _MODEL_ATTRIBUTES = (
        "_network",
        "net_",
        "n_iter_",
        "loss_curve_",
        "validation_scores_",
        "best_loss_",
    )

    # The training parameters handed to every backbone as they are.
    _NETWORK_PARAMS = (
        "embedding_dim",
        "hidden_size",
        "num_layers",
        "dropout",
        "lr",
        "lr_schedule",
        "batch_size",
        "max_epochs",
        "max_time",
        "clip_grad_norm",
        "early_stopping",
        "validation_fraction",
        "validation_split",
        "n_iter_no_change",
        "tol",
        "device",
        "verbose",
        "random_state",
    )

    def __init__(
        self,
        backbone="lstm",
        hidden_size=32,
        *,
        order=3,
        min_count=1,
        tokenizer="whitespace",
        embedding_dim=32,
        num_layers=1,
        dropout=0.0,
        embedding_dropout=0.0,
        variational_dropout=False,
        tie_weights=False,
        softmax="full",
        cutoffs=None,
        bptt=64,
        lr=1e-3,
        lr_schedule=None,
        batch_size=32,
        max_epochs=100,
        max_time=None,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="last",
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.hidden_size = hidden_size
        self.order = order
        self.min_count = min_count
        self.tokenizer = tokenizer
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.embedding_dropout = embedding_dropout
        self.variational_dropout = variational_dropout
        self.tie_weights = tie_weights
        self.softmax = softmax
        self.cutoffs = cutoffs
        self.bptt = bptt
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, X_val=None):
        """Learn the vocabulary and train the network on a corpus.

        Parameters
        ----------
        X : list of str, list of list of tokens, or array-like of shape \
(n_sentences, n_tokens)
            Training sentences, as in :class:`NGramLanguageModel`.

        y : None
            Ignored.

        X_val : same as X, default=None
            Validation sentences (a corpus's validation split): every
            sentence of ``X`` is trained on, and early stopping and
            ``lr_schedule`` watch the loss on ``X_val`` instead of on a held
            out ``validation_fraction`` of ``X``. Its tokens outside the
            vocabulary of ``X`` count as ``<unk>``. ``validation_scores_``
            records its loss after each epoch.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._refit(self._fit, X, X_val)

    def _check_params(self):
        if self.tie_weights and self.softmax == "adaptive":
            raise ValueError(
                'tie_weights=True needs softmax="full": the adaptive softmax has '
                "output weights of several sizes, not one per embedding."
            )

    def _fit_model(self, ids, lengths, validation):
        """Train the backbone on the encoded corpus (see ``_neural``)."""
        # Prediction reads what was fitted, never the current parameters.
        self._backbone = self.backbone
        params = {name: getattr(self, name) for name in self._NETWORK_PARAMS}
        if self.backbone == "mlp":
            self.order_ = int(self.order)
            network = WindowBackbone(**params)
            width = self.order_ - 1  # 0 (order 1): a unigram model
        else:
            self.order_ = None
            params.update({name: getattr(self, name) for name in _RECURRENT_OPTIONS})
            network = RecurrentBackbone(cell=self.backbone, **params)
            width = self.bptt
        network.fit_tokens(
            ids, lengths, len(self.classes_), width, self._eos, validation
        )
        self._network = network
        self.net_ = network.net_
        self.n_iter_ = network.n_iter_
        self.loss_curve_ = network.loss_curve_
        self.validation_scores_ = network.validation_scores_
        self.best_loss_ = network.best_loss_

    def _log_probs(self, ids, lengths):
        return self._network.log_probs(ids, lengths)

    def _distributions(self, ids, lengths):
        if self._backbone == "mlp":
            width = self._network.width_
            return self._network.distributions(
                histories(ids, lengths, width, self._bos)
            )
        return self._network.distributions(ids, lengths)

    def _generate_ids(self, seed_ids, n_tokens, temperature, rng):
        return self._network.generate(seed_ids, n_tokens, temperature, rng)

    def _model_problem(self):
        """Describe the first inconsistency of the network's state, or None."""
        network = self._network
        if self._backbone not in _BACKBONES:
            return "unknown backbone"
        if network.n_classes_ != len(self.classes_) or network._eos != self._eos:
            return "the network's classes do not match classes_"
        if self._backbone == "mlp":
            order = self.order_
            if type(order) is not int or network.width_ != order - 1:
                return f"order_ = {order!r} does not match the network's window"
        elif self.order_ is not None:
            return "a recurrent backbone with an order_"
        return None
