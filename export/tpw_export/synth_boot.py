"""Write the ``boot`` or ``lazy`` file of a generated model: its kernels as DECODEs that synthesize them.

Every generated kernel tensor of a baked file becomes the output of a ``TFLM_DECODE``
of tpw's decode type 128 (:mod:`tpw_export.synthesis`): the file then stores the
packed generator, heads, codes and channel scales instead of the INT8 kernels, and
our runtime rebuilds each kernel with the arithmetic bake used. The two schedules'
files differ in one header byte only (:data:`tpw_export.synthesis.SCHEDULE_FLAGS`):
``boot`` has the runtime synthesize every kernel once, at AllocateTensors, into
persistent arena memory; ``lazy`` each kernel before its layer at every Invoke, into
arena memory planned with the activations. Stock TFLM runs the baked file; it has no
decoder of type 128, so only our runtime runs these.

The baked file must come from ``bake(model, bits=bits, device_grid=True)``: its
converter-made INT8 kernels are then exactly the synthesized ones, up to the sign of
a folded BatchNorm multiplier per channel, which is folded into the layer's own
codes (``SynthesisParts.with_channel_signs``). Every kernel is checked byte for byte
against the file before it is replaced.
"""
from __future__ import annotations

import warnings

import numpy as np
import tf_keras as keras

from tpw_export.bake import expanded_layers
from tpw_export.errors import ExportError
from tpw_export.slim import align
from tpw_export.synthesis import SynthesisParts, encode, int8_kernel, synthesis_parts, synthesize
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_micro import host_runtime
from tpw_tf.layers import GeneratedPointwise


def filter_of(parts: SynthesisParts) -> np.ndarray:
    """The synthesized INT8 kernel as the converter lays a 1x1 filter out: ``(Cout, 1, 1, Cin)``."""
    q, _ = int8_kernel(synthesize(parts))
    return np.ascontiguousarray(q.T).reshape(parts.filters, 1, 1, parts.in_channels)


def _channel_signs(stored: np.ndarray, synthesized: np.ndarray) -> np.ndarray | None:
    """Per output channel +1 or -1 with ``stored == sign * synthesized`` (both ``(Cout, 1, 1, Cin)``),
    or ``None`` where some channel is neither."""
    same = np.all(stored == synthesized, axis=(1, 2, 3))
    flipped = np.all(stored == -synthesized.astype(np.int16), axis=(1, 2, 3))
    return np.where(same, 1, -1) if np.all(same | flipped) else None


def synthesized_file(model: keras.Model, flatbuffer: bytes, *, bits: int, schedule: str) -> bytes:
    """``flatbuffer`` with each generated kernel replaced by a type-128 DECODE of its parts.

    Args:
        model: the trained generator model (``hypertinypw``).
        flatbuffer: ``convert(bake(model, bits=bits, device_grid=True), ...)``, slimmed or not.
        bits: the packing precision of the bake (4, 6 or 8).
        schedule: ``boot`` or ``lazy``, written in every DECODE's header.

    Returns:
        The ``schedule`` file, buffers re-aligned as TFLM needs (``tpw_export.slim.align``);
        layers sharing a generator and shared head share one ancillary buffer. The
        ``boot`` and ``lazy`` files of one baked file have the same size.

    Raises:
        ExportError: the model has no generated layer, or no int8 tensor of the file equals
            a layer's synthesized kernel (the file was not baked with ``device_grid`` at
            ``bits``).
    """
    from tflite_micro.tensorflow.lite.micro.compression import compressor, decode_insert, model_editor

    layers = [layer for layer in expanded_layers(model) if isinstance(layer, GeneratedPointwise)]
    if not layers:
        raise ExportError(f"model '{model.name}' has no generated pointwise layer to synthesize")
    editor = model_editor.read(flatbuffer)
    tensors = editor.subgraphs[0].tensors
    results = {}
    for layer in layers:
        parts = synthesis_parts(layer, bits=bits)
        synthesized = filter_of(parts)
        for index, tensor in enumerate(tensors):
            if index in results or tensor.buffer is None or not tensor.buffer.data:
                continue
            if tuple(tensor.shape) != synthesized.shape or tensor.array.dtype != np.int8:
                continue
            signs = _channel_signs(tensor.array, synthesized)
            if signs is not None:
                signed = parts.with_channel_signs(signs)
                if not np.array_equal(filter_of(signed), tensor.array):  # sign symmetry makes it equal
                    raise ExportError(f"layer '{layer.name}': flipped channels do not synthesize tensor {index}")
                results[index] = compressor.CompressionResult(*encode(signed, bits, schedule=schedule))
                break
        else:
            raise ExportError(f"layer '{layer.name}': no int8 tensor of the file equals its synthesized "
                              f"{synthesized.shape} kernel; bake with device_grid=True at bits={bits}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns of tensors sharing a buffer; ours share none
        decode_insert.insert_decode_operators(editor, {(0, index): r for index, r in results.items()})
    for index in results:
        # The decoded copy carries the quantization; the encoded bytes need none.
        tensors[index]._fb.quantization = None
    # Layers with one generator and shared head have byte-identical ancillary data: store it once.
    model_editor.dedupe_buffers(editor)
    model_editor.prune_buffers(editor)
    return align(bytes(editor.build()))


def runtime_arena_bytes(synthesized: bytes) -> int:
    """Our runtime's arena for a ``synthesized_file`` (bytes); TFLM cannot load a type-128 DECODE."""
    return host_runtime.describe(synthesized).arena_used_bytes


def runtime_mismatches(baked_file: bytes, synthesized: bytes, x: np.ndarray) -> int:
    """Windows of float ``x`` ``(N, *input_shape[1:])`` where our runtime's int8 outputs on
    ``synthesized`` (a :func:`synthesized_file`) differ in any element from TFLM's on
    ``baked_file`` (its baked twin)."""
    x_int8 = quantize_inputs(baked_file, x)
    got = host_runtime.run(synthesized, [x_int8])[0]
    return int(np.any(got != run_tflm(baked_file, x_int8), axis=1).sum())
