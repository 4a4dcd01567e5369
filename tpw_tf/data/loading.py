"""Pieces every real-data loader shares: split plans, joining per-record windows, naming
absent records, and the array cache (option checks: :mod:`tpw_tf.data.options`)."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from tpw_tf.data import array_cache, hrv, windows
from tpw_tf.data.base import Dataset, Split


def join(pieces: list[tuple[np.ndarray, np.ndarray, str]], length: int, channels: int) -> Split:
    """One Split from per-group pieces.

    Args:
        pieces: ``(x (n, T, C) float32, y (n,) int, group)`` per record / speaker.
        length, channels: ``T`` and ``C``, for the shape of an empty split.
    """
    pieces = [p for p in pieces if len(p[1])]
    if not pieces:
        return Split.empty(length, channels)
    x = np.concatenate([p[0] for p in pieces])[:, None].astype(np.float32, copy=False)
    y = np.concatenate([np.asarray(p[1], np.int64) for p in pieces])
    groups = np.concatenate([np.full(len(p[1]), p[2]) for p in pieces])
    return Split(x, y, groups)


def window_inputs(signal: np.ndarray, starts: np.ndarray, length: int, fs: float, *,
                  normalize: bool, peaks: np.ndarray | None = None) -> np.ndarray:
    """Model inputs for the windows of ``signal`` ``(L, C)`` starting at ``starts``.

    With ``peaks`` (the record's R-peak samples): the 16 HRV features of each
    window, ``(n, 16, 1)``. Otherwise the samples, ``(n, length, C)``, z-scored
    per window and channel when ``normalize``.
    """
    if peaks is not None:
        return hrv.features_from_peaks(hrv.window_peaks(peaks, starts, length), length, fs)[:, 0]
    x = windows.take(signal, starts, length)
    return windows.standardize(x, axis=1) if normalize else x


def warn_absent(folder: Path, absent: list[str], what: str = "record") -> None:
    """Warn, naming them, about expected records the folder does not hold."""
    if absent:
        warnings.warn(f"{folder}: {len(absent)} {what}(s) absent, their splits are smaller: "
                      f"{' '.join(absent)}", stacklevel=3)


def hours_per_split(seconds: dict[str, float]) -> dict[str, float]:
    return {split: round(s / 3600.0, 3) for split, s in seconds.items()}


def planned(plan: dict[str, tuple], records: list[str] | None) -> dict[str, list]:
    """The split plan ``{split: record names}`` cut to ``records`` (None: all)."""
    return {part: [n for n in names if records is None or n in records]
            for part, names in plan.items()}


def plan_files(plan: dict[str, list], extensions) -> list[str]:
    """``<record>.<extension>`` of every planned record."""
    return [f"{n}.{ext}" for names in plan.values() for n in names for ext in extensions]


def cached_or_built(name: str, options: dict, folder: Path, files: list[str],
                    build: Callable[[], Dataset], *, cache: bool, cache_dir) -> Dataset:
    """``build()`` through :func:`tpw_tf.data.array_cache.cached` unless ``cache`` is False;
    ``files`` (relative to ``folder``) are the ones the load plan names."""
    if not cache:
        return build()
    return array_cache.cached(name, options, folder, files, build, root=cache_dir)
