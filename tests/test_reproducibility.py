# SPDX-License-Identifier: BSD-3-Clause
"""Same data and random_state: bit-identical models, in one process and across
processes; random_state=None varies; fitting never moves a global RNG."""

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from _cases import CASES

SEEDED = [c for c in CASES if c.seeded]
ROOT = Path(__file__).resolve().parents[1]


def _digest(array):
    array = np.ascontiguousarray(array)
    return f"{array.dtype}{array.shape}:{hashlib.sha256(array.tobytes()).hexdigest()}"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_two_fits_in_one_process_are_identical(case):
    a, b = case.fitted(random_state=3), case.fitted(random_state=3)
    np.testing.assert_array_equal(case.output(a), case.output(b))
    if case.seeded:
        # Bitwise on the weights too, not only on the rounded predictions.
        net_a = getattr(a, "regressor_", a).net_
        net_b = getattr(b, "regressor_", b).net_
        for (k, p), q in zip(
            net_a.module_.state_dict().items(), net_b.module_.state_dict().values()
        ):
            assert torch.equal(p, q), k


def test_fits_in_another_process_are_identical():
    # A fresh interpreter draws the same seeds and runs the same kernels:
    # each example's output hashes to the same digest.
    script = (
        "import sys, torch; torch.set_num_threads(1); "
        f"sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]; "
        "from _cases import CASES; "
        "from test_reproducibility import _digest; "
        "[print(c.name, _digest(c.output(c.fitted(random_state=3)))) for c in CASES]"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="123")
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    other = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    here = {c.name: _digest(c.output(c.fitted(random_state=3))) for c in CASES}
    assert other == here


@pytest.mark.parametrize("case", SEEDED, ids=repr)
def test_random_state_none_varies(case):
    a, b = case.fitted(random_state=None), case.fitted(random_state=None)
    assert not np.array_equal(case.output(a), case.output(b))
    # And two different seeds give two different models.
    c, d = case.fitted(random_state=1), case.fitted(random_state=2)
    assert not np.array_equal(case.output(c), case.output(d))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_fitting_and_predicting_leave_global_rngs_alone(case):
    torch.manual_seed(2024)
    np.random.seed(2024)
    random.seed(2024)
    states = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    est = case.fitted(random_state=0)
    case.output(est)
    assert torch.equal(torch.get_rng_state(), states[0])
    np.testing.assert_equal(np.random.get_state(), states[1])
    assert random.getstate() == states[2]
    # A seeded fit gives the same model whatever the global state was.
    torch.manual_seed(1)
    np.random.seed(1)
    np.testing.assert_array_equal(
        case.output(case.fitted(random_state=0)), case.output(est)
    )
