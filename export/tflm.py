"""The reference interpreters: TFLite Micro (the oracle) and tf.lite.

TFLM comes from the ``tflite-micro`` wheel and never imports TensorFlow.
tf.lite runs with one of two op resolvers:

* ``reference`` (``BUILTIN_REF``): the reference kernels, which share TFLM's
  integer arithmetic for the ops our models use. Measured on our exported
  models they equal TFLM bit for bit; this is the parity gate. (Their
  FULLY_CONNECTED is known to differ from TFLM by one LSB, which is one
  reason the zoo's classifiers are 1x1 convolutions.)
* ``optimized`` (``BUILTIN_WITHOUT_DEFAULT_DELEGATES``): the optimized kernels
  without XNNPACK. Their FULLY_CONNECTED, MEAN and CONV_2D on a 1x1 map (the
  classifier) requantize with single rounding where TFLM rounds twice; they
  differed from TFLM by one LSB on 4 of 360 synthetic test windows, so their
  agreement is reported, not required.
"""
from __future__ import annotations

import re

import numpy as np

from tpw_export.native_io import captured_fd
from tpw_tf.errors import ExportError, first_line


def _tflm_interpreter(flatbuffer: bytes):
    from tflite_micro.python.tflite_micro import runtime

    try:
        return runtime.Interpreter.from_bytes(flatbuffer)
    except Exception as error:  # TFLM raises RuntimeError / ValueError with its log text
        raise ExportError(f"TFLM cannot load the model: {first_line(error)}") from error


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


RESOLVERS = {"reference": "BUILTIN_REF", "optimized": "BUILTIN_WITHOUT_DEFAULT_DELEGATES"}


def _tflite_interpreter(flatbuffer: bytes, resolver: str, **options):
    import tensorflow as tf

    return tf.lite.Interpreter(
        model_content=flatbuffer, **options,
        experimental_op_resolver_type=getattr(tf.lite.experimental.OpResolverType, RESOLVERS[resolver]))


def run_tflite(flatbuffer: bytes, x_int8: np.ndarray, *, resolver: str = "reference") -> np.ndarray:
    """Run every window through tf.lite with the ``reference`` or ``optimized`` kernels."""
    interpreter = _tflite_interpreter(flatbuffer, resolver)
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


def first_divergent_op(flatbuffer: bytes, window_int8: np.ndarray, *,
                       resolver: str = "reference") -> tuple[int, str, int] | None:
    """The first op whose int8 output differs between TFLM and tf.lite for one
    window: ``(op index, op name, largest difference)``, or None if none does."""
    from tflite_micro.python.tflite_micro import runtime

    lite = _tflite_interpreter(flatbuffer, resolver, experimental_preserve_all_tensors=True)
    lite.allocate_tensors()
    lite.set_tensor(lite.get_input_details()[0]["index"], window_int8[np.newaxis])
    lite.invoke()
    micro = runtime.Interpreter.from_bytes(flatbuffer,
                                           intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    micro.set_input(window_int8[np.newaxis], 0)
    micro.invoke()
    for op in lite._get_ops_details():  # the public API has no op list
        for tensor in op["outputs"]:
            ours = micro.GetTensor(tensor, 0)["tensor_data"].astype(np.int64)
            difference = int(np.abs(ours - lite.get_tensor(tensor).astype(np.int64)).max())
            if difference:
                return op["index"], op["op_name"], difference
    return None
