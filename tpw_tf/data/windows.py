"""Cutting and scaling windows, shared by the ECG loaders."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import butter, resample_poly, sosfiltfilt


def fits(starts: np.ndarray, length: int, total: int) -> np.ndarray:
    """Bool ``(N,)``: which windows ``[s, s + length)`` lie wholly inside ``total`` samples."""
    starts = np.asarray(starts, np.int64)
    return (starts >= 0) & (starts + length <= total)


def take(signal: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Windows ``signal[s : s + length]`` for each start.

    A window is never made from samples that do not exist: callers keep only
    the starts :func:`fits` accepts (loaders drop the others and say so).

    Args:
        signal: ``(L, C)`` samples.
        starts: ``(N,)`` int start indices, each with ``0 <= s <= L - length``.
        length: samples per window, >= 1.

    Returns:
        float32 ``(N, length, C)``.

    Raises:
        ValueError: a window overhangs the signal, or ``length`` < 1.
    """
    starts = np.asarray(starts, np.int64)
    if length < 1 or not fits(starts, length, len(signal)).all():
        raise ValueError(f"windows of {length} samples at starts {starts.min(initial=0)}.."
                         f"{starts.max(initial=0)} overhang a signal of {len(signal)} samples")
    if not len(starts):
        return np.zeros((0, length, signal.shape[1]), np.float32)
    view = np.lib.stride_tricks.sliding_window_view(signal, length, axis=0)  # (L', C, length)
    return np.ascontiguousarray(view[starts].transpose(0, 2, 1), np.float32)


def spread(x: np.ndarray, axis) -> np.ndarray:
    """The standard deviation over ``axis`` (kept), plus 1e-6 so a flat window divides to 0."""
    return x.std(axis=axis, keepdims=True) + 1e-6


def standardize(x: np.ndarray, axis) -> np.ndarray:
    """Zero mean, unit variance over ``axis`` (per window), float32; flat windows stay 0."""
    return ((x - x.mean(axis=axis, keepdims=True)) / spread(x, axis)).astype(np.float32)


def resample(signal: np.ndarray, fs: float, target: float) -> np.ndarray:
    """``(L, C)`` signal from ``fs`` to ``target`` Hz by polyphase filtering (identity if equal)."""
    if fs == target:
        return signal
    ratio = Fraction(target / fs).limit_denominator(1000)
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)


def remove_baseline(signal: np.ndarray, fs: float, cutoff_hz: float = 0.5) -> np.ndarray:
    """``(L, C)`` signal without its baseline wander: a zero-phase 2nd-order Butterworth high-pass.

    0.5 Hz keeps the QRS complex and the ST segment (AHA recommendation for
    diagnostic ECG filtering; Kligfield et al., Circulation 2007) and removes
    respiration and electrode drift, which differ from patient to patient.
    Forward-backward filtering (``scipy.signal.sosfiltfilt``) keeps every wave
    where it was, so beat annotations still point at their beats.
    """
    sos = butter(2, cutoff_hz, "highpass", fs=fs, output="sos")
    return sosfiltfilt(sos, np.asarray(signal, np.float64), axis=0).astype(np.float32)


def scale_to_beats(signal: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """``(L, C)`` signal divided, per channel, by the median peak amplitude of its beats.

    Each beat's amplitude is the largest ``|sample|`` within 50 ms of its
    annotation; the median over the record is the patient's typical beat, so a
    beat twice as tall as the patient's usual ones reads 2 whatever the gain or
    electrode placement. Unlike a z-score per window, this keeps the size of a
    beat relative to the patient's others (ventricular beats are often larger).
    A channel whose median is 0 is left unscaled.

    Args:
        signal: ``(L, C)`` baseline-free samples.
        beats: ``(n,)`` sample indices of the record's beats (n >= 1).
        fs: samples per second.
    """
    half = max(int(round(0.05 * fs)), 1)
    peaks = np.abs(np.lib.stride_tricks.sliding_window_view(
        np.pad(signal, ((half, half), (0, 0))), 2 * half + 1, axis=0))   # (L, C, 2 half + 1)
    amplitude = np.median(peaks[np.clip(beats, 0, len(signal) - 1)].max(axis=2), axis=0)  # (C,)
    return (signal / np.where(amplitude > 0, amplitude, 1.0)).astype(np.float32)


def template_difference(x: np.ndarray, beats: int) -> np.ndarray:
    """Each beat window minus the patient's recent typical beat, float32 ``(N, T, C)``.

    The template of window ``i`` is the sample-wise median of the ``beats`` windows
    before it (``x[max(i - beats, 0) : i]``; the first window is its own template), so
    it is causal: a device keeps the last ``beats`` windows and the same median. The
    median follows the patient's dominant morphology (normal, or bundle-branch-block
    beats in a patient who has them) and ignores occasional ectopic beats, so what is
    left is how this beat departs from the patient's own norm, the cue that carries
    across patients (beat-to-template comparison; e.g. Hamilton & Tompkins' template
    matching, and the "average beat" features of de Chazal et al., 2004).

    Args:
        x: ``(N, T, C)`` consecutive beat windows of one record, in beat order.
        beats: windows in the template, >= 1.
    """
    out = np.empty_like(x, dtype=np.float32)
    for i in range(len(x)):
        out[i] = x[i] - np.median(x[max(i - beats, 0):max(i, 1)], axis=0)
    return out
