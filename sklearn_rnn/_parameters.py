# SPDX-License-Identifier: BSD-3-Clause
"""The parameters the neural estimators share, declared once.

Each :class:`Param` holds a parameter's default, its constraints (the
entries of ``_parameter_constraints``) and its numpydoc paragraph.
:func:`declare_parameters` builds a class's constraint table and the
Parameters section of its docstring from its ``__init__`` signature, and
checks that the signature's defaults are the declared ones; estimators
still spell their signature out, as scikit-learn requires.
:func:`store_parameters` is the body of their ``__init__``. This module does
not import torch.
"""

import inspect
from numbers import Integral, Real
from typing import NamedTuple

from sklearn_rnn.utils._docstring import fill_doc, format_parameters
from sklearn_rnn.utils._sklearn_compat import Interval, StrOptions

# The optimizers of the training engine (``_training._OPTIMIZERS``).
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "rmsprop")


class Param(NamedTuple):
    """A parameter: default, constraints, type and description.

    ``type`` is the numpydoc type without the default, which is appended
    from ``default``; ``doc`` the description.
    """

    default: object
    constraints: list
    type: str
    doc: str


def _positive_int():
    return [Interval(Integral, 1, None, closed="left")]


BACKBONE = {
    "cell": Param(
        "lstm",
        [StrOptions({"lstm", "gru", "rnn"})],
        '{"lstm", "gru", "rnn"}',
        'Recurrent cell. ``"rnn"`` is the Elman network (Keras\' SimpleRNN).',
    ),
    "hidden_size": Param(
        32,
        _positive_int(),
        "int",
        "Number of units of each recurrent layer (per direction).",
    ),
    "num_layers": Param(
        1,
        _positive_int(),
        "int",
        "Number of stacked recurrent layers (a deep RNN when > 1).",
    ),
    "bidirectional": Param(
        False,
        ["boolean"],
        "bool",
        "Whether each layer also reads the sequence backwards; the outputs of "
        "both directions are concatenated.",
    ),
    "nonlinearity": Param(
        "tanh",
        [StrOptions({"tanh", "relu"})],
        '{"tanh", "relu"}',
        'Activation of the ``"rnn"`` cell; ignored by LSTM and GRU.',
    ),
    "dropout": Param(
        0.0,
        [Interval(Real, 0, 1, closed="left")],
        "float in [0, 1)",
        "Dropout between stacked layers and on the representation fed to the "
        "output layer.",
    ),
    "forget_bias": Param(
        1.0,
        [Interval(Real, None, None, closed="neither")],
        "float",
        "Initial bias of the LSTM forget gate (Keras' ``unit_forget_bias``): "
        "a positive value keeps the cell state, and its gradient, flowing "
        "through long sequences from the first step of training. On tasks "
        "that need little memory it can slow the first epochs (the Géron "
        "example shows it); 0.0 gives an unbiased gate. Ignored by GRU and RNN.",
    ),
    "embedding_dim": Param(
        None,
        [None, Interval(Integral, 1, None, closed="left")],
        "int",
        "When set, ``X`` holds integer token ids that are embedded in vectors "
        "of this size before the recurrent layers. Set or not, it is fixed by "
        "``fit``: ``predict`` raises a ValueError if it went from None to a "
        "size, or back, since.",
    ),
    "vocab_size": Param(
        None,
        [None, Interval(Integral, 1, None, closed="left")],
        "int",
        "Number of token ids when ``embedding_dim`` is set; None learns it "
        "from the largest id seen in fit.",
    ),
}

RETURN_SEQUENCES = {
    "return_sequences": Param(
        False,
        ["boolean"],
        "bool",
        "False is the sequence-to-vector pattern: one target per sequence, "
        "read from the final state. True is the synced sequence-to-sequence "
        "pattern: one target per time step. Fixed by ``fit``: ``predict`` "
        "raises a ValueError if it was changed since.",
    ),
}

# The pooling heads of ``_modules.RecurrentNetwork``.
POOLING_NAMES = ("last", "mean", "max", "attention")

SEQUENCE_TO_VECTOR = {
    "pooling": Param(
        "last",
        [StrOptions(set(POOLING_NAMES))],
        "{" + ", ".join(f'"{name}"' for name in POOLING_NAMES) + "}",
        "How the outputs of the recurrent layers over time become the one "
        'vector the output layer reads: ``"last"`` the final state (of both '
        'directions when bidirectional), ``"mean"`` and ``"max"`` the mean '
        "and the maximum over the real time steps (padding never counts), "
        '``"attention"`` a weighted mean with learnt attention weights. Long '
        'sequences often need more than the last state (``"max"`` is the one '
        "to try first for classification). Ignored with "
        "``return_sequences=True``, where every step has its output.",
    ),
    "scale": Param(
        False,
        ["boolean"],
        "bool",
        "Whether to standardise each input feature with its mean and "
        "standard deviation over every real time step of the training "
        "sequences (those of the validation split left out), as "
        ":class:`~sklearn_rnn.preprocessing.SequenceScaler` does in a "
        "pipeline, except that each sequence weighs its ``sample_weight``. "
        "Off by default: it helps features of unequal ranges but "
        "can slow training where the raw amplitudes are the signal. Ignored "
        "with ``embedding_dim`` set (token ids are not scaled).",
    ),
}

_VALIDATION_SPLIT_DOC = (
    'Which samples are held out: ``"last"`` the final ones in the order '
    'given (right for time-ordered windows), ``"shuffle"`` a random subset.'
)

TRAINING = {
    "optimizer": Param(
        "adam",
        [StrOptions(set(OPTIMIZER_NAMES))],
        "{" + ", ".join(f'"{name}"' for name in OPTIMIZER_NAMES) + "}",
        "Optimisation algorithm.",
    ),
    "lr": Param(
        1e-3, [Interval(Real, 0, None, closed="neither")], "float", "Learning rate."
    ),
    "weight_decay": Param(
        0.0,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "L2 penalty passed to the optimizer.",
    ),
    "batch_size": Param(32, _positive_int(), "int", "Mini-batch size for training."),
    "max_epochs": Param(
        100, _positive_int(), "int", "Maximum number of passes over the training data."
    ),
    "clip_grad_norm": Param(
        None,
        [None, Interval(Real, 0, None, closed="neither")],
        "float",
        "When set, the gradient norm is clipped to this value before each "
        "step, the usual cure for exploding gradients in recurrent networks.",
    ),
    "early_stopping": Param(
        False,
        ["boolean"],
        "bool",
        "Whether to hold out ``validation_fraction`` of the training data and "
        "stop when its loss has not improved by ``tol`` for "
        "``n_iter_no_change`` epochs. The weights of the best epoch are "
        "restored.",
    ),
    "validation_fraction": Param(
        0.1,
        [Interval(Real, 0, 1, closed="neither")],
        "float in (0, 1)",
        "Share of the training data held out when ``early_stopping=True``. "
        "Early stopping warns when it holds out fewer than 20 samples: a "
        "loss on so few says little about the model.",
    ),
    "validation_split": Param(
        "last",
        [StrOptions({"last", "shuffle"})],
        '{"last", "shuffle"}',
        _VALIDATION_SPLIT_DOC,
    ),
    "n_iter_no_change": Param(
        10,
        _positive_int(),
        "int",
        "Epochs without improvement tolerated before early stopping.",
    ),
    "min_steps": Param(
        500,
        [Interval(Integral, 0, None, closed="left")],
        "int",
        "Optimiser steps (mini-batches) trained before early stopping watches "
        "the validation loss: the epochs that end earlier neither count "
        "towards ``n_iter_no_change`` nor are kept as the best model, so "
        "training cannot stop in the plateau that small networks often go "
        "through at first. ``max_epochs`` still caps training. Ignored "
        "without early stopping.",
    ),
    "tol": Param(
        1e-4,
        [Interval(Real, 0, None, closed="left")],
        "float",
        "Minimum decrease of the validation loss that counts as improvement.",
    ),
    "device": Param(
        "cpu",
        [str],
        "str",
        'Torch device to train and predict on: ``"cpu"``, ``"cuda"``, '
        '``"cuda:1"``, ..., or ``"auto"`` for CUDA when available. On a CUDA '
        "device each batch is copied from page-locked (pinned) host memory.",
    ),
    "precision": Param(
        "float32",
        [StrOptions({"float32", "bfloat16"})],
        '{"float32", "bfloat16"}',
        '``"bfloat16"`` is mixed precision: the forward pass runs under '
        "``torch.autocast`` in bfloat16 where torch deems it safe (matrix "
        "products, the LSTM), while the weights, the loss and the optimizer "
        "stay in float32. It pays off on GPUs with bfloat16 units (NVIDIA "
        "Ampere and later) and on CPUs with AMX/AVX-512-BF16; elsewhere it is "
        "slower. On a CPU whose oneDNN has no bfloat16 LSTM kernel (AVX2 "
        "only), ``fit`` warns and trains in float32 instead. bfloat16 has "
        "float32's range, so no loss scaling is needed (float16 would need it "
        "and is not offered). Predictions run in the precision of the last "
        "fit: the module holds it, and a new value takes effect at the next "
        "``fit``.",
    ),
    "compile": Param(
        False,
        ["boolean"],
        "bool",
        "Compile the module with ``torch.compile`` (through skorch's "
        "``compile`` option). The first epoch pays the compilation; later "
        "ones may run faster, mostly on GPUs. Needs a working "
        "``torch.compile`` (on CPU a C++ compiler).",
    ),
    "lr_schedule": Param(
        None,
        [None, StrOptions({"plateau"})],
        '{"plateau"} or None',
        'None keeps ``lr`` throughout. ``"plateau"`` halves the learning rate '
        "after every epoch whose validation loss (the training loss without a "
        "validation split) did not improve by ``tol``: large steps early, "
        "fine ones near the optimum, as recurrent language models are "
        "usually trained.",
    ),
    "max_time": Param(
        None,
        [None, Interval(Real, 0, None, closed="neither")],
        "float or None",
        "A training budget in seconds: no epoch starts that, at the pace of "
        "the previous one, would end after ``max_time`` (the first always "
        "runs). With early stopping the best epoch's weights are still kept. "
        "None: no limit but ``max_epochs``.",
    ),
    "warm_start": Param(
        False,
        ["boolean"],
        "bool",
        "When True and neither the architecture nor ``optimizer`` has "
        "changed, ``fit`` continues from the current weights instead of "
        "starting afresh, with the current training settings (learning rate, "
        "epochs, batch size, weight decay, gradient clipping, early stopping, "
        "verbosity).",
    ),
    "verbose": Param(
        0,
        ["verbose"],
        "int",
        "0 is silent; 1 shows a progress bar over the epochs (tqdm, on "
        "stderr) with the latest training and validation losses; 2 or more "
        "prints skorch's table of losses, one line per epoch.",
    ),
    "random_state": Param(
        None,
        ["random_state"],
        "int, RandomState instance or None",
        "Seeds weight initialisation, dropout, shuffling and the validation "
        "split: an int makes ``fit`` reproducible, in one process and across "
        "processes on the same machine and versions. Each fit runs in a "
        "seeded ``torch.random.fork_rng`` block and gives back the state of "
        "torch's global generator it found. Fits running side by side in "
        "threads of one process share that generator, so their draws "
        "interleave: run reproducible fits in parallel in processes "
        "(joblib's default backend, dask workers).",
    ),
}

# The recurrent regressor's and classifier's own versions of shared ones.
RNN_OWN = {
    "max_epochs": TRAINING["max_epochs"]._replace(
        default=300,
        doc="Maximum number of passes over the training data. Without early "
        "stopping, training also ends when the training loss has not "
        "improved by ``tol`` for ``n_iter_no_change`` epochs (counted after "
        "``min_steps`` optimiser steps), as in scikit-learn's MLP: small "
        "data sets get the epochs they need, large ones stop at their "
        "plateau.",
    ),
    "min_steps": TRAINING["min_steps"]._replace(
        doc="Optimiser steps (mini-batches) trained before early stopping "
        "watches the validation loss, or, without it, before the plateau of "
        "the training loss can end training (see ``max_epochs``): the epochs "
        "that end earlier neither count towards ``n_iter_no_change`` nor are "
        "kept as the best model, so training cannot stop in the plateau that "
        "small networks often go through at first. ``max_epochs`` still caps "
        "training.",
    ),
    "n_iter_no_change": TRAINING["n_iter_no_change"]._replace(
        doc="Epochs without improvement tolerated before early stopping, or, "
        "without it, before training ends on the plateau of the training "
        "loss (see ``max_epochs``).",
    ),
    "tol": TRAINING["tol"]._replace(
        doc="Minimum decrease of the validation loss (of the training loss "
        "without early stopping) that counts as improvement.",
    ),
}

# What the recurrent language models add (``lm._neural.RecurrentBackbone``).
LANGUAGE_MODEL = {
    "embedding_dropout": Param(
        0.0,
        [Interval(Real, 0, 1, closed="left")],
        "float in [0, 1)",
        "Probability of dropping a whole word type from a training batch: "
        "all its occurrences get a zero embedding (Gal and Ghahramani, 2016), "
        "so that the model cannot lean on any one word.",
    ),
    "variational_dropout": Param(
        False,
        ["boolean"],
        "bool",
        "Whether ``dropout`` also drops units of the embeddings fed to the "
        "first layer, with one mask per sentence shared by all its steps, on "
        "the embeddings and on the last layer's outputs (variational dropout, "
        "Gal and Ghahramani, 2016; Merity et al., 2018). False: the outputs "
        "get a new mask at every step (Zaremba et al., 2014) and the "
        "embeddings none.",
    ),
    "tie_weights": Param(
        False,
        ["boolean"],
        "bool",
        "Whether the output layer's weights are the input embeddings (Press "
        "and Wolf, 2017; Inan et al., 2017): fewer parameters and, on small "
        "corpora, lower perplexity. The outputs are projected to "
        '``embedding_dim`` when it differs from ``hidden_size``. ``softmax="'
        'full"`` only.',
    ),
    "softmax": Param(
        "full",
        [StrOptions({"full", "adaptive"})],
        '{"full", "adaptive"}',
        '``"full"`` scores every token of the vocabulary at each step. '
        '``"adaptive"`` is Grave et al.\'s adaptive softmax '
        "(``torch.nn.AdaptiveLogSoftmaxWithLoss``): the frequent tokens in a "
        "head, the rare ones in clusters behind smaller projections; several "
        "times faster on vocabularies of thousands of words, with exact "
        "probabilities all the same.",
    ),
    "cutoffs": Param(
        None,
        [None, "array-like"],
        "list of int or None",
        "The adaptive softmax's cluster boundaries, in tokens ranked by "
        "training frequency (``[2000, 10000]``: the 2,000 most frequent in the "
        "head, the next 8,000 in one cluster, the rest in another). None puts "
        "in the head the most frequent tokens that make up 90 % of the "
        "training tokens, and the next ones up to 98 % in the first cluster. "
        'Ignored with ``softmax="full"``.',
    ),
}

SHARED = {**BACKBONE, **RETURN_SEQUENCES, **SEQUENCE_TO_VECTOR, **TRAINING}


def _signature_names(cls):
    return [
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind is not p.VAR_KEYWORD
    ]


def declare_parameters(own=None, **fragments):
    """Class decorator: constraints and docs of the ``__init__`` parameters.

    Parameters
    ----------
    own : dict of str to Param, default=None
        The class's own parameters, and shared ones it declares otherwise
        (another set of options, say).
    **fragments : str
        Replacements of other ``{name}`` placeholders of the docstring.

    The docstring's ``{parameters}`` placeholder becomes the Parameters
    entries, in the order of the signature; ``_parameter_constraints``
    becomes the table of the same parameters. A signature default that is
    not the declared one is a TypeError when the class is defined.
    """
    table = {**SHARED, **(own or {})}

    def decorate(cls):
        names = _signature_names(cls)
        for name in names:
            if name not in table:
                raise TypeError(f"{cls.__name__}: parameter {name!r} is not declared.")
            default = inspect.signature(cls.__init__).parameters[name].default
            if default != table[name].default:
                raise TypeError(
                    f"{cls.__name__}: default of {name!r} is {default!r}, "
                    f"declared {table[name].default!r}."
                )
        cls._parameter_constraints = {name: table[name].constraints for name in names}
        entries = [(name, *table[name]) for name in names]
        return fill_doc(parameters=format_parameters(entries), **fragments)(cls)

    return decorate


def store_parameters(estimator, values):
    """Set every ``__init__`` parameter of ``estimator`` from ``values``.

    The one body of the estimators' ``__init__``: ``values`` is its
    ``locals()``. As scikit-learn requires, the values are stored as given.
    """
    for name in _signature_names(type(estimator)):
        setattr(estimator, name, values[name])
