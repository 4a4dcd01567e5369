"""The one structure every dataset loader returns.

Every loader turns its source into windows shaped ``(N, 1, T, C)`` float32: the
1-D signal is laid out as a one-row image so the whole zoo can use Conv2D /
DepthwiseConv2D with ``(1, k)`` kernels (tensorflow-model-optimization and the
TFLite converter handle those; they do not handle the 1-D layers).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tpw_tf.errors import DataError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    """One split of a dataset.

    Attributes:
        x: float32 ``(N, 1, T, C)`` windows.
        y: int64 ``(N,)`` class indices.
        groups: ``(N,)`` str, the record / patient / speaker each window came
            from. No group may appear in two splits of one dataset.

    Raises:
        ValueError: shapes disagree (a bug in a loader).
        DataError: ``x`` holds NaN or Inf, naming the first such window's group
            (bad input that reached the windows; no model may train on it).
    """

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray

    def __post_init__(self):
        n = len(self.x)
        if self.x.ndim != 4 or self.x.shape[1] != 1:
            raise ValueError(f"x must be (N, 1, T, C), got {self.x.shape}")
        if len(self.y) != n or len(self.groups) != n:
            raise ValueError(
                f"x, y, groups disagree in length: {n}, {len(self.y)}, {len(self.groups)}")
        finite = np.isfinite(self.x).all(axis=(1, 2, 3))
        if not finite.all():
            first = int(np.argmin(finite))
            raise DataError(f"{int(np.sum(~finite))} of {n} windows hold NaN or Inf, the "
                            f"first (window {first}) from '{self.groups[first]}'")

    def __len__(self) -> int:
        return len(self.x)

    @classmethod
    def empty(cls, window: int, channels: int) -> "Split":
        return cls(np.zeros((0, 1, window, channels), np.float32),
                   np.zeros((0,), np.int64), np.zeros((0,), str))


@dataclass(frozen=True)
class Dataset:
    """Splits plus what a user needs to read them.

    Attributes:
        name: registry name (``synthetic``, ``apnea``, ``mitdb``, ``ptbxl``, ``speech``).
        splits: ``{"train": Split, "val": Split, "test": Split}``; a split may be empty.
        sample_rate: samples (or frames) per second along the T axis.
        class_names: one name per class index.
        info: loader-specific facts (hours, clips, missing records, options used).
    """

    name: str
    splits: dict[str, Split]
    sample_rate: float
    class_names: tuple[str, ...]
    info: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.splits["train"].x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def priors(self, split: str) -> np.ndarray:
        """Fraction of each class in ``split`` (zeros for an empty split)."""
        y = self.splits[split].y
        counts = np.bincount(y, minlength=self.num_classes).astype(np.float64)
        return counts / max(len(y), 1)

    def require(self, split: str) -> Split:
        """Return ``split``, or raise DataError naming it when it is empty."""
        s = self.splits[split]
        if len(s) == 0:
            raise DataError(f"dataset '{self.name}': split '{split}' is empty")
        return s
