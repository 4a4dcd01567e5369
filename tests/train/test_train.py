"""The training loop: determinism, EMA, NaN guard, class balancing, BatchNorm, teacher cache, options."""
import dataclasses
import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tpw_tf.data import Split
from tpw_tf.errors import TpwError
from tpw_tf.train import (Recipe, TrainStep, cached_teacher, class_weights, predict, teacher_key,
                          train)

from conftest import tiny_cnn, tiny_hypertinypw


def _weights(model):
    return [w.numpy() for w in model.weights]


def test_same_seed_same_weights(small):
    runs = [_weights(train(tiny_hypertinypw(small, seed=0), small, epochs=1, seed=0, batch_size=32,
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
    x[5, 0, 100, 0] = np.nan  # the one poisoned window falls in exactly one batch per epoch
    dataset = dataclasses.replace(small, splits={**small.splits, "train": Split(x, train_split.y, train_split.groups)})
    history = []
    model = train(tiny_cnn(dataset), dataset, epochs=2, seed=0, batch_size=16, progress=False,
                  history=history)
    assert [h["skipped_steps"] for h in history] == [1, 1]
    assert len(re.findall(r"non-finite loss or gradient .* step skipped", capfd.readouterr().err)) == 2
    assert all(np.isfinite(w).all() for w in _weights(model))


def test_ema_update_follows_the_warmed_up_decay(small):
    model = tiny_cnn(small)
    step = TrainStep(model, Recipe.from_options(ema_decay=0.9), None, np.ones(3, np.float32))
    before = _weights(model)
    step.apply([tf.ones_like(v) for v in model.trainable_variables])
    decay = min(0.9, 2.0 / 11.0)  # first update: (1 + 1) / (10 + 1)
    for old, live, shadow in zip(before, model.trainable_variables, step.ema):
        np.testing.assert_allclose(shadow.numpy(), decay * old + (1 - decay) * live.numpy(), rtol=1e-6)
        assert not np.allclose(live.numpy(), old)


def test_returned_model_holds_ema_weights_not_the_last_step(small):
    live, averaged = (train(tiny_cnn(small), small, epochs=1, seed=0, batch_size=16, progress=False,
                            ema_decay=decay) for decay in (0.0, 0.99))
    assert not all(np.allclose(a, b) for a, b in zip(_weights(live), _weights(averaged)))


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
])
def test_bad_options_are_one_line_errors(small, options, message):
    with pytest.raises(TpwError, match=re.escape(message)):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, **options)


def test_terms_without_targets_are_errors(small):
    with pytest.raises(TpwError, match="no GeneratedPointwise layer"):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, spectral_weight=0.1)
    with pytest.raises(TpwError, match="matches l1_patterns"):
        train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, l1_weight=0.1)


def test_teacher_is_trained_once_and_cached(small, tmp_path, monkeypatch):
    monkeypatch.setenv("TPW_CACHE_DIR", str(tmp_path))
    config = dict(filters=(8, 16), convs_per_stage=1)
    first = cached_teacher(small, seed=0, epochs=1, progress=False, **config)
    [path] = (tmp_path / "teachers").iterdir()
    stamp = path.stat().st_mtime_ns
    second = cached_teacher(small, seed=0, epochs=1, progress=False, **config)
    assert path.stat().st_mtime_ns == stamp and len(list((tmp_path / "teachers").iterdir())) == 1
    x = small.splits["val"].x
    np.testing.assert_array_equal(predict(first, x), predict(second, x))
    assert teacher_key(small, seed=1, epochs=1, config=config) not in path.name
    assert teacher_key(small, seed=0, epochs=1, config=config) in path.name


def test_distillation_without_a_teacher_uses_the_cached_one(small, tmp_path, monkeypatch):
    monkeypatch.setenv("TPW_CACHE_DIR", str(tmp_path))
    teacher = tiny_cnn(small, seed=5, filters=10)
    path = tmp_path / "teachers" / f"{small.name}-{teacher_key(small, seed=0, epochs=1, config={})}.keras"
    path.parent.mkdir()
    teacher.save(path)
    options = dict(epochs=1, seed=0, batch_size=32, progress=False, kd_alpha=0.5, feature_weight=0.1,
                   teacher_epochs=1)
    from_cache = train(tiny_hypertinypw(small), small, **options)
    assert list(path.parent.iterdir()) == [path]  # loaded, not trained again
    alone = train(tiny_hypertinypw(small), small, **{**options, "kd_alpha": 0.0, "feature_weight": 0.0})
    assert not all(np.array_equal(a, b) for a, b in zip(_weights(from_cache), _weights(alone)))


def test_cosine_decay_spans_the_run(small):
    model = tiny_cnn(small)
    step = TrainStep(model, Recipe.from_options(learning_rate=0.01, cosine_decay=True), None,
                     np.ones(3, np.float32), total_steps=4)
    rates = []
    for _ in range(4):
        step.apply([tf.zeros_like(v) for v in model.trainable_variables])
        rates.append(float(step.optimizer.learning_rate))  # the rate that update used
    np.testing.assert_allclose(rates, [0.01 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(4)], rtol=1e-5)
