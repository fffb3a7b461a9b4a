# SPDX-License-Identifier: BSD-3-Clause
"""Python values -> JSON and arrays (format version 2).

Every array and tensor is a ``.npy`` member, described in the JSON by its
key, dtype and shape, which load checks before reading it. torch and skorch
are only consulted when already imported: a value cannot be a tensor or a
net otherwise.
"""

import sys
import warnings

import numpy as np
import pandas as pd

from sklearn_rnn._persistence._registry import allowed, lookup, qualname
from sklearn_rnn._persistence._spec import declaration

JSON_SCALARS = (type(None), bool, int, float, str)


def is_estimator(obj):
    from sklearn.base import BaseEstimator

    return isinstance(obj, BaseEstimator)


def _module_type(module, name):
    """``module.name`` if ``module`` is imported, else None."""
    return getattr(sys.modules.get(module), name, None)


def _isinstance(value, module, name):
    cls = _module_type(module, name)
    return cls is not None and isinstance(value, cls)


def array_node(tag, key, a):
    return {"~": tag, "key": key, "dtype": a.dtype.str, "shape": list(a.shape)}


class Writer:
    """Encodes one estimator; ``arrays`` collects its array members."""

    def __init__(self):
        self.arrays = {}

    def array(self, a, tag="ndarray"):
        key = f"arrays/{len(self.arrays)}.npy"
        self.arrays[key] = np.ascontiguousarray(a)
        return array_node(tag, key, self.arrays[key])

    def encode(self, value, where):
        """Return the JSON form of ``value``; ``where`` names it in errors."""
        if isinstance(value, np.generic):  # before bool/int/float: np.float64
            return self._npscalar(value, where)
        if isinstance(value, JSON_SCALARS):
            return value
        for check, method in self._DISPATCH:
            if check(value):
                return method(self, value, where)
        return self._other(value, where)

    def _npscalar(self, value, where):
        if value.dtype.kind not in "biufU":
            raise TypeError(f"{where}: numpy scalar of dtype {value.dtype}.")
        return {"~": "npscalar", "dtype": value.dtype.str, "v": value.item()}

    def _tensor(self, value, where):
        import torch

        if value.dtype == torch.bfloat16:
            raise TypeError(f"{where}: bfloat16 tensors are not supported.")
        return self.array(value.detach().cpu().numpy(), "tensor")

    def _device(self, value, where):
        return {"~": "device", "v": str(value)}

    def _torch_dtype(self, value, where):
        return {"~": "torch_dtype", "v": str(value).removeprefix("torch.")}

    def _estimator(self, value, where):
        return self.estimator(value, where)

    def _tuple(self, value, where):
        items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return {"~": "tuple", "v": items}

    def _list(self, value, where):
        # skorch's History is a list subclass: a list is enough.
        return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]

    def _dict(self, value, where):
        pairs = [
            [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
            for k, v in value.items()
        ]
        return {"~": "dict", "v": pairs}

    def _other(self, value, where):
        """Whitelisted classes and functions, and objects of such classes."""
        if isinstance(value, type) or callable(value):
            name = qualname(value)
            if allowed(name, "ref") is value:
                return {"~": "ref", "v": name}
        name = qualname(type(value))
        if allowed(name, "params") is type(value):
            params = value.get_params(deep=False)
            return {"~": "params", "cls": name, "v": self.encode(params, where)}
        if allowed(name, "state") is type(value):
            state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
            return {"~": "state", "cls": name, "v": state}
        raise TypeError(
            f"{where} is of type {type(value).__name__}, which cannot be saved "
            "safely (only numbers, strings, arrays, tensors and whitelisted "
            "types can; see sklearn_rnn.persistence.register_safe_type)."
        )

    def _ndarray(self, a, where):
        if a.dtype.kind in "biufcUSmM":
            return self.array(a)
        if a.dtype == object:
            flat = a.ravel().tolist()
            bad = [v for v in flat if not isinstance(v, JSON_SCALARS)]
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
        key = self.array(np.asarray(state["state"]["key"], dtype=np.uint32))
        return {
            "~": "random_state",
            "key": key["key"],
            "pos": int(state["state"]["pos"]),
            "has_gauss": int(state["has_gauss"]),
            "gauss": float(state["gauss"]),
        }

    def _net(self, net, where):
        if not getattr(net, "initialized_", False):
            raise TypeError(f"{where} is a skorch net that was never initialized.")
        lookup(qualname(type(net)), "ref")  # only whitelisted net classes
        params = {
            k: v for k, v in net.get_params(deep=False).items() if not k.startswith("_")
        }
        return {
            "~": "net",
            "cls": qualname(type(net)),
            "params": self.encode(params, f"{where}.params"),
            "module": self.encode(dict(net.module_.state_dict()), f"{where}.module_"),
            "optimizer": self.encode(
                net.optimizer_.state_dict(), f"{where}.optimizer_"
            ),
            "history": self.encode(list(net.history), f"{where}.history"),
        }

    def estimator(self, obj, where):
        """An estimator: its parameters and its declared fitted state."""
        name = qualname(type(obj))
        if allowed(name, "estimator") is not type(obj):
            raise TypeError(
                f"{where} is a {type(obj).__name__}, which is not an estimator of "
                "sklearn_rnn: only sklearn_rnn estimators can be saved."
            )
        params = set(obj._get_param_names())
        declared = declaration(type(obj))
        undeclared = [k for k in vars(obj) if k not in params and k not in declared]
        if undeclared:
            raise TypeError(
                f"{where}.{undeclared[0]} is not declared in "
                f"{type(obj).__name__}._persisted_state, which lists the fitted "
                "attributes a file holds: declare it there to save it."
            )
        state = {k: self.encode(v, f"{where}.{k}") for k, v in vars(obj).items()}
        return {"~": "estimator", "cls": name, "v": state}

    # (test, method) pairs tried in order by encode.
    _DISPATCH = (
        (lambda v: isinstance(v, np.ndarray), _ndarray),
        (lambda v: _isinstance(v, "torch", "Tensor"), _tensor),
        (lambda v: _isinstance(v, "torch", "device"), _device),
        (lambda v: _isinstance(v, "torch", "dtype"), _torch_dtype),
        (lambda v: isinstance(v, pd.Index), _index),
        (lambda v: isinstance(v, np.random.RandomState), _random_state),
        (lambda v: _isinstance(v, "skorch", "NeuralNet"), _net),
        (
            lambda v: (
                is_estimator(v) and not _isinstance(v, "skorch.callbacks", "Callback")
            ),
            _estimator,
        ),
        (lambda v: isinstance(v, tuple), _tuple),
        (lambda v: isinstance(v, list), _list),
        (lambda v: isinstance(v, dict), _dict),
    )


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
