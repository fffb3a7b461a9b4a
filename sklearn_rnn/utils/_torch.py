# SPDX-License-Identifier: BSD-3-Clause
"""Small torch helpers: device resolution, seeded blocks, bfloat16 probe."""

import contextlib
import functools

import numpy as np
import torch
from sklearn.utils import check_random_state


def resolve_device(device):
    """Turn the ``device`` parameter into a concrete torch device string.

    ``"auto"`` picks CUDA when it is available. Asking for CUDA on a machine
    without it is an error rather than a silent fall-back to the CPU.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', "
            "'cuda:<index>' or 'auto'."
        ) from None
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='cpu' or device='auto'."
        )
    return device


@functools.cache
def lstm_supports_bfloat16(device_type):
    """Whether an LSTM trains under bfloat16 autocast on ``device_type``.

    oneDNN, which runs torch's LSTM on CPUs, has a bfloat16 LSTM kernel only
    on CPUs with AVX-512 (BF16) or AMX: on an AVX2-only x86-64 CPU the
    forward pass raises a RuntimeError. Probed once per device type with a
    forward and backward pass of a tiny LSTM; torch's generator is left as
    it was.
    """
    with torch.random.fork_rng(devices=[]):
        layer = torch.nn.LSTM(2, 2, batch_first=True)
    layer = layer.to(device_type)
    try:
        with torch.autocast(device_type, dtype=torch.bfloat16):
            out, _ = layer(torch.zeros(1, 2, 2, device=device_type))
        out.float().sum().backward()
    except RuntimeError:
        return False
    return True


def draw_seed(random_state):
    """Draw a 31-bit seed from a ``random_state`` parameter."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _cuda_index(device):
    """The CUDA device index of ``device``, or None for other devices."""
    if not str(device).startswith("cuda"):
        return None
    index = torch.device(device).index
    return torch.cuda.current_device() if index is None else index


@contextlib.contextmanager
def seeded_torch(seed, device="cpu"):
    """Seed torch inside the block and give the caller its RNG state back.

    Weight initialisation, dropout and scheduled sampling draw from torch's
    global generators (the CPU's, and the CUDA device's on a GPU), so
    seeding them is the only way to make these reproducible. The block is
    ``torch.random.fork_rng`` over the CPU generator and the generator of
    ``device`` (if CUDA): the states are saved on entry and put back on
    exit, so fitting never moves the caller's random stream. Unlike
    ``torch.manual_seed``, the generators of other CUDA devices are left
    alone.

    torch's generators are one per process, shared by every thread: blocks
    overlapping in threads draw from one stream, so their draws interleave
    and the state left after the last one closes is not defined. Fits meant
    to be reproducible run one after another in a process, or in separate
    processes (joblib's default loky backend, dask workers).
    """
    cuda = _cuda_index(device)
    with torch.random.fork_rng(devices=[] if cuda is None else [cuda]):
        torch.default_generator.manual_seed(seed)
        if cuda is not None:
            with torch.cuda.device(cuda):
                torch.cuda.manual_seed(seed)
        yield

