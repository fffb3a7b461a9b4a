# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread_session():
    # Module-scoped fixtures (models trained once for several tests) are set
    # up before the function-scoped fixture below: without this they would
    # train with every core, and float results depend on the thread count.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


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
