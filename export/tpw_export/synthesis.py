"""Kernel synthesis as the device computes it: one float32 routine, the same bytes everywhere.

The generated kernel of a ``GeneratedPointwise`` layer is computed from the *packed*
generator side only (integer codes and one float32 scale per tensor,
:func:`tpw_export.packing.quantize_symmetric`), with float32 arithmetic in a fixed order:

1. every stored number is ``float32(code) * scale`` (one rounded product);
2. a dot product sums ``a[k] * W[k, n]`` for ``k = 0, 1, ...`` into an accumulator that
   starts at ``0.0f``, rounding every product and every sum (no fused multiply-add:
   the runtime builds with ``-ffp-contract=off``), then adds the bias, if any;
3. ``tanh`` is :func:`tanh32`, built from ``+ - * /``, ``floor`` and a power-of-two
   scaling only, so no math library's ``tanhf`` / ``expf`` takes part;
4. Eq. 1: ``h = g(z) = W2 tanh(W1 z + b1) + b2``; Eq. 2 (``full``): ``W = H h``;
   Eq. 3 (``factorized``): ``W = A (B h)``; ``shared_basis``: ``W = diag(s) P h``;
5. the INT8 kernel (:func:`int8_kernel`): per output channel ``c``,
   ``step = max_i |W[i, c]| / 127`` and ``q = round_half_away(W / step)``.

IEEE-754 single precision rounds each ``+ - * /`` correctly, and ``floor``, ``fabs``
and power-of-two scaling are exact, so NumPy on the host and the runtime's
``decode_synth.cc`` on a Cortex-M4 (FPv4-SP, round to nearest even, no flush to zero)
produce the same bits for the same sequence of operations. This module is the
reference: bake writes its kernels, and the boot file's ancillary data is its input.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, replace

import numpy as np
import tf_keras as keras

from tpw_export.errors import ExportError
from tpw_export.packing import quantize_symmetric
from tpw_tf.layers import GeneratedPointwise, LayerCode, PointwiseGenerator, SharedHead

HEAD_IDS = {"full": 0, "factorized": 1, "shared_basis": 2}
INT8_MAX = 127
_F32 = np.float32

# tanh32's constants, written as the C++ decoder writes them (hex floats: no decimal
# rounding on either side). exp(r) on |r| <= ln2/2 is Taylor to r^7 (error < 6e-9
# relative); ln2 is split so that k * LN2_HI is exact for the k tanh32 uses.
_INV_LN2 = _F32(float.fromhex("0x1.715476p+0"))
_LN2_HI = _F32(float.fromhex("0x1.63p-1"))
_LN2_LO = _F32(float.fromhex("-0x1.bd0106p-13"))
_EXP_TAYLOR = [_F32(float.fromhex(h)) for h in
               ("0x1.a01a02p-13", "0x1.6c16c2p-10", "0x1.111112p-7", "0x1.555556p-5", "0x1.555556p-3", "0x1p-1")]
# float32 tanh(x) rounds to +-1 for |x| >= 9 (1 - tanh(9) = 3.0e-8 < half an ulp of 1).
_TANH_SATURATES = _F32(9.0)


def tanh32(x: np.ndarray) -> np.ndarray:
    """``tanh`` of float32 ``x`` (any shape) as ``decode_synth.cc`` computes it.

    ``tanh|x| = (1 - e) / (1 + e)`` with ``e = exp(-2|x|)``; ``exp(y) = 2^k exp(r)``,
    ``k = floor(y / ln2 + 1/2)``, ``r = y - k ln2``. Absolute error < 2e-7 against the
    exact tanh, so the packed Keras model (TensorFlow's tanh) and the baked one agree
    to well within 1e-5.
    """
    x = np.asarray(x, _F32)
    a = np.minimum(np.abs(x), _TANH_SATURATES)
    y = _F32(-2.0) * a
    k = np.floor(y * _INV_LN2 + _F32(0.5))
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _EXP_TAYLOR[0])
    for c in _EXP_TAYLOR[1:]:
        p = p * r + c
    p = p * r + _F32(1.0)
    p = p * r + _F32(1.0)
    e = np.ldexp(p, k.astype(np.int32)).astype(_F32)
    t = (_F32(1.0) - e) / (_F32(1.0) + e)
    t = np.where(a >= _TANH_SATURATES, _F32(1.0), t)
    return np.copysign(t, x).astype(_F32)


def dot32(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a @ w`` for ``a`` ``(K,)`` and ``w`` ``(K, N)`` float32, summed in order ``k = 0..K-1``
    from ``0.0f``, every product and sum rounded to float32 (step 2 of the module)."""
    acc = np.zeros(w.shape[1], _F32)
    for k in range(w.shape[0]):
        acc = acc + a[k] * w[k]
    return acc


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Nearest integer, ties away from zero (C's ``roundf``), exactly: ``|x| - floor|x|`` is
    exact in float32, where ``floor(|x| + 0.5)`` would round 0.49999997 up."""
    a = np.abs(x)
    whole = np.floor(a)
    return np.copysign(whole + (a - whole >= _F32(0.5)), x).astype(_F32)


@dataclass(frozen=True)
class PackedTensor:
    """A tensor as the device stores it: ``codes`` (int32, the tensor's shape, within
    ``+-(2^(bits-1) - 1)``) and one float32 ``scale``."""

    codes: np.ndarray
    scale: np.float32

    @classmethod
    def of(cls, values: np.ndarray, bits: int) -> PackedTensor:
        codes, scale = quantize_symmetric(np.asarray(values, _F32), bits)
        return cls(codes, _F32(scale))

    def values(self) -> np.ndarray:
        """Step 1: ``float32(code) * scale``, equal to ``packing.fake_quantize`` of the source."""
        return self.codes.astype(_F32) * self.scale


@dataclass(frozen=True)
class SynthesisParts:
    """Everything one generated kernel is made from, packed.

    Attributes:
        head: ``full``, ``factorized`` or ``shared_basis``.
        in_channels, filters: ``Cin`` and ``Cout`` of the kernel.
        generator: ``g``'s ``(hidden_kernel (d_z, n), hidden_bias (n,), output_kernel
            (n, d_h), output_bias (d_h,))``, shared by every generated layer.
        shared: ``B`` ``(d_h, r)`` (factorized) or ``P`` ``(d_h, Cin*Cout)`` (shared_basis),
            shared by layers; ``None`` for ``full``.
        code: ``z_l`` ``(d_z,)``.
        own: the layer's ``H_l`` ``(d_h, Cin*Cout)``, ``A_l`` ``(r, Cin*Cout)`` or channel
            scales ``s`` ``(Cout,)``.
    """

    head: str
    in_channels: int
    filters: int
    generator: tuple[PackedTensor, PackedTensor, PackedTensor, PackedTensor]
    shared: PackedTensor | None
    code: PackedTensor
    own: PackedTensor

    def with_channel_signs(self, signs: np.ndarray) -> SynthesisParts:
        """The parts whose kernel is ``W * signs`` (``signs`` ``(Cout,)`` of +-1): the layer's
        own codes are negated per output channel, which symmetric packing and sign-symmetric
        rounding make exact (the boot file folds a BatchNorm's negative scale this way)."""
        codes = self.own.codes.reshape(-1, self.filters) * np.asarray(signs, np.int32)
        return replace(self, own=PackedTensor(codes.reshape(self.own.codes.shape), self.own.scale))


def synthesis_parts(layer: GeneratedPointwise, *, bits: int) -> SynthesisParts:
    """Pack, at ``bits``, what ``layer``'s kernel is made from, found by walking its
    latent input back to the ``LayerCode`` (``hypertinypw``'s wiring: code -> generator
    -> optional ``SharedHead`` -> layer).

    Raises:
        ExportError: the latent is wired otherwise, or the generator's activation is not
            ``tanh`` (the one activation this routine and the device define).
    """
    def producer(tensor):
        source, node_index, _ = tensor._keras_history
        return source, source.inbound_nodes[node_index].input_tensors

    source, inputs = producer(layer.inbound_nodes[0].input_tensors[1])
    shared = None
    if isinstance(source, SharedHead):
        if source.use_bias:
            raise ExportError(f"layer '{layer.name}': shared head '{source.name}' has a bias; synthesis has none")
        shared = PackedTensor.of(source.kernel.numpy(), bits)
        source, inputs = producer(inputs)
    if not isinstance(source, PointwiseGenerator) or (shared is None) != (layer.head == "full"):
        raise ExportError(f"layer '{layer.name}': its latent comes from '{source.name}', not from a "
                          f"PointwiseGenerator{'' if layer.head == 'full' else ' through a SharedHead'}")
    if source.activation is not keras.activations.tanh:
        raise ExportError(f"generator '{source.name}': synthesis defines tanh only, "
                          f"got activation {keras.activations.serialize(source.activation)!r}")
    code_layer, _ = producer(inputs)
    if not isinstance(code_layer, LayerCode):
        raise ExportError(f"layer '{layer.name}': generator input comes from '{code_layer.name}', not a LayerCode")
    own = layer.scale if layer.head == "shared_basis" else layer.head_kernel
    return SynthesisParts(layer.head, layer.in_channels, layer.filters,
                          tuple(PackedTensor.of(w.numpy(), bits) for w in
                                (source.hidden_kernel, source.hidden_bias, source.output_kernel, source.output_bias)),
                          shared, PackedTensor.of(code_layer.code.numpy(), bits), PackedTensor.of(own.numpy(), bits))


def synthesize(parts: SynthesisParts) -> np.ndarray:
    """The float32 kernel ``W_l`` ``(Cin, Cout)`` of Eq. 1-3 (steps 1-4 of the module)."""
    w1, b1, w2, b2 = (t.values() for t in parts.generator)
    h = dot32(tanh32(dot32(parts.code.values(), w1) + b1), w2) + b2
    own = parts.own.values()
    if parts.head == "full":
        flat = dot32(h, own)
    elif parts.head == "factorized":
        flat = dot32(dot32(h, parts.shared.values()), own)
    else:
        flat = dot32(h, parts.shared.values())
    kernel = flat.reshape(parts.in_channels, parts.filters)
    return kernel * own if parts.head == "shared_basis" else kernel


def int8_kernel(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 5: ``(q int8 (Cin, Cout), step float32 (Cout,))`` with ``kernel ~ q * step``.

    A channel of zeros gets ``q = 0`` and ``step = 0``. ``q * step`` is the float kernel
    bake writes on the device grid: the converter's per-channel quantization of it (after
    folding a BatchNorm multiplier ``m``) gives back ``q * sign(m)`` whatever its
    rounding, because ``q * step * m / (max|q * step * m| / 127)`` lies within float
    rounding of the integer ``q * sign(m)``.
    """
    peak = np.max(np.abs(kernel), axis=0)
    step = (peak / _F32(INT8_MAX)).astype(_F32)
    safe = np.where(step > 0, step, _F32(1.0))
    q = np.clip(round_half_away(kernel / safe), -INT8_MAX, INT8_MAX)
    return np.where(step > 0, q, 0).astype(np.int8), step


# ---- the decode type's byte layout (decode_synth.cc reads it) ----------------------------

DECODE_TYPE = 128  # TFLM leaves decode types 128-255 to applications
_DCM_VERSION = 1
_SYNTH_VERSION = 1  # DCM byte 4: the decode type's own version, as TFLM's types keep it
# DCM byte 7: when the runtime synthesizes the kernel. ``boot``: once, at AllocateTensors,
# into persistent arena memory; ``lazy``: before its consumer at every Invoke, into
# memory planned with the activations (decode_synth.cc).
SCHEDULE_FLAGS = {"lazy": 0, "boot": 1}


def _bitstream(tensors: list[PackedTensor], bits: int) -> bytes:
    """All codes of ``tensors`` in order, each ``bits`` wide two's complement, most
    significant bit first, in one stream padded to a byte only at its end (Eq. 4)."""
    codes = np.concatenate([t.codes.ravel() for t in tensors]).astype(np.int64) & ((1 << bits) - 1)
    fields = np.unpackbits(codes.astype(np.uint8)[:, None], axis=1, bitorder="big")[:, 8 - bits:]
    return np.packbits(fields.ravel(), bitorder="big").tobytes()


def _scales(tensors: list[PackedTensor]) -> bytes:
    return b"".join(struct.pack("<f", t.scale) for t in tensors)


def encode(parts: SynthesisParts, bits: int, *, schedule: str) -> tuple[bytes, bytes]:
    """``(encoded, ancillary)`` bytes of a DECODE of type :data:`DECODE_TYPE`.

    ``ancillary`` is shared by every layer with the same generator and shared head:
    a 16-byte DCM (byte 0 the type, 1 the DCM version, 4 this type's version (1),
    5 ``bits``, 6 the head (0 full, 1 factorized, 2 shared_basis), 7 the ``schedule``
    (:data:`SCHEDULE_FLAGS`), then little-endian
    uint16 ``d_z`` at 8, hidden width at 10, ``d_h`` at 12, ``r`` at 14 (0 unless
    factorized)), the float32 scales of
    ``W1, b1, W2, b2[, B or P]`` and their codes as one bit stream. ``encoded`` is the
    layer's own: the float32 scales of ``z_l`` and ``H_l`` / ``A_l`` / ``s``, then their
    codes as one bit stream. Cin and Cout are the decoded tensor's ``(Cout, 1, 1, Cin)``.

    Raises:
        ExportError: a dimension does not fit the header's uint16.
    """
    w1, _, w2, _ = parts.generator
    dims = (w1.codes.shape[0], w1.codes.shape[1], w2.codes.shape[1],
            parts.shared.codes.shape[1] if parts.head == "factorized" else 0)
    if max(dims) > 0xFFFF:
        raise ExportError(f"synthesis: generator dimensions {dims} do not fit the DCM's uint16 fields")
    dcm = struct.pack("<BBxxBBBB4H", DECODE_TYPE, _DCM_VERSION, _SYNTH_VERSION, bits, HEAD_IDS[parts.head],
                      SCHEDULE_FLAGS[schedule], *dims)
    shared = list(parts.generator) + ([] if parts.shared is None else [parts.shared])
    own = [parts.code, parts.own]
    return _scales(own) + _bitstream(own, bits), dcm + _scales(shared) + _bitstream(shared, bits)
