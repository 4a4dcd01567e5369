"""Compressed models on the firmware: DECODE's outputs equal TFLM's on QEMU.

The "separable" case's model, compressed two ways: its kernels and biases as
per-channel LUTs by the wheel's compress() (those whose tables fit 7-bit
indices) and every kernel and bias pruned (tests/micro/decode_files.py).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "micro"))

import decode_files  # noqa: E402  (tests/micro, put on the path above)
import micro_parity  # noqa: E402
from tpw_micro import firmware  # noqa: E402

COMPRESSIONS = {
    "lut": lambda model: decode_files.lut_file(model, 7, per_channel=True),
    "pruned": decode_files.prune_file,
}


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_compressed_model_outputs_equal_tflm(cases, compression):
    case = cases.case("separable")
    model = COMPRESSIONS[compression](case.model_bytes)
    assert decode_files.decode_count(model) > 0
    result = firmware.run_firmware(model, case.inputs)
    expected = micro_parity.run_tflm(model, [case.inputs])[0].reshape(len(case.inputs), -1)
    assert np.array_equal(np.array(result["outputs"], np.int8), expected)
    assert result["firmware"]["model_array"] == len(model)
