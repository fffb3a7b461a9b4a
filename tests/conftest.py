# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _few_threads():
    # The suite runs on 2 cores; small models gain nothing from more threads
    # and interleaved tests would oversubscribe the machine.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def rng():
    return np.random.RandomState(0)
