"""Cutting and scaling windows, shared by the ECG loaders."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly


def take(signal: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Windows ``signal[s : s + length]`` for each start, edge-padded where they overhang.

    Args:
        signal: ``(L, C)`` samples.
        starts: ``(N,)`` int start indices; may be negative or run past ``L``
            (beats near a record's ends keep their window, padded with edge values).
        length: samples per window.

    Returns:
        float32 ``(N, length, C)``.
    """
    starts = np.asarray(starts, np.int64)
    padded = np.pad(signal, ((length, length), (0, 0)), mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, length, axis=0)  # (L', C, length)
    return np.ascontiguousarray(view[starts + length].transpose(0, 2, 1), np.float32)


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
