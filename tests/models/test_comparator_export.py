"""Every comparator converts to a fully INT8 builtin flatbuffer that TFLM runs."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import tensorflow as tf

from tpw_export import tflm
from tpw_export.convert import convert
from zoo_cases import NAMES, flatbuffer_kernels, tiny, windows

# Builtin int8 kernels the tflite-micro op resolver provides that these models may use.
TFLM_INT8_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD",
                 "RESHAPE", "SOFTMAX"}


def _interpreter(flatbuffer: bytes) -> tf.lite.Interpreter:
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,  # no XNNPACK: it would show up as a DELEGATE op
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    return interpreter


def _ops(flatbuffer: bytes) -> list[str]:
    return [op["op_name"] for op in _interpreter(flatbuffer)._get_ops_details()]


@functools.cache
def export(name: str):
    """``(name, model, flatbuffer, x)``; each model is converted once per session."""
    model = tiny(name)
    x, _ = windows(name)
    return name, model, convert(model, x), x


@pytest.fixture(params=NAMES)
def exported(request):
    return export(request.param)


def test_only_builtin_int8_ops_that_tflm_has(exported):
    _, _, flatbuffer, _ = exported
    interpreter = _interpreter(flatbuffer)
    assert set(_ops(flatbuffer)) <= TFLM_INT8_OPS
    assert {t["dtype"] for t in interpreter.get_tensor_details()} <= {np.int8, np.int32}
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8


def test_tflm_runs_it_bit_identical_to_tflite(exported):
    _, _, flatbuffer, x = exported
    x_int8 = tflm.quantize_inputs(flatbuffer, x[:8])
    micro = tflm.run_tflm(flatbuffer, x_int8)
    assert micro.dtype == np.int8 and micro.shape == (8, 3)
    np.testing.assert_array_equal(micro, tflm.run_tflite(flatbuffer, x_int8))


def test_int8_probabilities_track_the_float_model(exported):
    _, model, flatbuffer, x = exported
    micro = tflm.run_tflm(flatbuffer, tflm.quantize_inputs(flatbuffer, x[:16]))
    # INT8 rounding through a few layers: a handful of output LSBs (1/256 each).
    np.testing.assert_allclose(tflm.dequantize_outputs(flatbuffer, micro), model(x[:16]).numpy(),
                               atol=8 / 256)


def test_ternary_kernels_ship_as_exact_int8_ternary_codes():
    from tpw_export.bake import bake

    _, model, flatbuffer, _ = export("ternary_cnn")
    kernels = flatbuffer_kernels(bake(model), flatbuffer)
    for layer in [l for l in model.layers if l.name.endswith("_pw")]:
        codes, _ = layer.ternary_codes()
        stored = kernels[layer.name]
        stored = stored[:, 0, 0, :].T  # (Cout, 1, 1, Cin) -> (Cin, Cout)
        # Per-channel INT8 maps {-a, 0, +a} (times the folded BatchNorm scale) to {-127, 0, 127}.
        assert set(np.unique(np.abs(stored))) <= {0, 127}
        np.testing.assert_array_equal(stored != 0, codes != 0)


def test_vae_exports_the_mean_path_only():
    _, _, flatbuffer, _ = export("tiny_vae_head")
    # After pooling: latent_mu and the classifier; the logvar branch and the sampler are gone.
    ops = _ops(flatbuffer)
    assert ops[ops.index("AVERAGE_POOL_2D") + 1:] == ["CONV_2D", "CONV_2D", "RESHAPE", "SOFTMAX"]


def test_hrv_featnet_is_one_linear_layer():
    _, _, flatbuffer, _ = export("hrv_featnet")
    assert _ops(flatbuffer) == ["RESHAPE", "CONV_2D", "RESHAPE", "SOFTMAX"]


def test_bake_swaps_ternary_layers_for_equal_plain_convs():
    from tpw_export.bake import bake

    _, model, _, x = export("ternary_cnn")
    baked = bake(model)
    assert all(type(layer).__module__.startswith("tf_keras.") for layer in baked.layers)
    np.testing.assert_allclose(baked(x[:8]).numpy(), model(x[:8]).numpy(), atol=1e-6)


def test_hrv_featnet_exports_from_a_dataset_of_samples():
    """``tpw-export --model hrv_featnet`` on windows of samples feeds it their HRV features."""
    from tpw_export.pipeline import run

    result, dataset = run(dataset="synthetic", model_name="hrv_featnet", epochs=1, progress=False)
    assert dataset.input_shape == (1, 16, 1)
    assert dataset.info["features"] == "hrv"
    assert result.ledger["parity"]["mismatched_windows"] == 0
