"""Pieces every real-data loader shares: joining per-record windows, naming absent records."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from tpw_tf.data.base import Split


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


def warn_absent(folder: Path, absent: list[str], what: str = "record") -> None:
    """Warn, naming them, about expected records the folder does not hold."""
    if absent:
        warnings.warn(f"{folder}: {len(absent)} {what}(s) absent, their splits are smaller: "
                      f"{' '.join(absent)}", stacklevel=3)


def hours_per_split(seconds: dict[str, float]) -> dict[str, float]:
    return {split: round(s / 3600.0, 3) for split, s in seconds.items()}
