"""Training-time augmentation: what each augmenter changes, what it leaves, and the loop using it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tpw_tf.data import hrv
from tpw_tf.errors import TpwError
from tpw_tf.train import augment, train
from conftest import tiny_cnn, weights_of


def ecg_batch(rng, n=64, t=180, leads=1, rr=4):
    """Beat-like windows: a unit spike in the middle of each lead, then constant RR channels."""
    x = np.zeros((n, 1, t, leads + rr), np.float32)
    x[:, 0, t // 2, :leads] = 1.0
    x[..., leads:] = rng.uniform(0.5, 2.0, size=(n, 1, 1, rr))
    return x


def test_ecg_augmenter_leaves_rr_channels_and_stays_in_its_ranges():
    x = ecg_batch(np.random.default_rng(0))
    out = augment.ecg(1, 180.0)(x, np.random.default_rng(1))
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_array_equal(out[..., 1:], x[..., 1:])
    signal = out[:, 0, :, 0]
    # the spike moved by at most 2% of 180 samples, and its height is the gain times 1, plus noise and wander
    where = signal.argmax(axis=1)
    assert np.all(np.abs(where - 90) <= int(augment.SHIFT * 180)) and len(set(where.tolist())) > 1
    margin = augment.WANDER + 4 * augment.NOISE
    assert np.all(signal.max(axis=1) <= augment.GAIN[1] + margin)
    assert np.all(signal.max(axis=1) >= augment.GAIN[0] - margin)
    assert np.std(signal.max(axis=1)) > 0.05  # gains differ from window to window


def test_ecg_augmenter_is_a_function_of_its_generator():
    x = ecg_batch(np.random.default_rng(0))
    a, b = (augment.ecg(1, 180.0)(x, np.random.default_rng(7)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, augment.ecg(1, 180.0)(x, np.random.default_rng(8)))


def test_spectrogram_masks_fill_one_block_of_frames_and_one_of_coefficients_with_the_mean():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 1, 101, 40)).astype(np.float32) + 3.0
    out = augment.spectrogram(x, np.random.default_rng(2))
    for clip, original in zip(out[:, 0], x[:, 0]):
        mean = original.mean()
        masked_frames = np.all(np.isclose(clip, mean), axis=1)
        masked_coefficients = np.all(np.isclose(clip, mean), axis=0)
        assert masked_frames.sum() <= int(augment.TIME_MASK * 101)
        assert masked_coefficients.sum() <= int(augment.FREQ_MASK * 40)
        for mask in (masked_frames, masked_coefficients):  # one contiguous block each
            assert np.sum(np.diff(mask.astype(int)) == 1) <= 1
    assert np.isclose(out, x.mean(axis=(1, 2, 3))[:, None, None, None]).any(axis=(1, 2, 3)).mean() > 0.5


def test_hrv_features_are_refused(small):
    features = hrv.hrv_features(small)
    with pytest.raises(TpwError, match="holds HRV features, not samples; train without augment"):
        augment.augmenter_for(features)


def test_training_with_augment_sees_other_batches_and_stays_deterministic(small):
    runs = [weights_of(train(tiny_cnn(small), small, epochs=1, seed=0, progress=False, augment=flag))
            for flag in (True, True, False)]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[2]))


def test_signal_channels_come_from_the_dataset(small):
    """The channels after ``info["signal_channels"]`` pass unchanged."""
    x = ecg_batch(np.random.default_rng(0), n=8, t=small.input_shape[1], leads=1, rr=1)
    outputs = [augment.augmenter_for(dataclasses.replace(small, info={**small.info, "signal_channels": c}))(
        x, np.random.default_rng(0)) for c in (1, 2)]
    np.testing.assert_array_equal(outputs[0][..., 1], x[..., 1])
    assert not np.array_equal(outputs[1][..., 1], x[..., 1])
