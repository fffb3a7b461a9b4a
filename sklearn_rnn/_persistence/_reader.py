# SPDX-License-Identifier: BSD-3-Clause
"""JSON and arrays -> Python values, each checked before it is built.

An estimator is read in two steps: its parameters and declared attributes
are decoded and checked against its ``_persisted_state`` (arrays against the
dtype and shape the header announces, before their bytes are read; a net's
weights against a module built on torch's "meta" device, which allocates
nothing), then the nets are built and the estimator assembled.
"""

import hashlib
import math

import numpy as np
import pandas as pd

from sklearn_rnn._persistence import _spec
from sklearn_rnn._persistence._archive import npy_header, read_member
from sklearn_rnn._persistence._registry import allowed, lookup
from sklearn_rnn._persistence._writer import JSON_SCALARS, is_estimator

#: Deepest nesting of values decoded (a model nests a few levels).
MAX_DEPTH = 64
_MAX_NDIM = 32
_ARRAY_KINDS = "biufcUSmM"
_SCALAR_KINDS = "biufU"


def _shape(shape, where):
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise ValueError(f"{where} has an invalid shape {str(shape)[:80]}.")
    return tuple(shape)


def _dtype(text, kinds, where):
    try:
        dtype = np.dtype(text) if isinstance(text, str) else None
    except (TypeError, ValueError, SyntaxError):
        dtype = None
    if dtype is None or dtype.kind not in kinds or dtype.fields is not None:
        raise ValueError(f"{where} has an invalid dtype {str(text)[:80]!r}.")
    return dtype


def _npscalar(node):
    """A numpy scalar, refused unless its value fits its dtype exactly."""
    dtype = _dtype(node.get("dtype"), _SCALAR_KINDS, "A numpy scalar")
    value = node.get("v")
    kind_ok = {
        "b": lambda v: type(v) is bool,
        "i": lambda v: type(v) is int,
        "u": lambda v: type(v) is int and v >= 0,
        "f": lambda v: type(v) in (int, float),
        "U": lambda v: type(v) is str,
    }[dtype.kind](value)
    if kind_ok and dtype.kind in "iu":
        info = np.iinfo(dtype)
        kind_ok = info.min <= value <= info.max
    if not kind_ok:
        raise ValueError(
            f"A numpy scalar of dtype {dtype} holds {str(value)[:40]!r}, which "
            "is not a value of that dtype."
        )
    return dtype.type(value)


class NetPlan:
    """A skorch net checked and read, not built yet."""

    def __init__(self, cls, params, module_state, optimizer_state, history):
        self.cls, self.params = cls, params
        self.module_state, self.optimizer_state = module_state, optimizer_state
        self.history = history

    def build(self, device):
        from skorch.history import History

        from sklearn_rnn._persistence._nets import resolve_load_device
        from sklearn_rnn.utils._torch import seeded_torch

        params = dict(self.params)
        params["device"] = resolve_load_device(params.get("device", "cpu"), device)
        net = self.cls(**params)
        # Initialising draws random weights from torch's global generator,
        # which must not move; the weights are overwritten just below. A
        # seeded block like a fit's gives the generator's state back.
        with seeded_torch(0):
            net.initialize()
        try:
            net.module_.load_state_dict(self.module_state)
            net.optimizer_.load_state_dict(self.optimizer_state)
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise ValueError(
                f"The stored weights do not fit the network they describe: {exc}"
            ) from None
        net.history = History(self.history)
        return net


class Reader:
    """Decodes the values of one file; ``digests`` are its arrays' SHA-256."""

    def __init__(self, archive, digests, device):
        self.archive = archive
        self.digests = digests
        self.device = device

    # -- arrays ---------------------------------------------------------
    def array(self, node, entry=None, name=None, context=None):
        """Read the array ``node`` describes, after checking its dtype and
        shape against ``entry`` and the member's size against them."""
        key = node.get("key")
        if not isinstance(key, str) or key not in self.digests:
            raise ValueError(f"The header refers to an unknown array {key!r}.")
        dtype = _dtype(node.get("dtype"), _ARRAY_KINDS, f"The array {key!r}")
        shape = _shape(node.get("shape"), f"The array {key!r}")
        if entry is not None:
            entry.check_meta(dtype, shape, name, context)
        size = math.prod(shape) * dtype.itemsize
        raw = read_member(self.archive, key, size)
        if hashlib.sha256(raw).hexdigest() != self.digests[key]:
            raise ValueError(
                f"The array {key!r} does not match its digest: the file is corrupted."
            )
        stored_dtype, stored_shape, fortran, offset = npy_header(raw, key)
        nbytes = len(raw) - offset
        if stored_dtype != dtype or stored_shape != shape or nbytes != size:
            raise ValueError(
                f"The array {key!r} holds {stored_dtype} {stored_shape} in "
                f"{nbytes} bytes, but the header says {dtype} {shape}."
            )
        # The data as they lie after the .npy header, copied (writable): what
        # numpy.load would return, without parsing the header a second time.
        if size == 0:
            return np.empty(shape, dtype=dtype)
        flat = np.frombuffer(raw, dtype=dtype, offset=offset)
        return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")

    # -- generic values -------------------------------------------------
    def decode(self, value, depth=0):
        if isinstance(value, JSON_SCALARS):
            return value
        if depth > MAX_DEPTH:
            raise ValueError(
                f"The file's values are nested more than {MAX_DEPTH} levels deep."
            )
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or "~" not in value:
            raise ValueError(f"Unexpected value in the header: {str(value)[:80]}.")
        method = self._TAGS.get(value["~"]) if isinstance(value["~"], str) else None
        if method is None:
            raise ValueError(f"Unknown tag {str(value['~'])[:40]!r} in the header.")
        return method(self, value, depth + 1)

    def _items(self, node, depth):
        items = node["v"]
        if not isinstance(items, list):
            raise ValueError(f"A {node['~']!r} value of the header is not a list.")
        return [self.decode(v, depth) for v in items]

    def _objarray(self, node, depth):
        items = self._items(node, depth)
        shape = _shape(node.get("shape"), "An object array")
        if math.prod(shape) != len(items):
            raise ValueError(
                f"An object array of shape {shape} holds {len(items)} values."
            )
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)

    def _tensor(self, node, depth):
        import torch

        return torch.from_numpy(self.array(node))

    def _device(self, node, depth):
        import torch

        try:
            return torch.device(node["v"])
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"Invalid torch device in the file: {exc}") from None

    def _torch_dtype(self, node, depth):
        import torch

        dtype = getattr(torch, node["v"], None) if isinstance(node["v"], str) else None
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"Unknown torch dtype {str(node['v'])[:40]!r}.")
        return dtype

    def _dict(self, node, depth):
        pairs = self._items(node, depth)
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ValueError("A mapping of the header is not a list of pairs.")
        return {k: v for k, v in pairs}

    def _random_state(self, node, depth):
        key = self.array({"key": node["key"], "dtype": "<u4", "shape": [624]})
        pos, has_gauss, gauss = node["pos"], node["has_gauss"], node["gauss"]
        # numpy does not check pos: out of range, the generator would read
        # outside its key.
        if (
            type(pos) is not int
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

    def _index(self, node, depth):
        name = self.decode(node["name"], depth)
        kind = node["kind"]
        if kind == "range":
            return pd.RangeIndex(*node["v"], name=name)
        if kind == "datetime":
            values = self.decode(node["v"], depth).astype(f"datetime64[{node['unit']}]")
            index = pd.DatetimeIndex(values, name=name)
            if node["tz"] is not None:
                index = index.tz_localize("UTC").tz_convert(node["tz"])
            if node["freq"] is not None:
                index.freq = node["freq"]
            return index
        if kind == "period":
            ordinals = self.decode(node["v"], depth)
            return pd.PeriodIndex.from_ordinals(ordinals, freq=node["freq"], name=name)
        if kind == "plain":
            return pd.Index(self.decode(node["v"], depth), name=name)
        raise ValueError(f"Unknown index kind {str(kind)[:40]!r}.")

    def _state(self, node, depth):
        cls = lookup(node["cls"], "state")
        state = node["v"]
        if not isinstance(state, dict):
            raise ValueError(f"The state of {node['cls']!r} is not a mapping.")
        obj = cls.__new__(cls)
        obj.__dict__.update({k: self.decode(v, depth) for k, v in state.items()})
        return obj

    def _params(self, node, depth):
        cls = lookup(node["cls"], "params")
        params = self.decode(node["v"], depth)
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise ValueError(f"The parameters of {node['cls']!r} are not a mapping.")
        return cls(**params)

    def _net(self, node, depth):
        return self.net_plan(node, depth).build(self.device)

    # -- nets -----------------------------------------------------------
    def net_plan(self, node, depth):
        """Check a net's stored weights against its parameters and read them."""
        from sklearn_rnn._persistence._nets import check_net_node

        if not isinstance(node, dict) or node.get("~") != "net":
            raise ValueError("The file's net is not a net.")
        cls = lookup(node["cls"], "ref")
        params = self.decode(node["params"], depth)
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise ValueError("The parameters of the file's net are not a mapping.")
        check_net_node(params, node)
        return NetPlan(
            cls,
            params,
            self.decode(node["module"], depth),
            self.decode(node["optimizer"], depth),
            self.decode(node["history"], depth),
        )

    # -- estimators -----------------------------------------------------
    def _estimator(self, node, depth):
        cls = allowed(node["cls"], "estimator")
        if cls is None:
            raise ValueError(
                f"The file names the estimator {str(node['cls'])[:80]!r}, which "
                "is not an estimator of this version of sklearn_rnn."
            )
        state = node["v"]
        if not isinstance(state, dict):
            raise ValueError(f"The state of {node['cls']!r} is not a mapping.")
        values = self._declared_state(cls, state, depth)
        for key, value in values.items():
            if isinstance(value, NetPlan):
                values[key] = value.build(self.device)
        obj = cls.__new__(cls)
        obj.__dict__.update(values)
        if hasattr(obj, "_parameter_constraints"):
            obj._validate_params()  # parameters edited into invalid values
        if hasattr(obj, "_validate_fitted_state"):
            obj._validate_fitted_state()  # fitted attributes that disagree
        return obj

    def _declared_state(self, cls, state, depth):
        """Decode ``state`` (parameters and fitted attributes of ``cls``),
        checking each attribute against the class's declaration."""
        params = set(cls._get_param_names())
        declared = _spec.declaration(cls)
        unknown = [k for k in state if k not in params and k not in declared]
        if unknown:
            raise ValueError(
                f"The file holds {cls.__name__}.{str(unknown[0])[:80]}, which "
                f"{cls.__name__} does not declare in its saved state; the file "
                "is corrupted, or was written by another version."
            )
        values = {k: self.decode(state[k], depth) for k in state if k in params}
        context = dict(values)
        # Arrays last: their shapes may follow from the other attributes.
        names = [k for k in state if k in declared and k not in params]
        names.sort(key=lambda k: _spec.is_array_entry(declared[k]))
        for name in names:
            try:
                value = self.declared(state[name], declared[name], name, context, depth)
            except ValueError as exc:
                raise ValueError(
                    f"The fitted state of this {cls.__name__} is invalid "
                    f"({name}): {exc}"
                ) from None
            values[name] = value
            context[name] = value.params if isinstance(value, NetPlan) else value
        return {k: values[k] for k in state}  # the saved order

    def declared(self, node, entry, name, context, depth):
        """Decode the attribute ``name`` and check it against ``entry``."""
        if node is None and entry.none:
            return None
        if isinstance(entry, _spec.Array):
            return self._declared_array(node, entry, name, context)
        if isinstance(entry, _spec.ListOf):
            if not isinstance(node, list):
                raise ValueError(f"The saved {name} is not a list.")
            entry.check_length(len(node), name, context)
            return [
                self.declared(item, entry.item, f"{name}[{i}]", context, depth + 1)
                for i, item in enumerate(node)
            ]
        if isinstance(entry, _spec.Net):
            return self.net_plan(node, depth)
        value = self.decode(node, depth)
        if isinstance(entry, _spec.Estimator) and not is_estimator(value):
            raise ValueError(f"The saved {name} is not an estimator.")
        entry.check(value, name, context)
        return value

    def _declared_array(self, node, entry, name, context):
        tag = "tensor" if entry.tensor else "ndarray"
        if isinstance(node, dict) and node.get("~") == "objarray" and not entry.tensor:
            shape = _shape(node.get("shape"), f"The saved {name}")
            entry.check_meta(np.dtype(object), shape, name, context)
            value = self._objarray(node, 1)
        elif isinstance(node, dict) and node.get("~") == tag:
            value = self.array(node, entry, name, context)
            if entry.tensor:
                import torch

                value = torch.from_numpy(value)
        else:
            raise ValueError(f"The saved {name} is not an array.")
        entry.check(value, name, context)
        return value

    _TAGS = {
        "npscalar": lambda self, node, depth: _npscalar(node),
        "ndarray": lambda self, node, depth: self.array(node),
        "objarray": _objarray,
        "tensor": _tensor,
        "device": _device,
        "torch_dtype": _torch_dtype,
        "tuple": lambda self, node, depth: tuple(self._items(node, depth)),
        "dict": _dict,
        "index": _index,
        "random_state": _random_state,
        "ref": lambda self, node, depth: lookup(node["v"], "ref"),
        "estimator": _estimator,
        "state": _state,
        "params": _params,
        "net": _net,
    }
