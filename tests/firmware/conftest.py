"""Shared fixtures for the firmware tests: toolchain checks and the built cases.

The cases (models, inputs, TFLM outputs, ELFs) come from micro/robot/firmware_cases.py,
the same ones the Robot suites use, so CI builds each firmware once.
"""
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "micro" / "robot"))

_TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm", "xxd", "make")


def pytest_collection_modifyitems(config, items):
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"firmware toolchain missing: {', '.join(missing)} "
                                   "(scripts/test_firmware.sh installs it)")
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cases():
    import firmware_cases

    return firmware_cases


@pytest.fixture(scope="session")
def windows_dataset():
    """A function making a one-class ``Dataset`` whose test (and train) split is the float
    windows ``(N, 1, T, C)`` given, as ``firmware_report`` reads them."""
    import numpy as np
    from tpw_tf.data.base import Dataset, Split

    def make(x):
        split = Split(x, np.zeros(len(x), np.int64), np.array([f"w{i}" for i in range(len(x))]))
        return Dataset("unit", {"train": split, "val": Split.empty(x.shape[2], x.shape[3]), "test": split}, 1.0,
                       ("x", "y", "z"))

    return make
