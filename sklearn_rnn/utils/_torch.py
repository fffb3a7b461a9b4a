# SPDX-License-Identifier: BSD-3-Clause
"""Small torch helpers: device resolution and local seeding."""

import contextlib

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


def draw_seed(random_state):
    """Draw a 31-bit seed from a ``random_state`` parameter."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def local_torch_seed(seed, device="cpu"):
    """Seed torch inside the block and restore the global RNG state after it.

    Weight initialisation and dropout draw from torch's global generator, so
    seeding it is the only way to make them reproducible; ``fork_rng`` puts
    the caller's generator state back, so fitting never disturbs the user's
    own random stream.
    """
    devices = []
    if str(device).startswith("cuda"):
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
