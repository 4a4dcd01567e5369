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


def test_kernel_variant_shapes_match_tflm():
    """Fixed depthwise and pointwise shapes of the interior-row variants (see variant_shape_cases)."""
    cases = op_cases.variant_shape_cases()
    flatbuffer = parity.convert_cases(cases, 15)
    names = [cases[int(name.split("_")[1])].name for name in parity.output_case_names(flatbuffer)]
    assert len(names) == len(cases)
    failures = parity.compare(flatbuffer, parity.random_inputs(flatbuffer, SAMPLES, 15), names)
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


DYNAMIC_BATCHES = 2
DYNAMIC_CASES = 38  # two cycles through every dynamic-batch generator


@pytest.mark.parametrize("seed", range(DYNAMIC_BATCHES))
def test_dynamic_batch_cases_match_their_oracle(seed):
    """Converted with a None batch: dilations, depth multipliers > 1 and every op family.

    A case through SPACE_TO_BATCH_ND is checked against tf.lite's reference
    kernels: TFLM keeps the stored batch-1 shapes there and leaves part of the
    output unwritten (see test_dynamic_shapes.py). Every other case against TFLM.
    """
    cases = op_cases.dynamic_batch_cases(seed, DYNAMIC_CASES)
    flatbuffer = parity.convert_cases(cases, seed, dynamic_batch=True)
    indices = [int(name.split("_")[1]) for name in parity.output_case_names(flatbuffer)]
    assert sorted(indices) == list(range(DYNAMIC_CASES))
    assert parity.has_dynamic_batch(flatbuffer)
    inputs = parity.random_inputs(flatbuffer, SAMPLES, seed)
    batched = [cases[i].name if cases[i].space_batch else None for i in indices]
    others = [None if cases[i].space_batch else cases[i].name for i in indices]
    assert any(batched) and any(others)
    failures = (parity.compare(flatbuffer, inputs, batched, oracle=parity.run_reference)
                + parity.compare(flatbuffer, inputs, others))
    assert not failures, "\n".join(failures)
