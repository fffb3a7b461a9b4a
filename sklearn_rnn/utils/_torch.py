# SPDX-License-Identifier: BSD-3-Clause
"""Small torch helpers: device resolution, local seeding, thread sharing."""

import contextlib
import os
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


# torch's default generator is one per process, shared by every thread. Fits
# running side by side in threads (joblib's threading backend, several tasks
# in one dask worker) take this lock whenever they seed, draw from or restore
# it; a fit whose training draws from it (dropout, scheduled sampling) holds
# it for its whole block (see local_torch_seed).
global_rng_lock = threading.RLock()

# The seeded blocks open right now, in any thread, oldest first: each holds
# the generator states it found on opening, {"cpu": state, cuda_index:
# state}, to put back on closing. Guarded by global_rng_lock.
_open_blocks = []


def _cuda_index(device):
    """The CUDA device index of ``device``, or None for other devices."""
    if not str(device).startswith("cuda"):
        return None
    index = torch.device(device).index
    return torch.cuda.current_device() if index is None else index


def reseed_torch(seed, device="cpu"):
    """Seed the CPU generator and the generator of ``device`` (if CUDA).

    Unlike ``torch.manual_seed``, the generators of other CUDA devices are
    left alone: a fit on the CPU does not reset the GPUs' random streams.
    Call it holding ``global_rng_lock``, inside :func:`local_torch_seed`.
    """
    torch.default_generator.manual_seed(seed)
    cuda = _cuda_index(device)
    if cuda is not None:
        with torch.cuda.device(cuda):
            torch.cuda.manual_seed(seed)


def _save_caller_state(cuda):
    """Open a block: remember the states it is to give back."""
    block = {"cpu": torch.get_rng_state()}
    if cuda is not None:
        block[cuda] = torch.cuda.get_rng_state(cuda)
    _open_blocks.append(block)
    return block


def _restore_caller_state(block):
    """Close ``block``: give back the states its caller had.

    The newest open block puts its states back, as nested blocks do. A block
    that closes while newer ones are still open (fits in threads that end in
    another order than they began) hands its states to the next newer block
    instead, which puts them back in its place: the last block to close
    restores what the generators held before the oldest open block began.
    """
    at = next(i for i, open_block in enumerate(_open_blocks) if open_block is block)
    del _open_blocks[at]
    if at < len(_open_blocks):
        _open_blocks[at].update(block)  # the older states win
        return
    torch.set_rng_state(block.pop("cpu"))
    for cuda, state in block.items():
        torch.cuda.set_rng_state(state, cuda)


def _after_fork_in_child():
    """A forked child has one thread: no other fit's block or lock is open."""
    global _active_fits, _active_fits_lock
    global_rng_lock._at_fork_reinit()
    _open_blocks.clear()
    _active_fits = 0
    _active_fits_lock = threading.Lock()


@contextlib.contextmanager
def local_torch_seed(seed, device="cpu", exclusive=False):
    """Seed torch inside the block and give the caller its RNG state back.

    Weight initialisation, dropout and scheduled sampling draw from torch's
    global generators (the CPU's, and the CUDA device's on a GPU), so seeding
    them is the only way to make these reproducible. Fitting never moves the
    caller's random stream when fits run one after another: each block
    saves the state of the generators on opening and puts it back on
    closing. Blocks overlapping in threads share the one generator: a block
    that closes while a newer one is still open hands its saved state to
    that one (see ``_restore_caller_state``), so whatever the order they
    close in, the state found by the first is back when the last closes; in
    between, draws made outside the fits come from a fit's seeded stream.

    Threads share the generators. Seeding and drawing the initial weights
    happen under ``global_rng_lock`` (see ``BaseRNN._train_net``), which
    makes the initial weights those of the seed whatever runs beside. With
    ``exclusive=True`` the block holds the lock from start to end: a fit
    whose training itself draws random numbers (dropout, a teacher-forcing
    ratio strictly between 0 and 1) then gets the draws of its own seed,
    and so the model it gets alone, but waits for, and makes wait, every
    other seeded block of the process. Fits that draw nothing after their
    initialisation keep running side by side.
    """
    cuda = _cuda_index(device)
    global_rng_lock.acquire()
    try:
        block = _save_caller_state(cuda)
        try:
            reseed_torch(seed, device)
        except BaseException:
            _restore_caller_state(block)
            raise
    except BaseException:
        global_rng_lock.release()
        raise
    if not exclusive:
        global_rng_lock.release()
    try:
        yield
    finally:
        if not exclusive:
            global_rng_lock.acquire()
        try:
            _restore_caller_state(block)
        finally:
            global_rng_lock.release()


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


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
