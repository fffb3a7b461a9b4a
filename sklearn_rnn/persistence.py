# SPDX-License-Identifier: BSD-3-Clause
"""Save and load fitted estimators without pickle.

:func:`save` writes one zip file: ``header.json`` holds the estimator's class
name, its parameters and every fitted attribute that is a plain value, as
JSON; every array, tensor and network weight is a separate ``.npy`` member,
read back with ``numpy.load(..., allow_pickle=False)``. :func:`load` never
imports a name found in the file and never unpickles anything: a class named
in the file must be either a class of sklearn_rnn itself, found in the
package's already imported modules, or one of the few torch and skorch
classes the estimators use (losses, optimizers, callbacks, ``NeuralNet``),
which :func:`register_safe_type` lists. A file can describe a model but
cannot run code. (It can still describe a huge network: load only files
whose size you are ready to allocate.)

An estimator that defines ``_validate_fitted_state()`` has it called once
loaded: it raises a ``ValueError`` when its fitted attributes contradict each
other (a header edited by hand), so that such a file is refused at load.

New estimators plug in without code here: an estimator of sklearn_rnn whose
attributes are numbers, strings, arrays, tensors, lists, dicts (a
vocabulary), nested estimators, skorch nets and objects of sklearn_rnn's own
classes (its torch module, helper objects) is saved and loaded as it is. A
torch or skorch class from outside the package that it stores (another loss
or optimizer, a callback) needs one ``register_safe_type`` call.

How each kind of value is stored:

- an estimator (the model, or one nested in it, such as the regressor of an
  ``RNNForecaster``): its class name and its ``__dict__`` (parameters and
  fitted attributes), recursively, as pickle would store it;
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
  the loaded generator draws the same numbers the saved one would have.

A value of any other type (e.g. a callable ``tokenizer``) cannot be stored
safely: :func:`save` raises a ``TypeError`` naming the attribute.

The file records the format version and the versions of sklearn_rnn,
scikit-learn and torch that wrote it. :func:`load` refuses a format version
it does not know and a file written by a newer release of sklearn_rnn, with a
message saying which. Each array member's SHA-256 digest is in the header and
the zip format checks every member's CRC, so a truncated or corrupted file
raises a ``ValueError`` instead of loading wrong weights. The digests detect
damage, not forgery: someone who rewrites the file can rewrite the digests,
but what they write is still only data.

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
"""

import hashlib
import io
import json
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import torch

from sklearn_rnn.utils._torch import local_torch_seed

__all__ = ["FORMAT_VERSION", "load", "register_safe_type", "save"]

#: Version of the file layout; :func:`load` reads exactly these versions.
FORMAT_VERSION = 1
_READABLE_FORMATS = {1}
_MAGIC = "sklearn_rnn.persistence"
_HEADER = "header.json"

# Whitelisted classes and functions, by "module.qualname". "ref": the object
# itself is a value (a module class given to skorch, an optimizer class);
# "state": rebuilt as ``cls.__new__(cls)`` plus its ``__dict__``; "params":
# rebuilt as ``cls(**params)`` (skorch callbacks).
_REGISTRY = {}
_DEFAULTS = []  # becomes [True] once the defaults are registered


def _qualname(obj):
    module = getattr(obj, "__module__", None)
    return f"{module}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def register_safe_type(obj, how="ref"):
    """Allow :func:`load` to rebuild ``obj``, a class or a function.

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
    _REGISTRY[_qualname(obj)] = (obj, how)
    return obj


def _register_defaults():
    """Whitelist the torch and skorch objects the estimators store.

    Classes of sklearn_rnn itself need no registration (see ``_allowed``).
    """
    import skorch
    import skorch.dataset
    from skorch.callbacks import EarlyStopping, GradientNormClipping
    from torch import nn

    from sklearn_rnn import _base
    from sklearn_rnn.utils.discovery import all_estimators

    all_estimators()  # imports the estimators' modules (a lazy package)
    for obj in (
        skorch.NeuralNet,
        skorch.dataset.Dataset,
        nn.MSELoss,
        nn.CrossEntropyLoss,
        nn.NLLLoss,
        *_base._OPTIMIZERS.values(),
        print,  # EarlyStopping's sink
    ):
        register_safe_type(obj, "ref")
    for obj in (GradientNormClipping, EarlyStopping):
        register_safe_type(obj, "params")


def _ensure_defaults():
    if not _DEFAULTS:
        _register_defaults()
        _DEFAULTS.append(True)


def _package_class(name):
    """The class ``name`` if sklearn_rnn defines it in an imported module.

    Nothing is imported: only modules of the package that are already loaded
    are searched, and only for a class defined there.
    """
    module_name, _, attr = name.rpartition(".")
    if module_name != "sklearn_rnn" and not module_name.startswith("sklearn_rnn."):
        return None
    obj = getattr(sys.modules.get(module_name), attr, None)
    if isinstance(obj, type) and obj.__module__ == module_name:
        return obj
    return None


def _allowed(name, how):
    """Return the class or function ``name`` may stand for as ``how``, or None.

    ``how`` is "estimator", "ref", "state" or "params". Allowed are what
    :func:`register_safe_type` registered (torch and skorch classes the
    estimators use) and the classes of sklearn_rnn itself: estimators
    (``BaseEstimator`` subclasses), skorch callbacks (rebuilt from their
    parameters) and any other class (as a value, or rebuilt from its state).
    """
    _ensure_defaults()
    entry = _REGISTRY.get(name)
    if entry is not None:
        obj, registered = entry
        ok = registered == how or (how == "estimator" and registered == "state")
        return obj if ok else None
    cls = _package_class(name)
    if cls is None:
        return None
    from sklearn.base import BaseEstimator
    from skorch.callbacks import Callback

    if how == "estimator":
        return cls if issubclass(cls, BaseEstimator) else None
    if how == "params":
        return cls if issubclass(cls, Callback) else None
    if how == "state":
        return None if issubclass(cls, Callback) else cls
    return cls  # "ref": a class used as a value


def _lookup(name, how):
    obj = _allowed(name, how) if isinstance(name, str) else None
    if obj is None:
        raise ValueError(
            f"The file names {name!r} as a {how!r} object, which is not in the "
            "whitelist of types sklearn_rnn rebuilds; the file is corrupted, "
            "or was written for a type that needs register_safe_type."
        )
    return obj


def _is_estimator(obj):
    from sklearn.base import BaseEstimator

    return isinstance(obj, BaseEstimator)


# ----------------------------------------------------------------------
# Encoding: Python values -> JSON + arrays
# ----------------------------------------------------------------------
_JSON_SCALARS = (type(None), bool, int, float, str)


class _Writer:
    def __init__(self):
        self.arrays = {}

    def array(self, a):
        key = f"arrays/{len(self.arrays)}.npy"
        self.arrays[key] = np.ascontiguousarray(a)
        return key

    def encode(self, value, where):
        """Return the JSON form of ``value``; ``where`` names it in errors."""
        if isinstance(value, np.generic):  # before bool/int/float: np.float64
            if value.dtype.kind not in "biufU":
                raise TypeError(f"{where}: numpy scalar of dtype {value.dtype}.")
            return {"~": "npscalar", "dtype": value.dtype.str, "v": value.item()}
        if isinstance(value, _JSON_SCALARS):
            return value
        if isinstance(value, np.ndarray):
            return self._ndarray(value, where)
        if isinstance(value, torch.Tensor):
            if value.dtype == torch.bfloat16:
                raise TypeError(f"{where}: bfloat16 tensors are not supported.")
            data = value.detach().cpu().numpy()
            return {"~": "tensor", "key": self.array(data)}
        if isinstance(value, torch.device):
            return {"~": "device", "v": str(value)}
        if isinstance(value, torch.dtype):
            return {"~": "torch_dtype", "v": str(value).removeprefix("torch.")}
        if isinstance(value, pd.Index):
            return self._index(value, where)
        if isinstance(value, np.random.RandomState):
            return self._random_state(value, where)
        if _is_net(value):
            return self._net(value, where)
        if _is_estimator(value) and not _is_callback(value):
            return self._object(value, "estimator", where)
        if isinstance(value, tuple):
            return {
                "~": "tuple",
                "v": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)],
            }
        if isinstance(value, list):
            # skorch's History is a list subclass: a list is enough.
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {
                "~": "dict",
                "v": [
                    [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ],
            }
        if isinstance(value, type) or callable(value):
            name = _qualname(value)
            if _allowed(name, "ref") is value:
                return {"~": "ref", "v": name}
        name = _qualname(type(value))
        if _allowed(name, "params") is type(value):
            params = value.get_params(deep=False)
            return {"~": "params", "cls": name, "v": self.encode(params, where)}
        if _allowed(name, "state") is type(value):
            return self._object(value, "state", where)
        raise TypeError(
            f"{where} is of type {type(value).__name__}, which cannot be saved "
            "safely (only numbers, strings, arrays, tensors and whitelisted "
            "types can; see sklearn_rnn.persistence.register_safe_type)."
        )

    def _ndarray(self, a, where):
        if a.dtype.kind in "biufcUSmM":
            return {"~": "ndarray", "key": self.array(a)}
        if a.dtype == object:
            flat = a.ravel().tolist()
            bad = [v for v in flat if not isinstance(v, _JSON_SCALARS)]
            if bad:
                raise TypeError(
                    f"{where} is an object array holding a "
                    f"{type(bad[0]).__name__}; only strings, numbers, booleans "
                    "and None can be saved safely."
                )
            return {
                "~": "objarray",
                "shape": list(a.shape),
                "v": [self.encode(v, where) for v in flat],
            }
        raise TypeError(f"{where} is an array of dtype {a.dtype}.")

    def _index(self, index, where):
        out = {"~": "index", "name": self.encode(index.name, where)}
        if isinstance(index, pd.RangeIndex):
            out.update(kind="range", v=[index.start, index.stop, index.step])
        elif isinstance(index, pd.DatetimeIndex):
            # asi8: integer times since the epoch (UTC when tz-aware).
            out.update(
                kind="datetime",
                v=self._ndarray(index.asi8, where),
                unit=index.unit,
                tz=None if index.tz is None else str(index.tz),
                freq=_freq_string(index.freq, where),
            )
        elif isinstance(index, pd.PeriodIndex):
            # asi8: integer ordinals of the periods, counted in their frequency.
            out.update(
                kind="period", v=self._ndarray(index.asi8, where), freq=index.freqstr
            )
        elif isinstance(index, pd.MultiIndex):
            raise TypeError(f"{where}: a {type(index).__name__} cannot be saved.")
        elif pd.api.types.is_string_dtype(index.dtype):
            # pandas' str dtype (text read from a file) is saved as objects.
            values = np.asarray(index, dtype=object)
            out.update(kind="plain", v=self._ndarray(values, where))
        elif not isinstance(index.dtype, np.dtype):
            raise TypeError(f"{where}: a {type(index).__name__} cannot be saved.")
        else:
            out.update(kind="plain", v=self._ndarray(np.asarray(index), where))
        return out

    def _random_state(self, rs, where):
        state = rs.get_state(legacy=False)
        if state.get("bit_generator") != "MT19937":
            raise TypeError(
                f"{where} is a RandomState driven by {state.get('bit_generator')}; "
                "only the default MT19937 RandomState can be saved."
            )
        return {
            "~": "random_state",
            "key": self.array(np.asarray(state["state"]["key"], dtype=np.uint32)),
            "pos": int(state["state"]["pos"]),
            "has_gauss": int(state["has_gauss"]),
            "gauss": float(state["gauss"]),
        }

    def _object(self, obj, how, where):
        name = _qualname(type(obj))
        if how == "estimator" and _allowed(name, how) is not type(obj):
            raise TypeError(
                f"{where} is a {type(obj).__name__}, which is not an estimator of "
                "sklearn_rnn: only sklearn_rnn estimators can be saved."
            )
        state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(obj).items()}
        return {"~": how, "cls": name, "v": state}

    def _net(self, net, where):
        if not getattr(net, "initialized_", False):
            raise TypeError(f"{where} is a skorch net that was never initialized.")
        _lookup(_qualname(type(net)), "ref")  # only whitelisted net classes
        params = {
            k: v for k, v in net.get_params(deep=False).items() if not k.startswith("_")
        }
        return {
            "~": "net",
            "cls": _qualname(type(net)),
            "params": self.encode(params, f"{where}.params"),
            "module": self.encode(dict(net.module_.state_dict()), f"{where}.module_"),
            "optimizer": self.encode(
                net.optimizer_.state_dict(), f"{where}.optimizer_"
            ),
            "history": self.encode(list(net.history), f"{where}.history"),
        }


def _freq_string(freq, where):
    """A frequency as the string that gives it back, or None.

    Offsets such as ``CustomBusinessDay(holidays=...)`` or ``Easter()`` have
    no string that rebuilds them: the index is saved without its frequency,
    with a warning, as the loaded copy knows the dates but not their rule.
    """
    if freq is None:
        return None
    try:
        same = pd.tseries.frequencies.to_offset(freq.freqstr) == freq
    except ValueError:
        same = False
    if not same:
        warnings.warn(
            f"{where}: the frequency {freq!r} has no string form that rebuilds "
            "it and is not saved; the loaded copy infers the frequency from the "
            "dates where it can (an RNNForecaster indexes its forecasts by "
            "position where it cannot).",
            UserWarning,
            stacklevel=2,
        )
        return None
    return freq.freqstr


def _is_net(value):
    from skorch import NeuralNet

    return isinstance(value, NeuralNet)


def _is_callback(value):
    from skorch.callbacks import Callback

    return isinstance(value, Callback)


# ----------------------------------------------------------------------
# Decoding: JSON + arrays -> Python values
# ----------------------------------------------------------------------
class _Reader:
    def __init__(self, archive, digests, device):
        self.archive = archive
        self.digests = digests
        self.device = device

    def array(self, key):
        if key not in self.digests:
            raise ValueError(f"The header refers to an unknown array {key!r}.")
        try:
            raw = self.archive.read(key)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ValueError(f"Cannot read {key!r} from the file: {exc}.") from None
        if hashlib.sha256(raw).hexdigest() != self.digests[key]:
            raise ValueError(
                f"The array {key!r} does not match its digest: the file is corrupted."
            )
        try:
            return np.load(io.BytesIO(raw), allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"The array {key!r} is not a plain array: {exc}") from None

    def decode(self, value):
        if isinstance(value, _JSON_SCALARS):
            return value
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict) or "~" not in value:
            raise ValueError(f"Unexpected value in the header: {str(value)[:80]}.")
        tag = value["~"]
        if tag == "npscalar":
            return np.dtype(value["dtype"]).type(value["v"])
        if tag == "ndarray":
            return self.array(value["key"])
        if tag == "objarray":
            out = np.empty(len(value["v"]), dtype=object)
            out[:] = [self.decode(v) for v in value["v"]]
            return out.reshape(value["shape"])
        if tag == "tensor":
            return torch.from_numpy(np.array(self.array(value["key"])))
        if tag == "device":
            return torch.device(value["v"])
        if tag == "torch_dtype":
            dtype = getattr(torch, value["v"], None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"Unknown torch dtype {value['v']!r}.")
            return dtype
        if tag == "tuple":
            return tuple(self.decode(v) for v in value["v"])
        if tag == "dict":
            return {self.decode(k): self.decode(v) for k, v in value["v"]}
        if tag == "index":
            return self._index(value)
        if tag == "random_state":
            return self._random_state(value)
        if tag == "ref":
            return _lookup(value["v"], "ref")
        if tag == "estimator":
            cls = _allowed(value["cls"], "estimator")
            if cls is None:
                raise ValueError(
                    f"The file names the estimator {value['cls']!r}, which is not "
                    "an estimator of this version of sklearn_rnn."
                )
            return self._object(cls, value)
        if tag == "state":
            return self._object(_lookup(value["cls"], "state"), value)
        if tag == "params":
            cls = _lookup(value["cls"], "params")
            return cls(**self.decode(value["v"]))
        if tag == "net":
            return self._net(value)
        raise ValueError(f"Unknown tag {tag!r} in the header.")

    def _object(self, cls, value):
        state = value["v"]
        if not isinstance(state, dict):
            raise ValueError(f"The state of {value['cls']!r} is not a mapping.")
        obj = cls.__new__(cls)
        obj.__dict__.update({k: self.decode(v) for k, v in state.items()})
        if _is_estimator(obj) and hasattr(obj, "_validate_params"):
            obj._validate_params()  # parameters edited into invalid values
        if _is_estimator(obj) and hasattr(obj, "_validate_fitted_state"):
            obj._validate_fitted_state()  # fitted attributes that disagree
        return obj

    def _random_state(self, value):
        key = self.array(value["key"])
        pos, has_gauss, gauss = value["pos"], value["has_gauss"], value["gauss"]
        # numpy does not check pos: out of range, the generator would read
        # outside its key.
        if (
            key.dtype != np.uint32
            or key.shape != (624,)
            or type(pos) is not int
            or not 0 <= pos <= 624
            or has_gauss not in (0, 1)
            or not isinstance(gauss, (int, float))
        ):
            raise ValueError(
                "The stored RandomState state is invalid: it needs a key of 624 "
                "uint32, a position in [0, 624], has_gauss 0 or 1 and a number."
            )
        rs = np.random.RandomState()
        rs.set_state(("MT19937", key, pos, int(has_gauss), float(gauss)))
        return rs

    def _index(self, value):
        name = self.decode(value["name"])
        kind = value["kind"]
        if kind == "range":
            return pd.RangeIndex(*value["v"], name=name)
        if kind == "datetime":
            values = self.decode(value["v"]).astype(f"datetime64[{value['unit']}]")
            index = pd.DatetimeIndex(values, name=name)
            if value["tz"] is not None:
                index = index.tz_localize("UTC").tz_convert(value["tz"])
            if value["freq"] is not None:
                index.freq = value["freq"]
            return index
        if kind == "period":
            ordinals = self.decode(value["v"])
            return pd.PeriodIndex.from_ordinals(ordinals, freq=value["freq"], name=name)
        if kind == "plain":
            return pd.Index(self.decode(value["v"]), name=name)
        raise ValueError(f"Unknown index kind {kind!r}.")

    def _net(self, value):
        from skorch.history import History

        cls = _lookup(value["cls"], "ref")
        params = self.decode(value["params"])
        saved = str(params.get("device", "cpu"))
        device = self.device
        if device is None:
            device = saved
            if saved.startswith("cuda") and not torch.cuda.is_available():
                warnings.warn(
                    f"The model was saved with device={saved!r} but CUDA is not "
                    "available; its weights are loaded on the CPU.",
                    UserWarning,
                    stacklevel=4,
                )
                device = "cpu"
        params["device"] = device
        net = cls(**params)
        # Initialising draws random weights from torch's global generator,
        # which must not move; the weights are overwritten just below. A
        # seeded block like a fit's, holding the generator's lock throughout,
        # so that a fit training in another thread does not see its random
        # stream rewound.
        with local_torch_seed(0, exclusive=True):
            net.initialize()
        try:
            net.module_.load_state_dict(self.decode(value["module"]))
            net.optimizer_.load_state_dict(self.decode(value["optimizer"]))
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise ValueError(
                f"The stored weights do not fit the network they describe: {exc}"
            ) from None
        net.history = History(self.decode(value["history"]))
        return net


# ----------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------
def save(estimator, path):
    """Save a sklearn_rnn estimator to ``path`` in the safe format.

    Parameters
    ----------
    estimator : estimator of sklearn_rnn
        Fitted or not. Nested estimators (the regressor of an
        ``RNNForecaster``) are saved with it.
    path : str, path-like or binary file object
        Where to write the zip file; ``.skrnn`` is a good suffix.

    Raises
    ------
    TypeError
        If the estimator is not one of sklearn_rnn, or holds a value that
        cannot be stored without pickle (e.g. a callable parameter).

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
    import sklearn

    from sklearn_rnn._version import __version__

    if not _is_estimator(estimator):
        raise TypeError(
            f"save expects a sklearn_rnn estimator; got {type(estimator).__name__}."
        )
    writer = _Writer()
    body = writer._object(estimator, "estimator", type(estimator).__name__)
    header = {
        "format": _MAGIC,
        "format_version": FORMAT_VERSION,
        "sklearn_rnn_version": __version__,
        "sklearn_version": sklearn.__version__,
        "torch_version": torch.__version__,
        "digests": {},
        "estimator": body,
    }
    members = {}
    for key, a in writer.arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, a, allow_pickle=False)
        members[key] = buffer.getvalue()
        header["digests"][key] = hashlib.sha256(members[key]).hexdigest()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            _HEADER, json.dumps(header), compress_type=zipfile.ZIP_DEFLATED
        )
        # Weights hardly compress: storing them as they are is 4x faster.
        for key, raw in members.items():
            archive.writestr(key, raw, compress_type=zipfile.ZIP_STORED)


def _release(version):
    """``(major, minor)`` of a version string, or None."""
    parts = str(version).split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _check_header(header):
    from sklearn_rnn._version import __version__

    if not isinstance(header, dict) or header.get("format") != _MAGIC:
        raise ValueError("This is not a file written by sklearn_rnn.persistence.save.")
    version = header.get("format_version")
    if version not in _READABLE_FORMATS:
        raise ValueError(
            f"The file uses format version {version!r} (written by sklearn_rnn "
            f"{header.get('sklearn_rnn_version')}); this sklearn_rnn "
            f"{__version__} reads format version(s) "
            f"{sorted(_READABLE_FORMATS)}. Load it with the version that wrote it."
        )
    written, here = _release(header.get("sklearn_rnn_version")), _release(__version__)
    if written is None or (here is not None and written > here):
        raise ValueError(
            f"The file was written by sklearn_rnn {header.get('sklearn_rnn_version')}"
            f", newer than the installed {__version__}; upgrade sklearn_rnn to "
            "load it."
        )
    if not isinstance(header.get("digests"), dict):
        raise ValueError("The file's header has no array digests.")


def load(path, *, device=None):
    """Load an estimator written by :func:`save`.

    Nothing in the file is imported or executed: classes are looked up in a
    whitelist and arrays are read with ``allow_pickle=False``.

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
        If the file is not a sklearn_rnn file, is truncated or corrupted,
        names a type outside the whitelist, or comes from an incompatible
        version.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"Cannot read the model file: it is truncated or not a sklearn_rnn "
            f"file ({exc})."
        ) from None
    with archive:
        try:
            header = json.loads(archive.read(_HEADER))
        except KeyError:
            raise ValueError(
                "This is not a file written by sklearn_rnn.persistence.save: it "
                f"has no {_HEADER}."
            ) from None
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as exc:
            raise ValueError(f"The file's header is corrupted ({exc}).") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"The file's header is not valid JSON ({exc}).") from None
        _check_header(header)
        reader = _Reader(archive, header["digests"], device)
        try:
            body = header["estimator"]
            if not isinstance(body, dict) or body.get("~") != "estimator":
                raise ValueError("The file does not hold an estimator.")
            return reader.decode(body)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(
                f"The file's header is malformed ({type(exc).__name__}: {exc})."
            ) from None


class PersistenceMixin:
    """``save(path)`` and ``load(path)`` methods for the estimators."""

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
