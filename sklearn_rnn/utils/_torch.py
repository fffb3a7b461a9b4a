# SPDX-License-Identifier: BSD-3-Clause
"""Small torch helpers: device resolution, local seeding, thread sharing."""

import contextlib
import threading

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


# torch's default generator is one per process: fits running in threads side
# by side (joblib's threading backend) take this lock while they seed it and
# draw their initial weights, so that each gets the weights of its seed.
global_rng_lock = threading.RLock()


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
    fork = torch.random.fork_rng(devices=devices)
    # Saving, seeding and restoring the process-wide generator happen under
    # the lock, so that a fit ending in another thread cannot reset the
    # generator while this one draws its initial weights.
    with global_rng_lock:
        fork.__enter__()
        torch.manual_seed(seed)
    try:
        yield
    finally:
        with global_rng_lock:
            fork.__exit__(None, None, None)


# Number of fits running right now in this process, in any thread.
_active_fits = 0
_active_fits_lock = threading.Lock()


class SharedTorchThreads:
    """Split the caller's torch intra-op threads among concurrent fits.

    Worker *processes* are already limited: joblib's loky backend starts its
    workers with ``OMP_NUM_THREADS = cpu_count // n_jobs`` and dask's nanny
    with ``OMP_NUM_THREADS=1``, and torch reads that variable when it starts.
    Worker *threads* (joblib's threading backend, several fits in one dask
    worker) share one process, so ``k`` fits running side by side would each
    use every core. Inside this context the calling thread uses
    ``max(1, n // k)`` threads, ``n`` being its count on entry and ``k`` the
    number of fits running in the process; :meth:`rebalance` re-reads ``k``
    (the estimators call it at each epoch). On exit the caller's count is
    restored, so nothing leaks out of ``fit``. With the OpenMP backend of
    torch the count is per thread, so concurrent fits do not overwrite each
    other's.
    """

    def __enter__(self):
        global _active_fits
        self.initial = torch.get_num_threads()
        with _active_fits_lock:
            _active_fits += 1
        self.rebalance()
        return self

    def target(self):
        """Threads this fit should use now."""
        return max(1, self.initial // max(_active_fits, 1))

    def rebalance(self):
        n = self.target()
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)

    def __exit__(self, *exc):
        global _active_fits
        with _active_fits_lock:
            _active_fits -= 1
        if torch.get_num_threads() != self.initial:
            torch.set_num_threads(self.initial)
        return False
