# SPDX-License-Identifier: BSD-3-Clause
"""Save and load fitted estimators without pickle.

:func:`save` writes one zip file: ``header.json`` holds the estimator's class
name, its parameters and its declared fitted attributes, as JSON; every
array, tensor and network weight is a separate uncompressed ``.npy`` member,
described in the header by its dtype and shape and read back with
``numpy.load(..., allow_pickle=False)``. :func:`load` never imports a name
found in the file and never unpickles anything: a class named in the file
must be either a class of sklearn_rnn itself, found in the package's already
imported modules, or one of the few torch and skorch classes the estimators
use (losses, optimizers, callbacks, ``NeuralNet``), which
:func:`register_safe_type` lists. A file can describe a model but cannot run
code.

**Declared state.** Each estimator class lists the fitted attributes it saves
in ``_persisted_state`` (see ``sklearn_rnn/_persistence/_spec.py``): their
kinds, and for arrays their dtypes and shapes, tied to the parameters (the
target mean of an ``RNNRegressor`` has one float64 per network output; a
net's weights have the shapes its module parameters give). :func:`save`
writes the parameters and exactly these attributes, and raises a
``TypeError`` naming an attribute that is not declared. :func:`load` checks
every attribute against the declaration before it builds the estimator, and
refuses the file with a ``ValueError`` naming the attribute otherwise. An
estimator that defines ``_validate_fitted_state()`` has it called once
loaded, for consistency between attributes (a header edited by hand).

**Bounded loading.** ``header.json`` is read only up to
:data:`~sklearn_rnn._persistence._archive.MAX_HEADER_BYTES` (64 MiB), and
each array member must be stored uncompressed with exactly the size its
dtype and shape imply, checked before it is read; a net's weights are
compared with the module its parameters describe, built on torch's "meta"
device, before any of them is read. Loading a file takes no more memory than
its size and the model it describes: a compressed "bomb" is refused before
anything is inflated.

**Atomic saving.** :func:`save` to a path writes a temporary file in the
same directory and renames it over the target once complete: the old file
survives a failed save (a full disk, an interrupted process).

How each kind of value is stored:

- an estimator (the model, or one nested in it, such as the regressor of an
  ``RNNForecaster``): its class name, its parameters and its declared
  fitted attributes, recursively;
- a skorch ``NeuralNet``: its constructor parameters, the ``state_dict`` of
  its module and of its optimizer, and its training history. Loading
  re-creates the net from the parameters, ``initialize()``-s it and loads
  the two state dicts, so training can even go on with ``warm_start=True``;
- numpy arrays of numbers, booleans or fixed-width strings, and tensors:
  ``.npy`` members; object arrays of strings and numbers: JSON lists;
- numpy scalars, tuples, dicts with any keys, pandas indexes, torch devices
  and dtypes: tagged JSON;
- a ``numpy.random.RandomState`` (a ``random_state`` parameter): its
  Mersenne Twister state, the key as a ``.npy`` member, restored on load, so
  the loaded generator draws the same numbers the saved one would have;
- an object of another class of sklearn_rnn (a helper object): its
  ``__dict__``.

A value of any other type (e.g. a callable ``tokenizer``) cannot be stored
safely: :func:`save` raises a ``TypeError`` naming the attribute.

**Versions.** The file records the format version and the versions of
sklearn_rnn, scikit-learn and torch that wrote it. The format version
changes whenever a declaration does. Version 1 (sklearn_rnn before the
declarations: every attribute of ``__dict__``, arrays described by their
``.npy`` headers only) is translated on load: the dtype and shape of each
array are read from its ``.npy`` header, and the attributes are then checked
against today's declarations like those of a version-2 file, so a version-1
file loads when its attributes are the declared ones and is refused, naming
the attribute, otherwise. :func:`load` refuses a format version it does not
know and a file written by a newer release of sklearn_rnn, with a message
saying which. Each array member's SHA-256 digest is in the header and the
zip format checks every member's CRC, so a truncated or corrupted file
raises a ``ValueError`` instead of loading wrong weights. The digests detect
damage, not forgery: someone who rewrites the file can rewrite the digests,
but what they write is still only data, checked as above.

Devices: weights are stored as CPU arrays. A model trained on ``"cuda"`` is
loaded on the CPU (with a warning) where CUDA is not available, as skorch does
when unpickling; ``load(path, device="cpu")`` asks for it explicitly.

Pickle and joblib keep working as for any scikit-learn estimator (skorch nets
pickle their weights with torch and map CUDA tensors to the CPU when needed),
but unpickling runs code named in the file: only load pickles you trust.

skops (``skops.io``), scikit-learn's secure format, cannot load these models
without trusting arbitrary types: it stores objects it does not know with
their ``__reduce__`` and lists them as untrusted, and a skorch net and its
torch modules are among them, so ``skops.io.load`` needs
``trusted=skops.io.get_untrusted_types(...)``, which trusts the very types
whose reconstruction runs code (``tests/test_persistence.py`` checks what
happens). Use :func:`save` / :func:`load` to share models safely.

This module imports neither torch nor any estimator module: torch is
imported when a file holds a tensor or a net.
"""

import hashlib
import io
import re

import numpy as np

from sklearn_rnn._persistence import _archive
from sklearn_rnn._persistence._reader import Reader
from sklearn_rnn._persistence._registry import register_safe_type
from sklearn_rnn._persistence._writer import Writer, is_estimator

__all__ = ["FORMAT_VERSION", "load", "register_safe_type", "save"]

#: Version of the file layout; :func:`load` reads versions 1 to 9.
FORMAT_VERSION = 9
_READABLE_FORMATS = {1, 2, 3, 4, 5, 6, 7, 8, 9}
# Version 9 declares Seq2SeqTransformer's vector input (``_source_kind_``
# "vector"), which version 8 saved but refused to load: such files of
# version 8 now load, and all others as they are.
# Version 8 adds PanelForecaster's ``theta_weight`` and ``theta_weight_``:
# an older PanelForecaster forecast with its networks alone, and loads so
# (both 0).
# Version 7 adds PanelForecaster's ``calibration_origins`` (an older
# PanelForecaster was calibrated on one origin per series, and loads so) and
# its ``n_features_in_``, set only by a fit on arrays, which older versions
# refused.
# Version 6 adds PanelForecaster's covariates (``static_covariates``,
# ``past_covariates``, ``id_embedding``, ``level_smoothing``; state
# ``_covariates``, ``_exog``) and
# declares SeriesEmbeddingRegressor: an older PanelForecaster loads as a model
# without covariates or embedding, which it was.
# Version 5 only declares a new estimator (InterpolatedLanguageModel): files
# of version 4 hold nothing that changed and load as they are.
# Version 4 adds PanelForecaster's declaration, and the input scaling of
# RNNRegressor and RNNClassifier (``_x_mean``, ``_x_scale``) with their
# ``pooling``, ``scale`` and ``min_steps`` parameters: a file of an earlier
# version has none of these, and loads as a model that does not scale its
# input, pools the last step and counts early stopping from the first epoch.
# Version 3 declares the language models' neural backbones anew (they are no
# longer recurrent estimators); files of earlier versions holding one are
# refused, all others load as they are.
_RETIRED_IN_3 = (
    "sklearn_rnn.lm._neural.RecurrentBackbone",
    "sklearn_rnn.lm._neural.WindowBackbone",
)
_MAGIC = "sklearn_rnn.persistence"
_MALFORMED = (
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)


def save(estimator, path):
    """Save a sklearn_rnn estimator to ``path`` in the safe format.

    Parameters
    ----------
    estimator : estimator of sklearn_rnn
        Fitted or not. Nested estimators (the regressor of an
        ``RNNForecaster``) are saved with it.
    path : str, path-like or binary file object
        Where to write the zip file; ``.skrnn`` is a good suffix. A file
        at a path is replaced only once the new one is complete.

    Raises
    ------
    TypeError
        If the estimator is not one of sklearn_rnn, holds a fitted attribute
        its class does not declare, or holds a value that cannot be stored
        without pickle (e.g. a callable parameter).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.persistence import load, save
    >>> X = np.random.RandomState(0).normal(size=(40, 5))
    >>> reg = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0)
    >>> reg.fit(X, X.sum(axis=1)).predict(X[:1]).shape
    (1,)
    >>> buffer = io.BytesIO()
    >>> save(reg, buffer)
    >>> _ = buffer.seek(0)
    >>> np.array_equal(load(buffer).predict(X), reg.predict(X))
    True
    """
    if not is_estimator(estimator):
        raise TypeError(
            f"save expects a sklearn_rnn estimator; got {type(estimator).__name__}."
        )
    writer = Writer()
    body = writer.estimator(estimator, type(estimator).__name__)
    header = {
        "format": _MAGIC,
        "format_version": FORMAT_VERSION,
        **_versions(),
        "digests": {},
        "estimator": body,
    }
    members = {}
    for key, a in writer.arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, a, allow_pickle=False)
        members[key] = buffer.getvalue()
        header["digests"][key] = hashlib.sha256(members[key]).hexdigest()
    _archive.write(path, header, members)


def _versions():
    import sys

    import sklearn

    from sklearn_rnn._version import __version__

    torch = sys.modules.get("torch")
    return {
        "sklearn_rnn_version": __version__,
        "sklearn_version": sklearn.__version__,
        "torch_version": None if torch is None else torch.__version__,
    }


def _release(version):
    """``(major, minor)`` of a version string, or None."""
    match = re.match(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return None if match is None else (int(match[1]), int(match[2]))


def _check_header(header):
    from sklearn_rnn._version import __version__

    if not isinstance(header, dict) or header.get("format") != _MAGIC:
        raise ValueError("This is not a file written by sklearn_rnn.persistence.save.")
    version = header.get("format_version")
    if type(version) is not int:
        raise ValueError(
            f"The file's format version {repr(version)[:40]} is not a whole "
            "number: the file is malformed."
        )
    if version not in _READABLE_FORMATS:
        raise ValueError(
            f"The file uses format version {version!r} (written by sklearn_rnn "
            f"{str(header.get('sklearn_rnn_version'))[:40]}); this sklearn_rnn "
            f"{__version__} reads format version(s) "
            f"{sorted(_READABLE_FORMATS)}. Load it with the version that wrote it."
        )
    written, here = _release(header.get("sklearn_rnn_version")), _release(__version__)
    if written is None:
        raise ValueError(
            "The file does not say which sklearn_rnn version wrote it (its "
            f"sklearn_rnn_version is {str(header.get('sklearn_rnn_version'))[:40]!r}"
            "): the file is malformed."
        )
    if here is not None and written > here:
        raise ValueError(
            f"The file was written by sklearn_rnn "
            f"{header['sklearn_rnn_version'][:40]}"
            f", newer than the installed {__version__}; upgrade sklearn_rnn to "
            "load it."
        )
    digests = header.get("digests")
    if not isinstance(digests, dict) or not all(
        isinstance(v, str) for v in digests.values()
    ):
        raise ValueError("The file's header has no array digests.")


def _translate_v1(header, archive):
    """Give the arrays of a version-1 header the dtype and shape of version 2.

    Version 1 described an array by its member's key only: the dtype and
    shape are read from the member's ``.npy`` header (a bounded read). The
    attributes themselves are then checked against the declarations.
    """
    stack = [header["estimator"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("~") in ("ndarray", "tensor") and "key" in node:
                key = node["key"]
                if not isinstance(key, str) or key not in header["digests"]:
                    raise ValueError(f"The header refers to an unknown array {key!r}.")
                raw = _archive.member_prefix(archive, key)
                dtype, shape, _, _ = _archive.npy_header(raw, key)
                node.update(dtype=dtype.str, shape=list(shape))
            stack.extend(node.values())
    header["format_version"] = 2


def _refuse_retired_backbones(header):
    """Refuse a file of version 1 or 2 that holds a neural language model."""
    for node in _nodes(header["estimator"]):
        if node.get("~") == "estimator" and node.get("cls") in _RETIRED_IN_3:
            raise ValueError(
                "The file holds a language model with a neural backbone "
                f"saved in format version {header['format_version']}, which "
                "this version of sklearn_rnn cannot read: fit the model "
                "again and save it."
            )


# Version 3 split NGramLanguageModel (whose ``backbone`` parameter chose
# counts or a network) into a counting NGramLanguageModel and the
# NeuralLanguageModel: the parameters each no longer has.
_NGRAM = "sklearn_rnn.lm._ngram.NGramLanguageModel"
_NEURAL_LM = "sklearn_rnn.lm._neural_lm.NeuralLanguageModel"
_NGRAM_COUNTING_ONLY = ("smoothing", "discount", "k", "alpha", "smoothing_")
_NGRAM_NETWORK_ONLY = (
    "embedding_dim", "hidden_size", "num_layers", "dropout", "bptt", "lr",
    "batch_size", "max_epochs", "clip_grad_norm", "early_stopping",
    "validation_fraction", "n_iter_no_change", "tol", "device", "verbose",
    "random_state",
)  # fmt: skip


def _nodes(tree):
    """Every dict of a decoded header, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            yield node
            stack.extend(node.values())


def _translate_v2(header):
    """Give a version-2 NGramLanguageModel the class and parameters of v3.

    A counted model drops the network parameters (its ``backbone`` becomes
    the deprecated default); an unfitted network becomes a
    NeuralLanguageModel without the counting parameters. (A fitted network
    holds a retired backbone and was refused by
    :func:`_refuse_retired_backbones` before this runs.) Every attribute is
    then checked as usual.
    """
    for node in _nodes(header["estimator"]):
        if node.get("cls") == _NGRAM and isinstance(node.get("v"), dict):
            state = node["v"]
            if state.get("backbone", "ngram") == "ngram":
                drop = _NGRAM_NETWORK_ONLY
                state["backbone"] = "deprecated"
            else:  # an unfitted network model: no backbone to refuse
                drop = _NGRAM_COUNTING_ONLY
                node["cls"] = _NEURAL_LM
            for name in drop:
                state.pop(name, None)
    header["format_version"] = 3


# The parameters version 4 added, with the values that reproduce the models
# of earlier versions (whose early stopping counted from the first epoch).
_ADDED_IN_4 = {"pooling": "last", "scale": False, "min_steps": 0}
_HAVE_ADDED_IN_4 = (
    "sklearn_rnn._regressor.RNNRegressor",
    "sklearn_rnn._classifier.RNNClassifier",
)


def _add_attributes(header, classes, added, *, fitted=False):
    """Give the estimators of ``classes`` in an older file the attributes a
    later version ``added`` (name -> the value that reproduces them).
    ``fitted=True``: only those saved fitted (holding an attribute named
    like ``coef_``), since a fitted attribute would make an unfitted one
    look fitted."""
    for node in _nodes(header["estimator"]):
        state = node.get("v")
        if node.get("~") == "estimator" and isinstance(state, dict):
            if node.get("cls") in classes and (not fitted or _was_fitted(state)):
                for name, value in added.items():
                    state.setdefault(name, value)


def _was_fitted(state):
    """Whether a saved state holds a fitted attribute (scikit-learn's rule)."""
    return any(k.endswith("_") and not k.startswith("__") for k in state)


_ADDED_IN_6 = {
    "static_covariates": None,
    "past_covariates": None,
    "id_embedding": 0,
    "level_smoothing": False,
    "_covariates": None,
    "_exog": None,
}
_HAVE_ADDED_IN_6 = ("sklearn_rnn.forecasting._estimator.PanelForecaster",)
_ADDED_IN_7 = {"calibration_origins": 1}
_HAVE_ADDED_IN_7 = _HAVE_ADDED_IN_6
_ADDED_IN_8 = {"theta_weight": 0.0}
_FITTED_IN_8 = {"theta_weight_": 0.0}
_HAVE_ADDED_IN_8 = _HAVE_ADDED_IN_6


def load(path, *, device=None):
    """Load an estimator written by :func:`save`.

    Nothing in the file is imported or executed: classes are looked up in a
    whitelist and arrays are read with ``allow_pickle=False``, each checked
    against the estimator's declared state before the estimator is built.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save`.
    device : str, default=None
        Device for the networks' weights. None: the device they were trained
        on, or the CPU (with a warning) when that is CUDA and CUDA is not
        available. The estimator's ``device`` parameter, which applies to
        the next ``fit``, is kept as saved.

    Returns
    -------
    estimator : estimator of sklearn_rnn
        The estimator, predicting exactly as the saved one did.

    Raises
    ------
    ValueError
        If the file is not a sklearn_rnn file, is truncated, corrupted or
        malformed, holds a value its estimator does not declare or that
        contradicts the declaration, names a type outside the whitelist, or
        comes from an incompatible version.
    """
    archive = _archive.open_archive(path)
    with archive:
        header = _archive.read_header(archive)
        _check_header(header)
        try:
            if header["format_version"] == 1:
                _translate_v1(header, archive)
            if header["format_version"] < 3:
                _refuse_retired_backbones(header)
            if header["format_version"] == 2:
                _translate_v2(header)
            if header["format_version"] < 4:
                _add_attributes(header, _HAVE_ADDED_IN_4, _ADDED_IN_4)
            if header["format_version"] < 6:
                _add_attributes(header, _HAVE_ADDED_IN_6, _ADDED_IN_6)
            if header["format_version"] < 7:
                _add_attributes(header, _HAVE_ADDED_IN_7, _ADDED_IN_7)
            if header["format_version"] < 8:
                _add_attributes(header, _HAVE_ADDED_IN_8, _ADDED_IN_8)
                _add_attributes(header, _HAVE_ADDED_IN_8, _FITTED_IN_8, fitted=True)
            body = header["estimator"]
            if not isinstance(body, dict) or body.get("~") != "estimator":
                raise ValueError("The file does not hold an estimator.")
            return Reader(archive, header["digests"], device).decode(body)
        except _MALFORMED as exc:
            raise ValueError(
                f"The file's header is malformed ({type(exc).__name__}: "
                f"{str(exc)[:200]})."
            ) from None


class PersistenceMixin:
    """``save(path)`` and ``load(path)`` methods for the public estimators.

    Thin aliases of :func:`save` and :func:`load`, kept because users call
    ``est.save(path)`` and ``RNNRegressor.load(path)``; the functions are the
    API, and estimators that are not public need no mixin.
    """

    def save(self, path):
        """Save the estimator in sklearn_rnn's safe (pickle-free) format.

        See :mod:`sklearn_rnn.persistence` for what the file holds.

        Parameters
        ----------
        path : str, path-like or binary file object
            Where to write the file.
        """
        save(self, path)

    @classmethod
    def load(cls, path, *, device=None):
        """Load an estimator of this class saved with :meth:`save`.

        Parameters
        ----------
        path : str, path-like or binary file object
            A file written by :meth:`save`.
        device : str, default=None
            Device for the network weights, see
            :func:`sklearn_rnn.persistence.load`.

        Returns
        -------
        estimator : estimator
            The loaded estimator.
        """
        est = load(path, device=device)
        if not isinstance(est, cls):
            raise ValueError(
                f"The file holds a {type(est).__name__}, not a {cls.__name__}."
            )
        return est
