"""A built-in ECG-like dataset, so the main command runs offline in a minute.

Three rhythm classes, each window drawn from a simulated subject whose heart
rate, amplitude and noise level are its own:

* ``regular``   - sinus rhythm, P-QRS-T beats at a steady rate;
* ``ectopic``   - the same rhythm with one to three premature, wide beats
  without a P wave (ventricular-like);
* ``irregular`` - irregular RR intervals, no P waves, a fibrillatory
  baseline (atrial-fibrillation-like).

Classes differ in morphology and rhythm, both under baseline wander and noise,
so a small CNN learns them well but not perfectly. Subjects are disjoint
across splits, as they would be for patients.
"""
from __future__ import annotations

import numpy as np

from tpw_tf.data.base import Dataset, Split
from tpw_tf.data.options import integer

CLASS_NAMES = ("regular", "ectopic", "irregular")
SAMPLE_RATE = 100.0
WINDOW = 512
_SPLIT_SUBJECTS = {"train": 24, "val": 6, "test": 6}

# Gaussian waves of one beat: (centre offset s, width s, amplitude mV).
_SINUS_BEAT = ((-0.20, 0.025, 0.12), (-0.035, 0.010, -0.10), (0.0, 0.012, 1.0),
               (0.035, 0.012, -0.25), (0.25, 0.050, 0.30))
_ECTOPIC_BEAT = ((0.0, 0.035, 1.2), (0.07, 0.030, -0.45), (0.28, 0.070, -0.40))
_SINUS_NO_P = _SINUS_BEAT[1:]


def _render(t: np.ndarray, beat_times: list[tuple[float, tuple]], scale: float) -> np.ndarray:
    signal = np.zeros_like(t)
    for centre, waves in beat_times:
        for offset, width, amplitude in waves:
            signal += scale * amplitude * np.exp(-0.5 * ((t - centre - offset) / width) ** 2)
    return signal


def _window(rng: np.random.Generator, label: int, subject: dict) -> np.ndarray:
    t = np.arange(WINDOW) / SAMPLE_RATE
    rr = subject["rr"]
    beats = []
    time = -rng.uniform(0.0, rr)
    while time < t[-1] + 0.5:
        if label == 2:
            interval = rr * rng.uniform(0.6, 1.4)
            beats.append((time, _SINUS_NO_P))
        else:
            interval = rr * rng.normal(1.0, 0.03)
            beats.append((time, _SINUS_BEAT))
        time += interval
    if label == 1:
        inside = [i for i, (c, _) in enumerate(beats) if 0.3 < c < t[-1] - 0.3]
        for i in rng.choice(inside, size=min(len(inside), rng.integers(1, 4)), replace=False):
            centre = beats[i][0] - 0.35 * rr * rng.uniform(0.8, 1.0)
            beats[i] = (centre, _ECTOPIC_BEAT)
    x = _render(t, beats, subject["gain"])
    if label == 2:
        x += 0.05 * np.sin(2 * np.pi * rng.uniform(4.0, 7.0) * t + rng.uniform(0, 2 * np.pi))
    wander = 0.15 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
    noise = rng.normal(0.0, subject["noise"], size=t.shape)
    return (x + wander + noise).astype(np.float32)


def _split(rng: np.random.Generator, split: str, per_subject: int) -> Split:
    xs, ys, groups = [], [], []
    for s in range(_SPLIT_SUBJECTS[split]):
        subject = {"rr": 60.0 / rng.uniform(55, 110), "gain": rng.uniform(0.7, 1.4),
                   "noise": rng.uniform(0.04, 0.12)}
        for i in range(per_subject):
            label = i % len(CLASS_NAMES)
            xs.append(_window(rng, label, subject))
            ys.append(label)
            groups.append(f"{split}-s{s:02d}")
    x = np.stack(xs)[:, None, :, None]
    x = (x - x.mean(axis=2, keepdims=True)) / (x.std(axis=2, keepdims=True) + 1e-6)
    return Split(x.astype(np.float32), np.asarray(ys, np.int64), np.asarray(groups))


def load(*, data_dir=None, seed: int = 0, per_subject: int = 60) -> Dataset:
    """Generate the dataset; the same ``seed`` gives the same arrays.

    Args:
        data_dir: ignored (nothing is read); accepted so every loader takes it.
        seed: generator seed.
        per_subject: windows per simulated subject (balanced across classes).
    """
    del data_dir
    seed = integer("synthetic", "seed", seed, minimum=0)
    per_subject = integer("synthetic", "per_subject", per_subject, minimum=1)
    rng = np.random.default_rng(seed)
    splits = {name: _split(rng, name, per_subject) for name in _SPLIT_SUBJECTS}
    return Dataset("synthetic", splits, SAMPLE_RATE, CLASS_NAMES,
                   info={"seed": seed, "per_subject": per_subject, "window": WINDOW})
