# SPDX-License-Identifier: BSD-3-Clause
"""Declarations of the state an estimator saves.

Each estimator class lists its fitted attributes in a class attribute
``_persisted_state``, a dict from attribute name to one of the entries
below. :func:`sklearn_rnn.persistence.save` writes the estimator's
parameters and exactly these attributes (and refuses an attribute that is
not declared); :func:`sklearn_rnn.persistence.load` checks every value
against its entry before the estimator is built, and refuses the file with a
``ValueError`` naming the entry otherwise.

An array's shape is a tuple of dimensions, each an int, None (any length:
data-dependent, bounded by the file's size), the name of an integer
parameter or attribute, or a :class:`Dim` computed from the parameters and
the other entries, which load reads first::

    _persisted_state = {
        **BaseRNN._persisted_state,  # what every recurrent estimator saves
        "classes_": Array((N_OUTPUTS,), kinds="biufUO"),
        "_y_mean": Array((N_OUTPUTS,), dtype="float64", finite=True),
    }

where ``N_OUTPUTS`` is the ``module__output_size`` parameter of the net
``net_``, whose weights load compares with that parameter.

Changing a declaration changes the file format: increase
``sklearn_rnn.persistence.FORMAT_VERSION``, make ``load`` translate (or
clearly refuse) files of the previous version, and pin the new
:func:`fingerprint` in ``tests/test_persistence_hostile.py``, which fails
until then. Nothing here imports torch.
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "Array",
    "Bool",
    "Dim",
    "Estimator",
    "Float",
    "Int",
    "ListOf",
    "Net",
    "NetParam",
    "N_OUTPUTS",
    "Str",
    "Value",
]


def _refuse(name, problem):
    raise ValueError(
        f"The saved {name} {problem}; the file is corrupted or was edited."
    )


class Entry:
    """One declared attribute. ``none=True``: None is a valid value too."""

    def __init__(self, *, none=False):
        self.none = none

    def check(self, value, name, context):
        """Raise a ValueError naming ``name`` if ``value`` does not fit."""

    def __repr__(self):
        # Everything that decides what a file may hold: the fingerprint of
        # the declarations (see fingerprint) is made of these.
        args = ", ".join(f"{k}={_describe(v)}" for k, v in sorted(vars(self).items()))
        return f"{type(self).__name__}({args})"


class Value(Entry):
    """Any value the safe decoder rebuilds (numbers, strings, lists, dicts,
    tuples, indexes, objects of sklearn_rnn's classes).

    Arrays inside it are still bounded by the file: use :class:`Array` for
    an array whose shape follows from the parameters.
    """


class Int(Entry):
    """A Python or numpy integer in ``[low, high]``."""

    def __init__(self, low=None, high=None, *, none=False):
        super().__init__(none=none)
        self.low, self.high = low, high

    def check(self, value, name, context):
        if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)):
            _refuse(name, f"is {type(value).__name__}, not an integer")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            _refuse(name, f"= {value} is outside [{self.low}, {self.high}]")


class Float(Entry):
    """A real number, finite unless ``finite=False``, in ``[low, high]``
    when they are given."""

    def __init__(self, *, finite=True, none=False, low=None, high=None):
        super().__init__(none=none)
        self.finite = finite
        if low is not None or high is not None:  # the fingerprint of others
            self.low, self.high = low, high

    def check(self, value, name, context):
        if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
            _refuse(name, f"is {type(value).__name__}, not a number")
        if self.finite and not math.isfinite(value):
            _refuse(name, f"= {value} is not finite")
        low, high = getattr(self, "low", None), getattr(self, "high", None)
        if (low is not None and value < low) or (high is not None and value > high):
            _refuse(name, f"= {value} is outside [{low}, {high}]")


class Bool(Entry):
    """True or False."""

    def check(self, value, name, context):
        if not isinstance(value, (bool, np.bool_)):
            _refuse(name, f"is {type(value).__name__}, not a boolean")


class Str(Entry):
    """A string, one of ``options`` when given."""

    def __init__(self, options=None, *, none=False):
        super().__init__(none=none)
        self.options = options

    def check(self, value, name, context):
        if not isinstance(value, str):
            _refuse(name, f"is {type(value).__name__}, not a string")
        if self.options is not None and value not in self.options:
            _refuse(name, f"= {value!r} is not one of {sorted(self.options)}")


class Dim:
    """A dimension computed from the parameters and the decoded entries.

    Parameters
    ----------
    func : callable
        ``func(context)`` returns the length; ``context`` maps the names of
        the parameters and of the entries read so far to their values (a
        :class:`Net` entry to its parameters, as a dict).
    description : str
        What the length is, for error messages.
    """

    def __init__(self, func, description):
        self.func, self.description = func, description

    def resolve(self, context):
        try:
            value = self.func(context)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(
                f"The file lacks what fixes {self.description} "
                f"({type(exc).__name__}: {exc})."
            ) from None
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(f"The file's {self.description} is {value!r}.")
        return int(value)


def _resolve(dim, context):
    """An int, None, or the length a :class:`Dim` or a name gives."""
    if isinstance(dim, str):
        dim = Dim(lambda c, name=dim: c[name], dim)
    return dim.resolve(context) if isinstance(dim, Dim) else dim


def NetParam(net, param):
    """The dimension given by the parameter ``param`` of the net ``net``."""
    return Dim(lambda context: context[net][param], f"{net}'s {param}")


#: The number of outputs of an estimator's network ``net_``.
N_OUTPUTS = NetParam("net_", "module__output_size")


class Array(Entry):
    """A numpy array (or a tensor, ``tensor=True``) of a declared shape.

    Parameters
    ----------
    shape : tuple
        One int, None, name or :class:`Dim` per dimension.
    dtype : str, default=None
        The exact dtype (``"float64"``).
    kinds : str, default=None
        The dtype kinds allowed (``"iu"``, ``"biufUO"``) when ``dtype`` is None.
    finite : bool, default=False
        Whether every value must be finite.
    tensor : bool, default=False
        A torch tensor rather than a numpy array.
    none : bool, default=False
        Whether None is a valid value.
    """

    def __init__(
        self, shape, *, dtype=None, kinds=None, finite=False, tensor=False, none=False
    ):
        super().__init__(none=none)
        self.shape, self.finite, self.tensor = tuple(shape), finite, tensor
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.kinds = kinds

    def check_meta(self, dtype, shape, name, context):
        """Check the dtype and shape a file announces, before reading data."""
        if self.dtype is not None and dtype != self.dtype:
            _refuse(name, f"has dtype {dtype}, not {self.dtype}")
        if self.kinds is not None and dtype.kind not in self.kinds:
            _refuse(name, f"has dtype {dtype}, not one of the kinds {self.kinds!r}")
        if len(shape) != len(self.shape):
            _refuse(name, f"has {len(shape)} dimensions, not {len(self.shape)}")
        for axis, (got, want) in enumerate(zip(shape, self.shape)):
            want = _resolve(want, context)
            if want is not None and got != want:
                _refuse(name, f"has shape {tuple(shape)}: axis {axis} is not {want}")

    def check(self, value, name, context):
        data = value.numpy() if self.tensor else value
        if self.finite and data.dtype.kind in "fc" and not np.isfinite(data).all():
            _refuse(name, "holds values that are not finite")


class ListOf(Entry):
    """A list whose items are ``item`` entries, of ``length`` when given."""

    def __init__(self, item, length=None, *, none=False):
        super().__init__(none=none)
        self.item, self.length = item, length

    def check_length(self, n, name, context):
        want = _resolve(self.length, context)
        if want is not None and n != want:
            _refuse(name, f"has {n} items, not {want}")


class Net(Entry):
    """A skorch net: its weights' shapes follow from its module parameters.

    Load builds the module on torch's "meta" device (no memory) from the
    stored parameters and compares every stored weight and optimizer state
    with it before building the net.
    """


class Estimator(Entry):
    """A nested estimator of sklearn_rnn, checked against its own
    declaration."""


def declaration(cls):
    """The ``_persisted_state`` of ``cls`` (empty when it declares none)."""
    declared = getattr(cls, "_persisted_state", None)
    return {} if declared is None else declared


def _describe(value):
    if isinstance(value, Dim):
        return f"Dim({value.description!r})"
    if isinstance(value, (set, frozenset)):
        return repr(sorted(value))
    if isinstance(value, tuple):
        return "(" + "".join(_describe(v) + ", " for v in value) + ")"
    return repr(value)


def fingerprint(classes):
    """A digest of the declarations of ``classes``: it changes whenever one
    of them does, and with it the file format's version must."""
    import hashlib

    # Class names only: moving a class to another module changes no file.
    lines = sorted(
        f"{cls.__name__}.{name}: {entry!r}"
        for cls in classes
        for name, entry in declaration(cls).items()
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def is_array_entry(entry):
    """Whether ``entry`` is read after the others (its dims may use them)."""
    return isinstance(entry, Array) or (
        isinstance(entry, ListOf) and is_array_entry(entry.item)
    )
