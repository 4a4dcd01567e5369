"""Randomized single-op models: the runtime equals TFLM bit for bit.

BATCHES x CASES_PER_BATCH seeded cases (every op family, random shapes,
strides, paddings, dilations, activations, broadcasting and quantization
parameters), each checked on SAMPLES full-range random int8 inputs.
"""
import numpy as np
import pytest

import micro_op_cases as op_cases
import micro_parity as parity

BATCHES = 5
CASES_PER_BATCH = 64
SAMPLES = 4


@pytest.mark.parametrize("seed", range(BATCHES))
def test_random_single_op_cases_match_tflm(seed):
    cases = op_cases.random_cases(seed, CASES_PER_BATCH)
    flatbuffer = parity.convert_cases(cases, seed)
    names = [cases[int(name.split("_")[1])].name for name in parity.output_case_names(flatbuffer)]
    assert len(names) == CASES_PER_BATCH
    failures = parity.compare(flatbuffer, parity.random_inputs(flatbuffer, SAMPLES, seed), names)
    assert not failures, "\n".join(failures)


def test_float_io_quantize_and_dequantize_match_tflm():
    """Float in/out models add QUANTIZE (float->int8) and DEQUANTIZE (int8->float) ops."""
    cases = op_cases.random_cases(1000, 8)
    flatbuffer = parity.convert_cases(cases, 1000, float_io=True)
    names = [cases[int(name.split("_")[1])].name for name in parity.output_case_names(flatbuffer)]
    inputs = parity.random_inputs(flatbuffer, SAMPLES, 1000)
    assert all(x.dtype == np.float32 for x in inputs)
    failures = parity.compare(flatbuffer, inputs, names)
    assert not failures, "\n".join(failures)
