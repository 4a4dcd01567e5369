"""The training loop: determinism, EMA, NaN guard, class balancing, BatchNorm, options."""
import dataclasses
import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tpw_tf.data import Split
from tpw_tf.errors import TpwError
from tpw_tf.train import Recipe, TrainStep, class_weights, train

from conftest import tiny_cnn, tiny_hypertinypw, weights_of


def test_same_seed_same_weights(small):
    runs = [weights_of(train(tiny_hypertinypw(small, seed=0), small, epochs=1, seed=0, batch_size=32,
                             progress=False, soft_f1_weight=0.5, spectral_weight=1e-3, l1_weight=1e-4))
            for _ in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def test_training_lowers_the_loss_and_reports_progress(small, capfd):
    history = []
    model = tiny_hypertinypw(small)
    train(model, small, epochs=3, seed=0, batch_size=16, history=history)
    err = capfd.readouterr().err
    assert "epoch 3/3" in err and "val_macro_f1=" in err
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    assert all(h["skipped_steps"] == 0 and 0.0 <= h["val_macro_f1"] <= 1.0 for h in history)


def test_non_finite_steps_are_skipped_and_reported(small, capfd):
    train_split = small.splits["train"]
    x = train_split.x.copy()
    # A Split refuses NaN windows, but finite ones can still overflow: the convolutions of this
    # window reach inf and then NaN. It falls in exactly one batch per epoch.
    x[5] = np.finfo(np.float32).max
    dataset = dataclasses.replace(small, splits={**small.splits, "train": Split(x, train_split.y, train_split.groups)})
    history = []
    model = train(tiny_cnn(dataset), dataset, epochs=2, seed=0, batch_size=16, progress=False,
                  history=history)
    assert [h["skipped_steps"] for h in history] == [1, 1]
    assert len(re.findall(r"non-finite loss or gradient .* step skipped", capfd.readouterr().err)) == 2
    assert all(np.isfinite(w).all() for w in weights_of(model))


def test_ema_update_follows_the_warmed_up_decay(small):
    model = tiny_cnn(small)
    step = TrainStep(model, Recipe.from_options(ema_decay=0.9), None, np.ones(3, np.float32))
    before = weights_of(model)
    step.apply([tf.ones_like(v) for v in model.trainable_variables])
    decay = min(0.9, 2.0 / 11.0)  # first update: (1 + 1) / (10 + 1)
    for old, live, shadow in zip(before, model.trainable_variables, step.ema):
        np.testing.assert_allclose(shadow.numpy(), decay * old + (1 - decay) * live.numpy(), rtol=1e-6)
        assert not np.allclose(live.numpy(), old)


def test_returned_model_holds_ema_weights_not_the_last_step(small):
    live, averaged = (train(tiny_cnn(small), small, epochs=1, seed=0, batch_size=16, progress=False,
                            ema_decay=decay) for decay in (0.0, 0.99))
    assert not all(np.allclose(a, b) for a, b in zip(weights_of(live), weights_of(averaged)))


def test_class_weights_are_inverse_priors():
    np.testing.assert_allclose(class_weights(np.array([0, 0, 0, 1]), 3), [4 / 9, 4 / 3, 0.0])


def test_batchnorm_statistics_describe_the_returned_weights(small):
    model = train(tiny_hypertinypw(small), small, epochs=1, seed=0, batch_size=16, progress=False)
    stem = keras.Model(model.inputs, model.get_layer("stem_conv").output)
    out = stem.predict_on_batch(small.splits["train"].x)
    # Over all 144 windows (9 equal batches of 16) the mean of batch means is the overall mean.
    np.testing.assert_allclose(model.get_layer("stem_bn").moving_mean.numpy(), out.mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("options, message", [
    (dict(focal=1.0), "unknown training option 'focal'"),
    (dict(l1_weight=-1.0), "l1_weight must be >= 0, got -1.0"),
    (dict(kd_alpha=1.5), "kd_alpha must be in [0, 1], got 1.5"),
    (dict(augment="maybe"), "training option augment must be true or false, got 'maybe'"),
    (dict(learning_rate="fast"), "training option learning_rate must be a number, got 'fast'"),
    (dict(bn_batches=2.5), "training option bn_batches must be a whole number, got 2.5"),
    (dict(l1_patterns=[1]), "training option l1_patterns must be a list of names, got [1]"),
])
def test_bad_options_are_one_line_errors(small, options, message):
    with pytest.raises(TpwError, match=re.escape(message)):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, **options)


def test_terms_without_targets_are_errors(small):
    with pytest.raises(TpwError, match="no GeneratedPointwise layer"):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, spectral_weight=0.1)
    with pytest.raises(TpwError, match="matches l1_patterns"):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, l1_weight=0.1)


def test_cosine_decay_spans_the_run(small):
    model = tiny_cnn(small)
    step = TrainStep(model, Recipe.from_options(learning_rate=0.01, cosine_decay=True), None,
                     np.ones(3, np.float32), total_steps=4)
    rates = []
    for _ in range(4):
        step.apply([tf.zeros_like(v) for v in model.trainable_variables])
        rates.append(float(step.optimizer.learning_rate))  # the rate that update used
    np.testing.assert_allclose(rates, [0.01 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(4)], rtol=1e-5)
