"""The reference interpreters: TFLite Micro (the oracle) and tf.lite.

TFLM comes from the ``tflite-micro`` wheel and never imports TensorFlow.
tf.lite is run with ``BUILTIN_WITHOUT_DEFAULT_DELEGATES``: its optimized
kernels match TFLM bit for bit, while the reference resolver differs by one
LSB in FULLY_CONNECTED (TFLM rounds twice when requantizing).
"""
from __future__ import annotations

import re

import numpy as np

from tpw_export.native_io import captured_fd
from tpw_tf.errors import ExportError


def _tflm_interpreter(flatbuffer: bytes):
    from tflite_micro.python.tflite_micro import runtime

    try:
        return runtime.Interpreter.from_bytes(flatbuffer)
    except Exception as error:  # TFLM raises RuntimeError / ValueError with its log text
        raise ExportError(f"TFLM cannot load the model: {str(error).strip().splitlines()[0]}") from error


def quantization(details: dict) -> tuple[float, int]:
    """``(scale, zero_point)`` of an interpreter's input or output details."""
    params = details["quantization_parameters"]
    return float(params["scales"][0]), int(params["zero_points"][0])


def quantize_inputs(flatbuffer: bytes, x: np.ndarray) -> np.ndarray:
    """Float windows → the int8 the model's input tensor expects."""
    scale, zero_point = quantization(_tflm_interpreter(flatbuffer).get_input_details(0))
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def dequantize_outputs(flatbuffer: bytes, y: np.ndarray) -> np.ndarray:
    scale, zero_point = quantization(_tflm_interpreter(flatbuffer).get_output_details(0))
    return (y.astype(np.float32) - zero_point) * scale


def run_tflm(flatbuffer: bytes, x_int8: np.ndarray) -> np.ndarray:
    """Run every window of ``x_int8`` ``(N, *input_shape[1:])`` through TFLM."""
    interpreter = _tflm_interpreter(flatbuffer)
    outputs = []
    for window in x_int8:
        interpreter.set_input(window[np.newaxis], 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0)[0].copy())
    return np.stack(outputs)


def run_tflite(flatbuffer: bytes, x_int8: np.ndarray) -> np.ndarray:
    """Run every window through tf.lite's builtin kernels (no default delegates)."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    outputs = []
    for window in x_int8:
        interpreter.set_tensor(input_index, window[np.newaxis])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(output_index)[0].copy())
    return np.stack(outputs)


def tflm_arena_bytes(flatbuffer: bytes) -> int:
    """Bytes of arena TFLM allocates for the model (its recording allocator's total)."""
    interpreter = _tflm_interpreter(flatbuffer)
    with captured_fd(2) as report:  # TFLM logs to stderr
        interpreter.print_allocations()
    match = re.search(r"Arena allocation total (\d+) bytes", report[0])
    if not match:
        raise ExportError("TFLM printed no arena total")
    return int(match.group(1))
