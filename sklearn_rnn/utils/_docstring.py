# SPDX-License-Identifier: BSD-3-Clause
"""Docstring fragments shared by the estimators, written once.

The parameters' paragraphs are declared with the parameters themselves
(``sklearn_rnn._parameters``); the fitted attributes and notes that the
estimators share are here.
"""

import re
import textwrap

_FRAGMENTS = {
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
        Validation loss of the epoch kept when ``early_stopping=True`` (the
        lowest after ``min_steps``), else lowest training loss.
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


def _format_default(value):
    return f'"{value}"' if isinstance(value, str) else repr(value)


def format_parameters(entries):
    """numpydoc entries ``name : type, default=...`` and their description.

    ``entries`` holds ``(name, default, constraints, type, doc)`` tuples
    (see ``sklearn_rnn._parameters.Param``); the text is unindented.
    """
    blocks = []
    for name, default, _, type_, doc in entries:
        head = f"{name} : {type_}, default={_format_default(default)}"
        body = textwrap.fill(
            doc, width=75, initial_indent="    ", subsequent_indent="    "
        )
        blocks.append(f"{head}\n{body}\n")
    return "\n".join(blocks)


def fill_doc(**extra):
    """Class decorator replacing ``{name}`` placeholders by fragments.

    A placeholder alone on its line is replaced by the fragment, indented
    like the line and followed by a blank line; other placeholders by the
    text as it is. The fragments are ``_FRAGMENTS`` and ``extra``. Plain
    text replacement is used rather than ``str.format`` so that braces
    elsewhere in the docstring (``{"lstm", "gru"}``) need no escaping.
    """
    fragments = {**_FRAGMENTS, **extra}

    def block(match):
        indent, name = match.group(1), match.group(2)
        if name not in fragments:
            return match.group(0)
        text = textwrap.indent(textwrap.dedent(fragments[name]).strip("\n"), indent)
        # A blank line after each fragment: a section header that follows
        # it directly would be read as one more entry by numpydoc.
        return text + "\n\n"

    def decorate(cls):
        doc = re.sub(r"^([ ]*)\{(\w+)\}\n", block, cls.__doc__, flags=re.MULTILINE)
        for name, text in extra.items():
            doc = doc.replace("{" + name + "}", text)
        # Fragments already followed by a blank line get one, not two.
        cls.__doc__ = re.sub(r"\n\n(?:[ ]*\n)+", "\n\n", doc)
        return cls

    return decorate
