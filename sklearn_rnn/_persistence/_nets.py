# SPDX-License-Identifier: BSD-3-Clause
"""The checks of a stored skorch net, made before the net is built.

The weights a net must hold follow from its module class and ``module__``
parameters: the module is built on torch's "meta" device, which gives every
weight's shape and dtype without allocating it, and the header's description
of each stored tensor (and of the optimizer's per-weight state) is compared
with it before any tensor is read. torch is imported here only when a file
holds a net.
"""

import re
import warnings

import numpy as np

# The devices a net is saved and loaded on.
_DEVICE = re.compile(r"cpu|cuda(:[0-9]+)?")


def resolve_load_device(saved, device):
    """The device to load a net saved on ``saved`` on: ``device`` when given,
    else ``saved``, or the CPU (with a warning) when CUDA is missing."""
    import torch

    if device is not None:
        if not (isinstance(device, str) and _DEVICE.fullmatch(device)):
            raise ValueError(
                f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}."
            )
        return device
    if not (isinstance(saved, str) and _DEVICE.fullmatch(saved)):
        raise ValueError(
            f"The file's net was saved on device {saved!r}, which is not a CPU "
            "or CUDA device; the file is corrupted or was edited."
        )
    if saved.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={saved!r} but CUDA is not "
            "available; its weights are loaded on the CPU.",
            UserWarning,
            stacklevel=7,
        )
        return "cpu"
    return saved


def _meta_module(params):
    """The module the net parameters describe, on the "meta" device."""
    import torch

    module = params.get("module")
    if not isinstance(module, type) or not issubclass(module, torch.nn.Module):
        raise ValueError("The file's net has no module class.")
    kwargs = {k[8:]: v for k, v in params.items() if k.startswith("module__")}
    try:
        with torch.device("meta"):
            built = module(**kwargs)
    except Exception as exc:  # any error of a module's __init__: bad parameters
        raise ValueError(
            f"The file's net parameters do not build its module "
            f"({type(exc).__name__}: {exc})."
        ) from None
    return built


def _numpy_dtype(dtype):
    import torch

    return torch.empty((), dtype=dtype).numpy().dtype


def _pairs(node, what):
    if not isinstance(node, dict) or node.get("~") != "dict":
        raise ValueError(f"The file's {what} is not a mapping.")
    pairs = node.get("v")
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 for p in pairs
    ):
        raise ValueError(f"The file's {what} is not a list of pairs.")
    return pairs


def _tensor_meta(node, what):
    if not isinstance(node, dict) or node.get("~") != "tensor":
        raise ValueError(f"The file's {what} is not a tensor.")
    try:
        dtype = np.dtype(node.get("dtype"))
    except (TypeError, ValueError, SyntaxError):
        raise ValueError(f"The file's {what} has an invalid dtype.") from None
    return dtype, node.get("shape")


def _check_module(node, expected):
    pairs = _pairs(node, "network weights")
    names = [name for name, _ in pairs]
    if sorted(names, key=str) != sorted(expected):
        missing = sorted(set(expected) - set(names))
        extra = sorted(set(names) - set(expected), key=str)
        raise ValueError(
            "The stored weights do not fit the network they describe: "
            f"missing {missing[:3]}, unexpected {extra[:3]}."
        )
    for name, tensor in pairs:
        dtype, shape = _tensor_meta(tensor, f"weight {name!r}")
        want_dtype, want_shape = expected[name]
        if dtype != want_dtype or shape != list(want_shape):
            raise ValueError(
                f"The stored weights do not fit the network they describe: "
                f"{name!r} is {dtype} {shape}, the network's parameters make it "
                f"{want_dtype} {list(want_shape)}."
            )


def _check_optimizer(node, shapes):
    """Each per-weight optimizer tensor is a scalar (a step count) or has its
    weight's shape."""
    state = dict((k, v) for k, v in _pairs(node, "optimizer state") if k == "state")
    for index, entry in _pairs(state.get("state"), "optimizer state"):
        if type(index) is not int or not 0 <= index < len(shapes):
            raise ValueError(
                f"The stored optimizer state names the weight {index!r}, which the "
                f"network does not have (it has {len(shapes)})."
            )
        for name, value in _pairs(entry, "optimizer state"):
            if isinstance(value, dict) and value.get("~") == "tensor":
                _, shape = _tensor_meta(value, f"optimizer state {name!r}")
                if shape not in ([], [1], list(shapes[index])):
                    raise ValueError(
                        f"The stored optimizer state {name!r} of weight {index} "
                        f"has shape {shape}, not {list(shapes[index])}."
                    )


# The weights of recently checked modules, by their class and parameters:
# building even a "meta" module takes milliseconds.
_EXPECTED = {}
_EXPECTED_SIZE = 16


def _expected(params):
    """``({name: (dtype, shape)}, [parameter shapes])`` of the net's module."""
    kwargs = {k: v for k, v in params.items() if k.startswith("module__")}
    try:
        key = (params.get("module"), repr(sorted(kwargs.items())))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _EXPECTED:
        return _EXPECTED[key]
    module = _meta_module(params)
    expected = (
        {
            name: (_numpy_dtype(t.dtype), tuple(t.shape))
            for name, t in module.state_dict().items()
        },
        [tuple(p.shape) for p in module.parameters()],
    )
    if key is not None:
        if len(_EXPECTED) >= _EXPECTED_SIZE:
            _EXPECTED.pop(next(iter(_EXPECTED)))
        _EXPECTED[key] = expected
    return expected


def _check_layer_counts(params, node):
    """Every layer holds a weight: a layer count above the number of weights
    stored is refused before the module is built, which takes time growing
    with the square of it (a number edited to 100,000 took minutes)."""
    n_stored = len(_pairs(node.get("module"), "network weights"))
    for key, value in params.items():
        if not (key.startswith("module__") and key.endswith("num_layers")):
            continue
        if type(value) is int and value > n_stored:
            raise ValueError(
                f"The file's net has {key[8:]}={value} but stores {n_stored} "
                "weights, fewer than one per layer: the file is corrupted or "
                "was edited."
            )


def check_net_node(params, node):
    """Raise a ValueError unless the net ``node`` (its parameters decoded as
    ``params``) stores the weights and optimizer state its module implies."""
    _check_layer_counts(params, node)
    weights, shapes = _expected(params)
    _check_module(node.get("module"), weights)
    _check_optimizer(node.get("optimizer"), shapes)
