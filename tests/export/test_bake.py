"""bake() returns a plain separable CNN equal to the packed generator model."""
import numpy as np
import pytest
import tf_keras as keras

from tpw_export.bake import bake, pack
from tpw_export.errors import ExportError
from tpw_export.packing import PACKING_BITS
from tpw_tf.layers import GeneratedPointwise, LayerCode, PointwiseGenerator, StoresParts


@pytest.mark.parametrize("bits", PACKING_BITS)
@pytest.mark.parametrize("head", ["full", "factorized", "shared_basis"])
def test_baked_model_equals_packed_model(small_models, windows, head, bits):
    model = small_models[head]
    baked = bake(model, bits=bits)
    expected = pack(model, bits=bits).predict(windows, verbose=0)
    np.testing.assert_allclose(baked.predict(windows, verbose=0), expected, rtol=0, atol=1e-5)
    assert not any(isinstance(l, (GeneratedPointwise, LayerCode, PointwiseGenerator)) for l in baked.layers)
    assert all(type(l).__module__.startswith("tf_keras") for l in baked.layers)


@pytest.mark.parametrize("bits", PACKING_BITS)
def test_packing_stores_each_tensor_on_a_symmetric_grid(small_models, bits):
    model = small_models["factorized"]
    packed = pack(model, bits=bits)
    checked = 0
    for layer in [l for l in packed.layers if isinstance(l, StoresParts)]:
        for part in layer.stored_parts():
            values = part.weight.numpy().ravel()
            if not values.any():
                continue  # zero-initialized biases: nothing to quantize
            step = np.abs(values).max() / (2 ** (bits - 1) - 1)
            np.testing.assert_allclose(values / step, np.round(values / step), atol=1e-3)
            assert len(np.unique(values)) <= 2 ** bits - 1
            checked += 1
    assert checked >= 4
    # The original model is untouched, and packing changes it at 4 bits.
    original = {w.name: w.numpy() for w in model.weights}
    assert any(not np.array_equal(original[w.name], w.numpy()) for w in pack(model, bits=4).weights)


def test_packing_changes_outputs_less_with_more_bits(small_models, windows):
    model = small_models["full"]
    reference = model.predict(windows, verbose=0)
    errors = [np.abs(pack(model, bits=b).predict(windows, verbose=0) - reference).max() for b in PACKING_BITS]
    assert errors[0] > errors[-1]


def test_plain_models_bake_to_themselves(windows):
    from tpw_tf.models import build_model

    model = build_model("tiny_separable_cnn", windows.shape[1:], 3)
    baked = bake(model)
    assert [l.name for l in baked.layers] == [l.name for l in model.layers]
    np.testing.assert_array_equal(baked.predict(windows, verbose=0), model.predict(windows, verbose=0))


def test_unsupported_bits_is_an_error(small_models):
    with pytest.raises(ExportError, match="bits must be one of"):
        bake(small_models["full"], bits=5)


def test_a_layer_that_makes_a_kernel_must_state_what_it_stores():
    """A plain Dense head (as saved before heads were ``SharedHead``) cannot be packed or counted."""
    inputs = keras.Input((1, 16, 2))
    code = LayerCode(3, name="code")(inputs)
    latent = keras.layers.Dense(2 * 4, name="plain_head")(code)
    model = keras.Model(inputs, GeneratedPointwise(4, head="shared_basis", name="pw")([inputs, latent]))
    with pytest.raises(ExportError, match=r"^layer 'plain_head' \(Dense\) makes the kernel of 'pw' "):
        bake(model)
