"""Every zoo model, baked and exported by tpw_export, runs bit-exactly as in TFLM,
and our arena is no larger than TFLM's.

Models use their default configs on the first 256 samples of synthetic ECG
windows, (1, 256, 1) (HRV-feature input (1, 16, 1) for hrv_featnet), short
enough to keep conversion fast; outputs are compared on quantized real
windows.
"""
import functools

import numpy as np
import pytest

import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras
from tpw_export import tflm
from tpw_export.pipeline import export_model
from tpw_micro import host_runtime
from tpw_tf import data
from tpw_tf.errors import TpwError  # the host runtime raises MicroError, a TpwError
from tpw_tf.models import build_model, names

NUM_CLASSES = 5
HRV_SHAPE = (1, 16, 1)
ECG_SAMPLES = 256
WINDOWS = 12


@functools.cache
def ecg_windows() -> np.ndarray:
    x = data.load("synthetic", per_subject=3).splits["train"].x
    return np.ascontiguousarray(x[:, :, :ECG_SAMPLES])


def windows(name: str) -> np.ndarray:
    if name == "hrv_featnet":
        return np.random.default_rng(0).normal(size=(64, *HRV_SHAPE)).astype(np.float32)
    return ecg_windows()


@functools.cache
def exported(name: str) -> tuple[bytes, np.ndarray]:
    """``(flatbuffer, int8 test windows)`` for zoo model ``name``, converted once per session."""
    keras.utils.set_random_seed(0)
    x = windows(name)
    flatbuffer = export_model(build_model(name, x.shape[1:], NUM_CLASSES), x, calibration_windows=8).flatbuffer
    return flatbuffer, tflm.quantize_inputs(flatbuffer, x[-WINDOWS:])


@pytest.mark.parametrize("name", names())
def test_zoo_model_matches_tflm_bit_for_bit(name):
    flatbuffer, x_int8 = exported(name)
    (ours,) = host_runtime.run(flatbuffer, [x_int8])
    np.testing.assert_array_equal(ours, tflm.run_tflm(flatbuffer, x_int8))


@pytest.mark.parametrize("name", names())
def test_zoo_model_arena_no_larger_than_tflm(name):
    flatbuffer, x_int8 = exported(name)
    used = host_runtime.describe(flatbuffer).arena_used_bytes
    assert 0 < used <= tflm.tflm_arena_bytes(flatbuffer)
    # The reported figure is the real minimum: the model runs in exactly that arena, not in less.
    expected = tflm.run_tflm(flatbuffer, x_int8[:2])
    np.testing.assert_array_equal(host_runtime.run(flatbuffer, [x_int8[:2]], arena_bytes=used)[0], expected)
    with pytest.raises(TpwError, match="arena too small"):
        host_runtime.describe(flatbuffer, arena_bytes=used - 8)
