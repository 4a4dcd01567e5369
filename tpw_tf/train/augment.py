"""Training-time augmentation: new variants of each batch, drawn from the loop's seeded generator.

Two kinds, picked by what the windows hold (:func:`augmenter_for`):

* ECG samples (``apnea``, ``mitdb``, ``ptbxl``, ``synthetic``), on the signal
  channels only (``info["signal_channels"]`` first channels; MIT-BIH's RR
  context channels after them are facts about the rhythm, not samples):
  amplitude scaling, baseline wander, white noise and a time shift — the
  recording differences between patients (electrode gain and placement,
  respiration, muscle and amplifier noise, where the window lands on the beat).
* MFCC images (``speech``): a time shift and SpecAugment-style masks (Park
  et al., Interspeech 2019: one block of frames and one of coefficients set to
  the clip's mean).

Strengths are in the units of the loaders' outputs (z-scored or beat-scaled
samples: a normal beat's peak is about 1), chosen to stay inside what real
recordings show: gains of 0.8-1.25, wander up to 0.1 at 0.05-0.5 Hz, noise of
s.d. up to 0.05, shifts up to 2% of the window.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tpw_tf.data import Dataset
from tpw_tf.errors import TpwError

Augmenter = Callable[[np.ndarray, np.random.Generator], np.ndarray]

GAIN = (0.8, 1.25)          # amplitude factor range
WANDER = 0.1                # largest baseline-wander amplitude
WANDER_HZ = (0.05, 0.5)     # its frequency range
NOISE = 0.05                # largest white-noise s.d.
SHIFT = 0.02                # largest time shift, fraction of the window
TIME_MASK, FREQ_MASK = 0.1, 0.125  # largest SpecAugment masks, fractions of frames / coefficients


def _shift(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each window rolled along T by up to :data:`SHIFT` of its length (the samples wrap)."""
    most = int(SHIFT * x.shape[2])
    if most == 0:
        return x
    offsets = rng.integers(-most, most + 1, size=len(x))
    index = (np.arange(x.shape[2])[None, :] - offsets[:, None]) % x.shape[2]
    return np.take_along_axis(x, index[:, None, :, None], axis=2)


def ecg(signal_channels: int, sample_rate: float) -> Augmenter:
    """The ECG augmenter of windows ``(B, 1, T, C)``; channels from ``signal_channels`` on pass unchanged."""
    def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = x.copy()
        s = x[..., :signal_channels]
        b, _, t, c = s.shape
        gain = np.exp(rng.uniform(*np.log(GAIN), size=(b, 1, 1, c)))
        seconds = np.arange(t) / sample_rate
        hz = rng.uniform(*WANDER_HZ, size=(b, 1, 1, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(b, 1, 1, 1))
        wander = rng.uniform(0, WANDER, size=(b, 1, 1, c)) * np.sin(
            2 * np.pi * hz * seconds[None, None, :, None] + phase)
        noise = rng.uniform(0, NOISE, size=(b, 1, 1, c)) * rng.standard_normal(s.shape)
        x[..., :signal_channels] = _shift(s * gain + wander + noise, rng)
        return x.astype(np.float32)

    return augment


def spectrogram(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The MFCC augmenter of windows ``(B, 1, frames, coefficients)``: shift, then one time and one
    frequency mask per clip, filled with the clip's mean."""
    x = _shift(x, rng).copy()
    b, _, t, c = x.shape
    mean = x.mean(axis=(1, 2, 3))
    for i in range(b):
        width = rng.integers(0, int(TIME_MASK * t) + 1)
        start = rng.integers(0, t - width + 1)
        x[i, :, start:start + width, :] = mean[i]
        width = rng.integers(0, int(FREQ_MASK * c) + 1)
        start = rng.integers(0, c - width + 1)
        x[i, :, :, start:start + width] = mean[i]
    return x.astype(np.float32)


def augmenter_for(dataset: Dataset) -> Augmenter:
    """The augmenter of ``dataset``'s windows.

    Raises:
        TpwError: HRV feature windows (``info["features"] == "hrv"``: 16 numbers, not samples).
    """
    if dataset.info.get("features") == "hrv":
        raise TpwError(f"training option augment: dataset '{dataset.name}' holds HRV features, not "
                       "samples; train without augment")
    if dataset.name == "speech":
        return spectrogram
    return ecg(dataset.info.get("signal_channels", dataset.input_shape[-1]), dataset.sample_rate)
