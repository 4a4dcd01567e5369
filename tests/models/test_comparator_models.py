"""Comparator zoo models: sizes, shapes, config checks, training, the VAE's KL term."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tpw_tf.errors import TpwError
from tpw_tf.models import build_model, names
from zoo_cases import NAMES, NUM_CLASSES, tiny, windows

PAPER_INPUT = (1, 1800, 1)
BN = 4  # gamma, beta, moving mean, moving variance per channel


def _conv(k, cin, cout):
    """A bias-free conv followed by BatchNorm."""
    return k * cin * cout + BN * cout


def _dense(cin, cout):
    return cin * cout + cout


def _separable(width, depth, stem, k, cin=1):
    blocks = sum(k * c + BN * c + _conv(1, c, width) for c in [stem] + [width] * (depth - 1))
    return _conv(k, cin, stem) + blocks


# Parameter counts at the default configs, recomputed from the architectures by hand.
EXPECTED_PARAMS = {
    "regular_cnn": sum(_conv(11, cin, cout) for cin, cout in
                       [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128),
                        (128, 256), (256, 256)]) + _dense(256, 5),
    "resnet1d_small": _conv(7, 1, 16)
    + _conv(7, 16, 16) + _conv(7, 16, 16) + _conv(1, 16, 16)        # stride-2 block: projection
    + _conv(7, 16, 32) + _conv(7, 32, 32) + _conv(1, 16, 32)
    + _conv(7, 32, 64) + _conv(7, 64, 64) + _conv(1, 32, 64) + _dense(64, 5),
    "tiny_separable_cnn": _separable(46, 7, 16, 7) + _dense(46, 5),
    "ternary_cnn": _separable(46, 7, 16, 7) + _dense(46, 5),
    "tiny_vae_head": _separable(46, 7, 16, 7) + 2 * _dense(46, 16) + _dense(16, 5),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_default_parameter_count_matches_the_architecture(name):
    assert build_model(name, PAPER_INPUT, 5).count_params() == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name, low, high", [("regular_cnn", 1.3e6, 1.5e6),
                                             ("resnet1d_small", 55e3, 65e3),
                                             ("tiny_separable_cnn", 16e3, 20e3)])
def test_default_sizes_are_the_papers(name, low, high):
    assert low <= EXPECTED_PARAMS[name] <= high


def test_hrv_featnet_is_linear_on_16_features():
    model = build_model("hrv_featnet", (1, 16, 1), 5)
    assert model.count_params() == _dense(16, 5)
    assert build_model("hrv_featnet", (1, 16, 1), 5, hidden=(8,)).count_params() == \
        _dense(16, 8) + _dense(8, 5)


def test_every_zoo_name_is_covered():
    assert set(NAMES) <= set(names())


@pytest.mark.parametrize("name", NAMES)
def test_outputs_are_probabilities_and_gap_holds_pooled_features(name):
    model = tiny(name)
    x, _ = windows(name)
    probabilities = model(x[:5]).numpy()
    assert probabilities.shape == (5, NUM_CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    if name != "hrv_featnet":
        assert model.get_layer("gap").output_shape[0] is None
        assert len(model.get_layer("gap").output_shape) == 2


@pytest.mark.parametrize("name", NAMES)
def test_one_training_step_moves_every_trainable_weight_group(name):
    model = tiny(name)
    x, y = windows(name)
    before = [w.numpy().copy() for w in model.trainable_weights]
    with tf.GradientTape() as tape:  # eager: no traced train function, fast
        loss = keras.losses.sparse_categorical_crossentropy(y[:16], model(x[:16], training=True))
        loss = tf.reduce_mean(loss) + tf.add_n(model.losses or [0.0])
    gradients = tape.gradient(loss, model.trainable_weights)
    keras.optimizers.Adam(1e-3).apply_gradients(zip(gradients, model.trainable_weights))
    assert np.isfinite(loss.numpy())
    moved = [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights)]
    assert all(moved), [w.name for w, m in zip(model.trainable_weights, moved) if not m]


@pytest.mark.parametrize("name, config, message", [
    ("tiny_separable_cnn", dict(width=0), "width must be an int >= 1, got 0"),
    ("tiny_separable_cnn", dict(downsample_blocks=-1), "downsample_blocks must be an int >= 0"),
    ("regular_cnn", dict(filters=()), "filters must be a non-empty list"),
    ("resnet1d_small", dict(kernel=3), "unknown config keys ['kernel']"),
    ("tiny_vae_head", dict(kl_weight=-1.0), "kl_weight must be a number >= 0, got -1.0"),
    ("hrv_featnet", dict(hidden=(0,)), "hidden must be a list of positive ints"),
])
def test_bad_config_is_a_one_line_error_naming_key_and_value(name, config, message):
    with pytest.raises(TpwError) as error:
        build_model(name, (1, 16, 1) if name == "hrv_featnet" else (1, 128, 1), 3, **config)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_hrv_featnet_rejects_another_input_shape():
    with pytest.raises(TpwError, match=r"input_shape must be \(1, 16, 1\), got \(1, 128, 1\)"):
        build_model("hrv_featnet", (1, 128, 1), 3)


def _kl(mu, logvar):
    return np.mean(-0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar), axis=-1))


def test_vae_kl_term_reaches_the_loss_and_inference_uses_the_mean():
    model = tiny("tiny_vae_head", kl_weight=0.5)
    x, _ = windows("tiny_vae_head")
    probe = keras.Model(model.inputs, [model.get_layer("latent_mu").output,
                                       model.get_layer("latent_logvar").output])
    # Training mode on both sides: BatchNorm then normalises with the batch's statistics.
    mu, logvar = (t.numpy() for t in probe(x[:8], training=True))
    model(x[:8], training=True)
    assert len(model.losses) == 1
    np.testing.assert_allclose(model.losses[0].numpy(), 0.5 * _kl(mu, logvar), rtol=1e-5)
    # Inference is the deterministic mean path; training samples around it.
    head = keras.Model(model.inputs, model.get_layer("latent_sample").output)
    mu_inference = probe(x[:8], training=False)[0].numpy()
    for _ in range(2):  # no noise at inference: every call returns the mean
        np.testing.assert_array_equal(head(x[:8], training=False).numpy(), mu_inference)
    assert not np.allclose(head(x[:8], training=True).numpy(), mu, atol=1e-3)


def test_vae_kl_gradient_reaches_the_logvar_branch():
    model = tiny("tiny_vae_head", kl_weight=1.0)
    x, _ = windows("tiny_vae_head")
    logvar_kernel = model.get_layer("latent_logvar").kernel
    with tf.GradientTape() as tape:
        model(x[:8], training=True)
        kl = tf.add_n(model.losses)
    gradient = tape.gradient(kl, logvar_kernel)
    assert gradient is not None and np.abs(gradient.numpy()).max() > 0


def test_vae_keras_file_reload_gives_identical_outputs_and_keeps_the_kl_term(tmp_path):
    from tpw_tf.layers import LatentSample

    model = tiny("tiny_vae_head", kl_weight=0.25)
    layer = model.get_layer("latent_sample")
    assert LatentSample.from_config(layer.get_config()).get_config() == layer.get_config()
    x, _ = windows("tiny_vae_head")
    path = tmp_path / "vae.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(reloaded(x[:8]).numpy(), model(x[:8]).numpy())
    reloaded(x[:8], training=True)
    model(x[:8], training=True)
    np.testing.assert_allclose(reloaded.losses[0].numpy(), model.losses[0].numpy(), rtol=1e-6)
