# SPDX-License-Identifier: BSD-3-Clause
"""The classes and functions a saved file may name.

Allowed are the classes of sklearn_rnn itself (found in its already imported
modules, never imported from a name in a file) and what
:func:`register_safe_type` registered. The torch and skorch objects the
estimators use are registered the first time a name under ``torch``,
``skorch`` or ``builtins`` is looked up, so that saving and loading a
torch-free estimator never imports torch.
"""

import importlib
import sys

from sklearn_rnn.utils._lazy import PUBLIC_NAMES

_REGISTRY = {}
_DEFAULTS = []  # becomes [True] once the defaults are registered
_DEFAULT_ROOTS = ("torch", "skorch", "builtins")

# The optimizers the estimators' ``optimizer`` parameter names, by module and
# attribute: resolved here so that this module imports no estimator module.
_OPTIMIZER_NAMES = ("Adam", "AdamW", "SGD", "RMSprop")

# Names that files of earlier versions give classes that have moved since.
_MOVED = {
    "sklearn_rnn._base.DivergenceGuard": "sklearn_rnn._training.DivergenceGuard",
    "sklearn_rnn._base.EpochProgressBar": "sklearn_rnn._training.EpochProgressBar",
    # The panel's absolute-error loss moved next to the panel's network.
    "sklearn_rnn.forecasting._estimator.AbsoluteLoss": (
        "sklearn_rnn.forecasting._network.AbsoluteLoss"
    ),
    # RNNForecaster's target transform moved to the forecasting package.
    "sklearn_rnn._forecaster._Differencer": (
        "sklearn_rnn.forecasting._transforms.Differencer"
    ),
    # The per-epoch thread rebalancing was retired: a callback that does nothing.
    "sklearn_rnn._base.ThreadRebalance": "skorch.callbacks.base.Callback",
}


def qualname(obj):
    """``module.qualname`` of a class or function."""
    module = getattr(obj, "__module__", None)
    return f"{module}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def register_safe_type(obj, how="ref"):
    """Allow :func:`~sklearn_rnn.persistence.load` to rebuild ``obj``.

    Estimators that store objects of their own (a torch module class, a
    helper object) register them once, next to their definition.

    Parameters
    ----------
    obj : class or function
        What may appear in a saved file.
    how : {"ref", "state", "params"}, default="ref"
        ``"ref"``: the class or function itself is a stored value (a module
        class handed to skorch). ``"state"``: its instances are stored as
        their ``__dict__`` and rebuilt without calling ``__init__``.
        ``"params"``: its instances are stored as ``get_params(deep=False)``
        and rebuilt as ``obj(**params)``.

    Returns
    -------
    obj : class or function
        ``obj`` itself, so that this works as a class decorator.

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_rnn.persistence import register_safe_type
    >>> register_safe_type(nn.Tanh) is nn.Tanh
    True
    """
    if how not in ("ref", "state", "params"):
        raise ValueError(f"how must be 'ref', 'state' or 'params'; got {how!r}.")
    _REGISTRY[qualname(obj)] = (obj, how)
    return obj


def _register_defaults():
    """Whitelist the torch and skorch objects the estimators store."""
    import skorch
    import skorch.dataset
    import torch
    from skorch.callbacks import (
        Callback,
        EarlyStopping,
        GradientNormClipping,
        LRScheduler,
    )
    from torch import nn
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    optimizers = [getattr(torch.optim, name) for name in _OPTIMIZER_NAMES]
    for obj in (
        skorch.NeuralNet,
        skorch.dataset.Dataset,
        nn.MSELoss,
        nn.CrossEntropyLoss,
        nn.NLLLoss,
        *optimizers,
        print,  # EarlyStopping's sink
        ReduceLROnPlateau,  # the policy of the "plateau" learning-rate schedule
    ):
        register_safe_type(obj, "ref")
    for obj in (GradientNormClipping, EarlyStopping, LRScheduler, Callback):
        register_safe_type(obj, "params")


def _ensure_defaults(name):
    if not _DEFAULTS and name.split(".", 1)[0] in _DEFAULT_ROOTS:
        _register_defaults()
        _DEFAULTS.append(True)


def _package_class(name):
    """The class ``name`` if sklearn_rnn defines it in an imported module.

    Only modules of the package are searched, and only for a class defined
    there; the one import is of a public estimator's module (see below).
    """
    module_name, _, attr = name.rpartition(".")
    if module_name != "sklearn_rnn" and not module_name.startswith("sklearn_rnn."):
        return None
    module = sys.modules.get(module_name)
    if module is None:
        # The package imports its estimators lazily: the module of a public
        # estimator (a fixed table, not a name from the file) is imported.
        if module_name in PUBLIC_NAMES.values():
            module = importlib.import_module(module_name)
    obj = getattr(module, attr, None)
    if isinstance(obj, type) and obj.__module__ == module_name:
        return obj
    return None


def is_callback_class(cls):
    """Whether ``cls`` is a skorch callback (False while skorch is not loaded:
    no class can then derive from skorch's ``Callback``)."""
    callbacks = sys.modules.get("skorch.callbacks")
    return callbacks is not None and issubclass(cls, callbacks.Callback)


def allowed(name, how):
    """Return the class or function ``name`` may stand for as ``how``, or None.

    ``how`` is "estimator", "ref", "state" or "params". Allowed are what
    :func:`register_safe_type` registered (torch and skorch classes the
    estimators use) and the classes of sklearn_rnn itself: estimators
    (``BaseEstimator`` subclasses), skorch callbacks (rebuilt from their
    parameters) and any other class (as a value, or rebuilt from its state).
    """
    if not isinstance(name, str):
        return None
    name = _MOVED.get(name, name)
    _ensure_defaults(name)
    entry = _REGISTRY.get(name)
    if entry is not None:
        obj, registered = entry
        ok = registered == how or (how == "estimator" and registered == "state")
        return obj if ok else None
    cls = _package_class(name)
    if cls is None:
        return None
    from sklearn.base import BaseEstimator

    if how == "estimator":
        return cls if issubclass(cls, BaseEstimator) else None
    if how == "params":
        return cls if is_callback_class(cls) else None
    if how == "state":
        return None if is_callback_class(cls) else cls
    return cls  # "ref": a class used as a value


def lookup(name, how):
    """:func:`allowed`, raising a ValueError when ``name`` is not allowed."""
    obj = allowed(name, how)
    if obj is None:
        raise ValueError(
            f"The file names {name!r} as a {how!r} object, which is not in the "
            "whitelist of types sklearn_rnn rebuilds; the file is corrupted, "
            "or was written for a type that needs register_safe_type."
        )
    return obj
