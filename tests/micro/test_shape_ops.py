"""Shape arithmetic a None batch converts into: SHAPE -> STRIDED_SLICE -> PACK feeding RESHAPE.

The random dynamic-batch cases of test_op_parity.py (Reshape, Flatten, int8
STRIDED_SLICE) are checked against TFLM. A Reshape to (-1, N) is not: the
converter stores its output as (1, 1, N), the only shape TFLM reads, so TFLM
refuses the model. The runtime folds the shape vector in Prepare and reshapes
to the real target; tf.lite's reference kernels are the oracle there.
"""
import numpy as np
import pytest
from tf_keras import layers

import micro_op_cases as op_cases
import micro_parity as parity
from tpw_micro import host_runtime

SAMPLES = 4


def stretched_reshape_cases(seed: int, count: int) -> list[op_cases.Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        h, w, c = op_cases._spatial(rng)
        target = [(-1, c), (h, -1), (-1,)][i % 3]
        cases.append(op_cases.Case(f"reshape {(h, w, c)}->{target}", [(h, w, c)],
                                   lambda x, target=target: layers.ReLU()(layers.Reshape(target)(x[0])),
                                   [float(rng.choice([0.5, 1.0, 3.0]))], [0.0]))
    return cases


@pytest.fixture(scope="module")
def stretched() -> tuple[bytes, list[str]]:
    cases = stretched_reshape_cases(5, 6)
    flatbuffer = parity.convert_cases(cases, 5, dynamic_batch=True)
    assert parity.has_dynamic_batch(flatbuffer)
    return flatbuffer, [cases[int(name.split("_")[1])].name for name in parity.output_case_names(flatbuffer)]


def test_reshape_to_a_stretched_target_matches_reference_kernels(stretched):
    flatbuffer, names = stretched
    inputs = parity.random_inputs(flatbuffer, SAMPLES, 5)
    failures = parity.compare(flatbuffer, inputs, names, oracle=parity.run_reference)
    assert not failures, "\n".join(failures)
    shapes = [tensor.shape for tensor in host_runtime.describe(flatbuffer).outputs]
    assert any(len(shape) == 3 and shape[1] > 1 for shape in shapes), shapes


def test_tflm_refuses_a_stretched_reshape_under_a_none_batch(stretched):
    """Why the oracle above is not TFLM. If this fails, TFLM reads the shape input: compare with TFLM."""
    flatbuffer, _ = stretched
    with pytest.raises(RuntimeError):
        parity.run_tflm(flatbuffer, parity.random_inputs(flatbuffer, 1, 5))
