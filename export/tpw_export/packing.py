"""How the device stores numbers: Eq. 4 bytes, and generator-side parameters as symmetric
integers with one float32 scale per tensor.

NumPy only, so command lines can read ``PACKING_BITS`` without loading TensorFlow.
"""
from __future__ import annotations

import math

import numpy as np

PACKING_BITS = (4, 6, 8)
SCALE_BITS = 32  # the float32 scale of each packed tensor


def packed_bytes(count: int, bits: int) -> int:
    """Eq. 4: bytes of ``count`` numbers packed at ``bits`` each, ``ceil(count * bits / 8)``."""
    return math.ceil(count * bits / 8)


def quantize_symmetric(values: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """Integer codes in ``[-(2^(b-1)-1), 2^(b-1)-1]`` and the one scale that restores them."""
    qmax = 2 ** (bits - 1) - 1
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    scale = peak / qmax if peak > 0 else 1.0
    return np.clip(np.round(values / scale), -qmax, qmax).astype(np.int32), np.float32(scale)


def fake_quantize(values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` after a round trip through :func:`quantize_symmetric`."""
    codes, scale = quantize_symmetric(values, bits)
    return (codes * scale).astype(values.dtype)
