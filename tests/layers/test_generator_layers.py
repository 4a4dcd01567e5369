"""The generator layers keep the Keras layer contract and compute Eq. 1-3."""
import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

import tpw_tf  # noqa: F401
from tpw_tf.layers import (HEADS, ExpandsToKernel, GeneratedPointwise, LayerCode, PointwiseGenerator,
                           SharedHead, StoresParts)
from tpw_tf.models import build_model

SHAPE = (1, 64, 2)
CONFIG = dict(width=8, depth=3, stem_filters=4, d_z=3, d_h=5, hidden_units=6, rank=2, kernel_size=3)


def small_model(head):
    keras.utils.set_random_seed(1)
    return build_model("hypertinypw", SHAPE, 3, head=head, **CONFIG)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).standard_normal((4, *SHAPE)).astype(np.float32)


@pytest.mark.parametrize("layer", [PointwiseGenerator(5, hidden_units=6, activation="relu", name="g"),
                                   LayerCode(3, stddev=0.5, name="z"),
                                   GeneratedPointwise(4, head="factorized", use_bias=False, name="pw"),
                                   SharedHead(6, use_bias=False, name="head_B")])
def test_config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: PointwiseGenerator(0), "d_h=0"),
    (lambda: LayerCode(-1), "d_z=-1"),
    (lambda: GeneratedPointwise(0), "filters=0"),
    (lambda: GeneratedPointwise(4, head="dense"), "head='dense'"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_generator_is_a_two_layer_mlp():
    g = PointwiseGenerator(5, hidden_units=6)
    z = np.random.default_rng(1).standard_normal((1, 3)).astype(np.float32)
    h = g(z).numpy()  # builds the weights
    w1, b1, w2, b2 = (w.numpy() for w in (g.hidden_kernel, g.hidden_bias, g.output_kernel, g.output_bias))
    np.testing.assert_allclose(h, np.tanh(z @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("head", HEADS)
def test_generated_layer_equals_a_conv_with_its_kernel(head, x):
    """Eq. 2/3 by numpy: the layer's output is a 1x1 convolution with W_l."""
    model = small_model(head)
    layer = model.get_layer("block2_pw")
    u = keras.Model(model.inputs, layer.inbound_nodes[0].input_tensors[1])(x).numpy()
    features = keras.Model(model.inputs, layer.inbound_nodes[0].input_tensors[0])(x).numpy()
    if head == "shared_basis":
        kernel = u.reshape(layer.in_channels, layer.filters) * layer.scale.numpy()
    else:
        kernel = (u @ layer.head_kernel.numpy()).reshape(layer.in_channels, layer.filters)
    expected = features @ kernel
    np.testing.assert_allclose(layer([features, u]).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("head", HEADS)
def test_one_generator_and_per_head_weight_counts(head):
    model = small_model(head)
    generators = [l for l in model.layers if isinstance(l, PointwiseGenerator)]
    assert len(generators) == 1
    d_z, d_h, hidden, width, r = (CONFIG[k] for k in ("d_z", "d_h", "hidden_units", "width", "rank"))
    assert generators[0].count_params() == d_z * hidden + hidden + hidden * d_h + d_h
    generated = [l for l in model.layers if isinstance(l, GeneratedPointwise)]
    assert len(generated) == CONFIG["depth"] - 1  # PW1 stays a stored kernel
    own = {"full": d_h * width * width, "factorized": r * width * width, "shared_basis": width}[head]
    assert all(l.count_params() == own for l in generated)
    shared = {"full": 0, "factorized": d_h * r, "shared_basis": d_h * width * width}[head]
    heads = [l for l in model.layers if isinstance(l, SharedHead)]
    assert sum(l.count_params() for l in heads) == shared


@pytest.mark.parametrize("head", HEADS)
def test_stored_parts_are_every_generator_side_weight_packed(head):
    """What the layers say the device stores is exactly the weights that make kernels."""
    model = small_model(head)
    stored = [l for l in model.layers if isinstance(l, StoresParts)]
    parts = [part for layer in stored for part in layer.stored_parts()]
    assert all(part.bits is None and part.count == part.weight.shape.num_elements() for part in parts)
    assert {id(part.weight) for part in parts} == {id(w) for l in stored for w in l.weights}
    expected = {"generator", "codes", "heads"} | ({"channel scales"} if head == "shared_basis" else set())
    assert {part.group for part in parts} == expected
    expanded = [l.name for l in model.layers if isinstance(l, ExpandsToKernel)]
    assert expanded == [f"block{i}_pw" for i in range(2, CONFIG["depth"] + 1)]  # PW1 is stored


@pytest.mark.parametrize("head", HEADS)
def test_keras_save_and_reload_gives_identical_outputs(head, x, tmp_path):
    model = small_model(head)
    # Move BatchNorm statistics off their defaults so the outputs depend on every weight.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_variance.assign(np.full(layer.moving_variance.shape, 0.3, np.float32))
    path = tmp_path / f"{head}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    assert len(reloaded.weights) == len(model.weights)


@pytest.mark.parametrize("head", HEADS)
def test_gradients_reach_codes_generator_and_heads(head, x):
    model = small_model(head)
    y = tf.one_hot([0, 1, 2, 0], 3)
    with tf.GradientTape() as tape:
        loss = keras.losses.categorical_crossentropy(y, model(x, training=True))
    wanted = [w for w in model.trainable_weights
              if any(key in w.name for key in ("code", "generator", "head_", "scale"))]
    grads = tape.gradient(loss, wanted)
    assert wanted and all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


@pytest.mark.parametrize("config, message", [
    (dict(head="dense"), "head must be one of full, factorized, shared_basis, got 'dense'"),
    (dict(depth=1), "depth must be >= 2"),
    (dict(d_z=0), "d_z must be an int >= 1, got 0"),
    (dict(heads="full"), "unknown config keys ['heads']"),
])
def test_bad_model_config_is_named(config, message):
    from tpw_tf.errors import TpwError

    with pytest.raises(TpwError, match=re.escape(message)):
        build_model("hypertinypw", SHAPE, 3, **config)
