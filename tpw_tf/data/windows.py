"""Cutting and scaling windows, shared by the ECG loaders."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly


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


def standardize(x: np.ndarray, axis) -> np.ndarray:
    """Zero mean, unit variance over ``axis`` (per window), float32; flat windows stay 0."""
    mean = x.mean(axis=axis, keepdims=True)
    std = x.std(axis=axis, keepdims=True)
    return ((x - mean) / (std + 1e-6)).astype(np.float32)


def resample(signal: np.ndarray, fs: float, target: float) -> np.ndarray:
    """``(L, C)`` signal from ``fs`` to ``target`` Hz by polyphase filtering (identity if equal)."""
    if fs == target:
        return signal
    ratio = Fraction(target / fs).limit_denominator(1000)
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
