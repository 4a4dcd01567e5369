"""tpw_export.synthesis: the device's synthesis arithmetic, its accuracy against the Keras
layers, its INT8 grid through the converter, and the decode type's bytes against the ledger."""
from __future__ import annotations

import numpy as np
import pytest
import tf_keras as keras
from tflite_micro.tensorflow.lite.micro.compression import model_editor

from tpw_export.bake import bake, expanded_layers, pack
from tpw_export.convert import convert
from tpw_export.ledger import build_ledger
from tpw_export.packing import fake_quantize
from tpw_export.pipeline import check_schedule, export_model
from tpw_export.synth_boot import filter_of
from tpw_export.synthesis import (PackedTensor, encode, int8_kernel, round_half_away, synthesis_parts, synthesize,
                                  tanh32)
from tpw_tf.errors import TpwError
from tpw_tf.layers import GeneratedPointwise, LayerCode, PointwiseGenerator

HEADS = ("full", "factorized", "shared_basis")
_F32 = np.float32


def test_tanh32_is_within_2e7_of_tanh():
    x = np.concatenate([np.linspace(-12, 12, 200_001), [0.0, -0.0, 9.0, -9.0, 1e-30, 88.0, -1e4]]).astype(_F32)
    np.testing.assert_allclose(tanh32(x), np.tanh(x.astype(np.float64)), rtol=0, atol=2e-7)
    assert np.signbit(tanh32(_F32(-0.0))) and tanh32(_F32(9.0)) == 1.0


def test_round_half_away_is_exact_at_ties_and_just_below():
    below_half = np.nextafter(_F32(0.5), _F32(0))  # 0.49999997: floor(x + 0.5) would give 1
    x = np.array([0.5, -0.5, 2.5, -2.5, below_half, -below_half, 126.5, 3.0], _F32)
    np.testing.assert_array_equal(round_half_away(x), [1, -1, 3, -3, 0, -0.0, 127, 3])


def test_int8_kernel_uses_the_full_range_per_channel_and_zero_channels_stay_zero():
    kernel = np.array([[0.5, 0.0, -3.0], [-1.0, 0.0, 1.5]], _F32)
    q, step = int8_kernel(kernel)
    np.testing.assert_array_equal(q, [[64, 0, -127], [-127, 0, 64]])  # 63.5 rounds away
    np.testing.assert_array_equal(step, np.array([1.0, 0.0, 3.0], _F32) / _F32(127))


@pytest.mark.parametrize("bits", (4, 8))
@pytest.mark.parametrize("head", HEADS)
def test_synthesis_equals_the_packed_keras_layer(small_models, head, bits):
    """The routine's kernel is the packed model's (TensorFlow's tanh and matmul) to float rounding."""
    model = small_models[head]
    packed = pack(model, bits=bits)
    for layer in expanded_layers(model):
        twin = packed.get_layer(layer.name)
        latent = keras.Model(packed.inputs, twin.inbound_nodes[0].input_tensors[1])(np.zeros((1, *model.input_shape[1:])))
        np.testing.assert_allclose(synthesize(synthesis_parts(layer, bits=bits)), twin.synthesize(latent).numpy(),
                                   rtol=0, atol=1e-6)


def _assert_holds_the_synthesized_kernels(flatbuffer: bytes, model: keras.Model, bits: int):
    stored = [t.array for t in model_editor.read(flatbuffer).subgraphs[0].tensors
              if t.buffer is not None and t.buffer.data and t.array.dtype == np.int8]
    for layer in expanded_layers(model):
        synthesized = filter_of(synthesis_parts(layer, bits=bits))
        assert any(a.shape == synthesized.shape and np.array_equal(a, synthesized) for a in stored), layer.name


@pytest.mark.parametrize("head", HEADS)
def test_the_converter_keeps_the_device_grid(small_models, windows, head):
    """bake(device_grid=True): every generated INT8 kernel of the file is the synthesized one,
    up to the sign of the BatchNorm multiplier the converter folds in (all positive here)."""
    model = small_models[head]
    _assert_holds_the_synthesized_kernels(convert(bake(model, bits=6, device_grid=True), windows), model, 6)


def test_a_generators_baked_export_is_on_the_device_grid(small_models, windows):
    """export_model bakes a generator on the device grid for the baked schedule too, so the
    baked file TFLM runs holds exactly the kernels the boot and lazy files synthesize."""
    model = small_models["factorized"]
    _assert_holds_the_synthesized_kernels(export_model(model, windows, bits=4).flatbuffer, model, 4)


def test_channel_signs_negate_exactly(small_models):
    for layer in expanded_layers(small_models["factorized"]):
        parts = synthesis_parts(layer, bits=4)
        signs = np.where(np.arange(parts.filters) % 2 == 0, 1, -1)
        np.testing.assert_array_equal(synthesize(parts.with_channel_signs(signs)), synthesize(parts) * signs)


@pytest.mark.parametrize("head", HEADS)
def test_decode_data_hold_what_the_ledger_counts(small_models, windows, head):
    """Stored once per generator (ancillary) and once per layer (encoded), the bytes are the
    ledger's generator side plus one 16-byte DCM and at most a byte of padding per code stream."""
    model = small_models[head]
    baked = bake(model, bits=4, device_grid=True)
    ledger = build_ledger(model, baked, convert(baked, windows), bits=4, arena_bytes=0)
    layers = expanded_layers(model)
    encoded = [encode(synthesis_parts(layer, bits=4), 4, schedule="lazy") for layer in layers]
    ancillary = {data for _, data in encoded}
    assert len(ancillary) == 1  # one generator, one shared head (or none): shared by every layer
    stored = sum(len(own) for own, _ in encoded) + len(next(iter(ancillary)))
    counted = ledger["expanded_layers"]["packed_bytes"]
    assert counted + 16 <= stored <= counted + 16 + 1 + len(layers)


def test_packed_values_are_packing_fake_quantize():
    values = np.random.default_rng(0).normal(size=(5, 7)).astype(_F32)
    for bits in (4, 6, 8):
        np.testing.assert_array_equal(PackedTensor.of(values, bits).values(), fake_quantize(values, bits))


def test_a_generator_synthesis_does_not_define_is_refused_before_training():
    """Only tanh is defined on the device: another activation is one TpwError naming the generator
    for boot / lazy; baked exports it off the device grid."""
    inputs = keras.Input((1, 16, 2))
    latent = PointwiseGenerator(8, 4, activation="relu", name="g")(LayerCode(3, name="code")(inputs))
    model = keras.Model(inputs, GeneratedPointwise(4, head="full", name="pw")([inputs, latent]))
    assert check_schedule(model, "baked", None, 4) is False
    with pytest.raises(TpwError, match=r"^--schedule boot: generator 'g': synthesis defines tanh only, got activation 'relu'"):
        check_schedule(model, "boot", None, 4)
