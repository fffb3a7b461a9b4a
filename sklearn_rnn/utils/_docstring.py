# SPDX-License-Identifier: BSD-3-Clause
"""Docstring fragments shared by the estimators, written once."""

import re
import textwrap

_FRAGMENTS = {
    "backbone_parameters": """\
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell. ``"rnn"`` is the Elman network (Keras' SimpleRNN).

    hidden_size : int, default=32
        Number of units of each recurrent layer (per direction).

    num_layers : int, default=1
        Number of stacked recurrent layers (a deep RNN when > 1).

    bidirectional : bool, default=False
        Whether each layer also reads the sequence backwards; the outputs of
        both directions are concatenated.

    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of the ``"rnn"`` cell; ignored by LSTM and GRU.

    dropout : float in [0, 1), default=0.0
        Dropout between stacked layers and on the representation fed to the
        output layer.

    forget_bias : float, default=1.0
        Initial bias of the LSTM forget gate (Keras' ``unit_forget_bias``):
        a positive value keeps the cell state, and its gradient, flowing
        through long sequences from the first step of training. On tasks
        that need little memory it can slow the first epochs (the Géron
        example shows it); 0.0 gives an unbiased gate. Ignored by GRU and RNN.

    embedding_dim : int, default=None
        When set, ``X`` holds integer token ids that are embedded in vectors
        of this size before the recurrent layers. Set or not, it is fixed by
        ``fit``: ``predict`` raises a ValueError if it went from None to a
        size, or back, since.

    vocab_size : int, default=None
        Number of token ids when ``embedding_dim`` is set; None learns it from
        the largest id seen in fit. (Seq2SeqTransformer: ignored for string or
        token input, whose vocabulary is learnt in fit.)

    return_sequences : bool, default=False
        False is the sequence-to-vector pattern: one target per sequence,
        read from the final state. True is the synced sequence-to-sequence
        pattern: one target per time step. Fixed by ``fit``: ``predict``
        raises a ValueError if it was changed since.
""",
    "training_parameters": """\
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default="adam"
        Optimisation algorithm.

    lr : float, default=1e-3
        Learning rate.

    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.

    batch_size : int, default=32
        Mini-batch size for training.

    max_epochs : int, default=100
        Maximum number of passes over the training data.

    clip_grad_norm : float, default=None
        When set, the gradient norm is clipped to this value before each
        step, the usual cure for exploding gradients in recurrent networks.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data and
        stop when its loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. The weights of the best epoch are
        restored.

    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out when ``early_stopping=True``.

    validation_split : {validation_split_options}, default="last"
        Which samples are held out: ``"last"`` the final ones in the order
        given (right for time-ordered windows), ``"shuffle"`` a random
        subset{stratified_doc}.

    n_iter_no_change : int, default=10
        Epochs without improvement tolerated before early stopping.

    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as improvement.

    device : str, default="cpu"
        Torch device to train and predict on: ``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ..., or ``"auto"`` for CUDA when available. On a CUDA
        device each batch is copied from page-locked (pinned) host memory.

    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` is mixed precision: the forward pass runs under
        ``torch.autocast`` in bfloat16 where torch deems it safe (matrix
        products, the LSTM), while the weights, the loss and the optimizer
        stay in float32. It pays off on GPUs with bfloat16 units (NVIDIA
        Ampere and later) and on CPUs with AMX/AVX-512-BF16; elsewhere it is
        slower. bfloat16 has float32's range, so no loss scaling is needed
        (float16 would need it and is not offered). Predictions run in the
        precision of the last fit: the module holds it, and a new value
        takes effect at the next ``fit``.

    compile : bool, default=False
        Compile the module with ``torch.compile`` (through skorch's
        ``compile`` option). The first epoch pays the compilation; later
        ones may run faster, mostly on GPUs. Needs a working
        ``torch.compile`` (on CPU a C++ compiler).

    warm_start : bool, default=False
        When True and neither the architecture nor ``optimizer`` has
        changed, ``fit`` continues from
        the current weights instead of starting afresh, with the current
        training settings (learning rate, epochs, batch size, weight decay,
        gradient clipping, early stopping, verbosity).

    verbose : int, default=0
        0 is silent; 1 shows a progress bar over the epochs (tqdm, on
        stderr) with the latest training and validation losses; 2 or more
        prints skorch's table of losses, one line per epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. An int makes fit reproducible, also for fits running side by
        side in threads (joblib's threading backend): torch's generator is
        one per process, so a fit whose training draws from it (dropout,
        scheduled sampling) holds it for its whole training: the other fits
        of the process start and end only before or after it. Fits that
        draw only their initial weights overlap freely. Each fit gives back
        the state of torch's global generator it found; fits overlapping in
        threads share that generator, and the state found by the first is
        back when the last ends.
""",
    "fitted_attributes": """\
    net_ : skorch.NeuralNet
        The skorch net that trained the module; ``net_.history`` holds the
        per-epoch records.

    n_features_in_ : int
        Number of columns of a 2-D ``X``, or of features per time step of
        3-D or variable-length ``X``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X``, when it is a DataFrame with string
        column names.

    n_timesteps_in_ : int or None
        Length of the training sequences; None when they vary, and for
        token or vector input (Seq2SeqTransformer).

    vocab_size_ : int
        Number of token ids, only when ``embedding_dim`` is set.

    n_iter_ : int
        Number of epochs run, in total over warm-started fits;
        ``loss_curve_`` and ``validation_scores_`` hold one entry for each.

    loss_curve_ : list of float
        Training loss at the end of each epoch.

    validation_scores_ : list of float or None
        Validation loss at the end of each epoch when
        ``early_stopping=True`` (lower is better), else None.

    best_loss_ : float
        Lowest validation loss when ``early_stopping=True``, else lowest
        training loss.
""",
    "reliability_notes": """\
    **Unusual input at prediction time.** A model fitted on 3-D or
    variable-length ``X`` accepts sequences of any length, also longer than
    any seen in training: the recurrence runs over every step (nothing is
    truncated), but how well it extrapolates to such lengths is not
    guaranteed. A model fitted on a 2-D ``X`` (one column per time step)
    needs that many columns. Token ids outside the vocabulary of ``fit``
    raise a ValueError: set ``vocab_size`` to reserve ids, e.g. for an
    unknown token. A network output that is not finite raises a ValueError
    instead of being returned. Predictions run in blocks of 512 sequences,
    so memory stays bounded however many sequences are passed, and one
    fitted model may ``predict`` from several threads at once.

    **Failures, interruption and persistence.** A fit that fails or whose
    loss diverges leaves the estimator as it was, and the error names the
    epoch. Ctrl-C after at least one complete epoch ends training with a
    warning and keeps the best (with early stopping) or latest weights.
    ``save(path)`` and ``load(path)`` store the model without pickle, see
    :mod:`sklearn_rnn.persistence`.
""",
}


def fill_doc(**extra):
    """Class decorator replacing ``{name}`` placeholders by shared fragments.

    Plain ``str.replace`` is used rather than ``str.format`` so that braces
    elsewhere in the docstring (``{"lstm", "gru"}``) need no escaping.
    """

    def decorate(cls):
        doc = cls.__doc__
        # Fragments take the indentation of the docstring's own lines, so
        # that the sections they fill stay aligned.
        lines = [ln for ln in doc.splitlines()[1:] if ln.strip()]
        own = [ln for ln in lines if not ln.strip().startswith("{")]
        indent = min((len(ln) - len(ln.lstrip()) for ln in own), default=4)
        for name, text in {**_FRAGMENTS, **extra}.items():
            block = textwrap.indent(textwrap.dedent(text), " " * indent)
            # A blank line after each fragment: a section header that follows
            # it directly would be read as one more parameter by numpydoc.
            block = block.rstrip("\n") + "\n\n"
            doc = re.sub(
                r"^[ ]*\{" + name + r"\}\n",
                lambda _, block=block: block,
                doc,
                flags=re.MULTILINE,
            )
        for name, text in extra.items():
            doc = doc.replace("{" + name + "}", text)
        # Fragments already followed by a blank line get one, not two.
        doc = re.sub(r"\n\n(?:[ ]*\n)+", "\n\n", doc)
        cls.__doc__ = doc
        return cls

    return decorate
