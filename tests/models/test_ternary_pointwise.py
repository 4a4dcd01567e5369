"""TernaryPointwise: numpy reference, current-weight evaluation, STE, Keras contract, stored parts."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tpw_tf.errors import TpwError
from tpw_tf.layers import StoredPart
from tpw_tf.layers.ternary import TernaryPointwise
from zoo_cases import seed

CIN, COUT, T = 6, 5, 32


def reference_kernel(w: np.ndarray, threshold: float = 0.7) -> np.ndarray:
    """TWN rule per output channel, written independently in numpy: (Cin, Cout) -> (Cin, Cout)."""
    out = np.zeros_like(w)
    for c in range(w.shape[1]):
        column = w[:, c]
        keep = np.abs(column) > threshold * np.abs(column).mean()
        alpha = np.abs(column[keep]).mean() if keep.any() else 0.0
        out[keep, c] = alpha * np.sign(column[keep])
    return out


@pytest.fixture
def layer_and_x():
    seed()
    layer = TernaryPointwise(COUT, use_bias=True, bias_initializer="ones")
    x = np.random.default_rng(1).normal(size=(2, 1, T, CIN)).astype(np.float32)
    layer(x)
    return layer, x


def test_shapes_and_weight_counts(layer_and_x):
    layer, x = layer_and_x
    assert layer(x).shape == (2, 1, T, COUT)
    assert [tuple(w.shape) for w in layer.weights] == [(1, 1, CIN, COUT), (COUT,)]
    assert layer.count_params() == CIN * COUT + COUT


def test_output_equals_numpy_reference(layer_and_x):
    layer, x = layer_and_x
    kernel = reference_kernel(layer.kernel.numpy()[0, 0])
    expected = x @ kernel + 1.0
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    # Each channel holds exactly {-alpha, 0, +alpha}.
    for column in layer.baked_kernel()[0][0, 0].T:
        assert len(np.unique(np.abs(column[column != 0]))) <= 1


def test_evaluation_uses_the_current_weights(layer_and_x):
    layer, x = layer_and_x
    before = layer(x, training=False).numpy()
    new = np.random.default_rng(2).normal(size=(1, 1, CIN, COUT)).astype(np.float32)
    layer.kernel.assign(new)
    after = layer(x, training=False).numpy()
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, x @ reference_kernel(new[0, 0]) + 1.0, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.baked_kernel()[0][0, 0], reference_kernel(new[0, 0]),
                               rtol=1e-6)


def test_straight_through_gradient_reaches_every_latent_weight(layer_and_x):
    layer, x = layer_and_x
    upstream = np.random.default_rng(3).normal(size=(2, 1, T, COUT)).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) * upstream)
    gradient = tape.gradient(loss, layer.kernel).numpy()[0, 0]
    # Identity STE: d loss / d w = d loss / d (ternary kernel) = sum_t x^T upstream,
    # also for weights whose ternary code is 0.
    expected = np.einsum("bti,bto->io", x[:, 0], upstream[:, 0])
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-4)


def test_config_round_trip(layer_and_x):
    layer, _ = layer_and_x
    clone = TernaryPointwise.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_keras_file_reload_gives_identical_outputs(layer_and_x, tmp_path):
    _, x = layer_and_x
    seed()
    inputs = keras.Input((1, T, CIN))
    model = keras.Model(inputs, TernaryPointwise(COUT, threshold=0.5, use_bias=True)(inputs))
    path = tmp_path / "ternary.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(reloaded(x).numpy(), model(x).numpy())
    assert reloaded.layers[1].threshold == 0.5


def test_baked_kernel_in_a_plain_conv_equals_the_layer(layer_and_x):
    layer, x = layer_and_x
    kernel, bias = layer.baked_kernel()
    conv = keras.layers.Conv2D(COUT, 1)
    conv.build(x.shape)
    conv.set_weights([kernel, bias])
    np.testing.assert_allclose(conv(x).numpy(), layer(x).numpy(), rtol=1e-6, atol=1e-6)


def test_stored_parts_are_2_bit_codes_and_float32_scales_per_channel(layer_and_x):
    layer, _ = layer_and_x
    assert layer.stored_parts() == [StoredPart("ternary codes", CIN * COUT, 2),
                                    StoredPart("ternary scales", COUT, 32)]  # the bias is the conv's
    assert layer.stored_kind == "ternary"
    codes, alpha = layer.ternary_codes()
    assert set(np.unique(codes)) <= {-1, 0, 1} and codes.shape == (CIN, COUT)
    np.testing.assert_allclose(codes * alpha, layer.baked_kernel()[0][0, 0], rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0), "filters must be an int >= 1, got 0"),
    (dict(filters=4, threshold=0.0), "threshold must be in (0, 1], got 0.0"),
])
def test_bad_arguments_name_the_value(kwargs, message):
    with pytest.raises(TpwError) as error:
        TernaryPointwise(**kwargs)
    assert message in str(error.value)
