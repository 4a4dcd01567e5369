"""Shared fixtures for the micro runtime tests."""
import pytest

import micro_op_cases
import micro_parity


@pytest.fixture(scope="session")
def small_model() -> bytes:
    """A converted int8 model of a few single-op branches (conv, depthwise, dense, pool, ...)."""
    return micro_parity.convert_cases(micro_op_cases.random_cases(7, 6), 7)
