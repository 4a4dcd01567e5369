"""The Thumb-2 paths of depthwise_1xk_s8_pairs / conv_1xk_s8_c1_pairs on QEMU: outputs equal TFLM's.

Host builds run the portable C twins of tpw_gather_pairs_s8 and tpw_pair_outputs_s8, so these
single-op models are the shapes only the firmware checks: rows of more than one tile (40
input pairs a depthwise tile, 169 a one-channel stem's), a channel count that leaves an
overlapping last group, stride 1 and 2, with and without a fused ReLU.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import tf_keras as keras

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "micro"))

import micro_op_cases  # noqa: E402  (tests/micro, put on the path above)
import micro_parity  # noqa: E402
from tpw_micro import firmware  # noqa: E402

layers = keras.layers
SEED = 15

# name: (input shape without batch, layer)
SHAPES = {
    "depthwise 1x90x6 k7 s2 same": (
        (1, 90, 6), lambda: layers.DepthwiseConv2D((1, 7), strides=2, padding="same")),
    "depthwise 1x130x5 k7 s1 same relu": (
        (1, 130, 5), lambda: layers.DepthwiseConv2D((1, 7), padding="same", activation="relu")),
    "stem 1x400x1 k7 s2 same -> 4": (
        (1, 400, 1), lambda: layers.Conv2D(4, (1, 7), strides=2, padding="same")),
    "stem 1x400x1 k5 s1 valid -> 3 relu": (
        (1, 400, 1), lambda: layers.Conv2D(3, (1, 5), activation="relu")),
}


@pytest.mark.parametrize("name", SHAPES)
def test_pair_variant_outputs_equal_tflm(name):
    shape, make_layer = SHAPES[name]
    case = micro_op_cases.Case(name, [shape], lambda x: make_layer()(x[0]), amplitudes=[1.0], offsets=[0.5])
    flatbuffer = micro_parity.convert_cases([case], SEED)
    inputs = micro_parity.random_inputs(flatbuffer, 2, SEED)
    result = firmware.run_firmware(flatbuffer, inputs[0])
    expected = micro_parity.run_tflm(flatbuffer, inputs)[0]
    assert np.array_equal(np.array(result["outputs"], np.int8).ravel(), np.asarray(expected).ravel())
