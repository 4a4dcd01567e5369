"""Convert a plain (baked) Keras model to a fully INT8 TFLite flatbuffer.

Full-integer quantization with int8 input and output, builtin ops only. The
converter is told to use only the int8 builtin op set; on top of that the
result is inspected, because a converter may still leave a float op (for
example a QUANTIZE from float) or a custom op in the graph, and TFLM builds
for microcontrollers would then fail at run time instead of here.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from tpw_export.errors import ExportError
from tpw_export.native_io import captured_fd
from tpw_tf.errors import first_line

# Tensor types allowed in a fully INT8 graph: int8 activations and weights,
# int32 biases and shape tensors.
_INTEGER_TYPES = (np.int8, np.int32)


def _representative(data: np.ndarray):
    def generate():
        for window in data:
            yield [window[np.newaxis].astype(np.float32)]
    return generate


def convert(model, representative_data: np.ndarray, *, calibration_windows: int = 256) -> bytes:
    """Convert ``model`` to an INT8 flatbuffer.

    Args:
        model: a ``tf_keras`` model of builtin layers (bake generated models first).
        representative_data: float32 ``(N, *model.input_shape[1:])`` calibration windows;
            the first ``calibration_windows`` are used, in order, so the result is deterministic.
        calibration_windows: how many windows calibrate the activation ranges.

    Returns:
        The ``.tflite`` bytes, without tensor names.

    Raises:
        ExportError: no calibration data, a conversion failure, or a float / custom op left.
    """
    data = np.asarray(representative_data, np.float32)[:calibration_windows]
    if len(data) == 0:
        raise ExportError("convert: representative_data is empty")
    if data.shape[1:] != tuple(model.input_shape[1:]):
        raise ExportError(f"convert: representative_data windows are {data.shape[1:]}, "
                          f"the model takes {tuple(model.input_shape[1:])}")
    # Batch 1, as on the device: every shape is static, so reshapes stay single
    # RESHAPE ops instead of SHAPE / STRIDED_SLICE / PACK chains.
    signature = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec((1, *model.input_shape[1:]), tf.float32))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([signature], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative(data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        with captured_fd(2):  # the converter logs to fd 2 from C++; failures raise with the message
            flatbuffer = converter.convert()
    except Exception as error:  # the converter raises many types; report one line
        raise ExportError(f"convert: the TFLite converter failed: {first_line(error)}") from error
    flatbuffer = strip_names(flatbuffer)
    check_integer_only(flatbuffer)
    check_softmax_range(flatbuffer)
    return flatbuffer


def strip_names(flatbuffer: bytes) -> bytes:
    """Drop tensor and subgraph names and the signature: TFLM reads none of
    them, and the converter's fused names were about 15% of a small model."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    flatbuffer_utils.strip_strings(model)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def operators(flatbuffer: bytes) -> list[dict]:
    """Op details of a flatbuffer in execution order: ``index``, ``op_name`` (a builtin's
    name or a custom op's code, e.g. ``TFLM_DECODE``), ``inputs`` / ``outputs`` (tensor
    indices, -1 for an absent input), ``tensor_types`` (numpy dtypes of the tensors
    present), ``input_scales`` (first scale of each present input, 0.0 if none).

    Read with the ``tflite-micro`` wheel's model editor rather than tf.lite, which
    refuses the one-entry per-channel zero points of slimmed files and DECODE.
    """
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    subgraph = model_editor.read(flatbuffer).subgraphs[0]
    return [{"index": index, "op_name": op.opcode_name,
             "inputs": [-1 if t is None else t.index for t in op.inputs],
             "outputs": [t.index for t in op.outputs],
             "tensor_types": [t.numpy_dtype for t in (*op.inputs, *op.outputs) if t is not None],
             "input_scales": [_first_scale(t) for t in op.inputs if t is not None]}
            for index, op in enumerate(subgraph.operators)]


def _first_scale(tensor) -> float:
    scales = tensor.quantization.scales if tensor.quantization else 0.0
    return float(scales if isinstance(scales, (int, float)) else scales[0])


def check_integer_only(flatbuffer: bytes) -> None:
    """Raise ExportError naming the first custom or non-integer op."""
    for index, op in enumerate(operators(flatbuffer)):
        name = op["op_name"]
        if name.startswith("CUSTOM") or name == "DELEGATE" or not name.isupper():
            raise ExportError(f"convert: op {index} '{name}' is not a builtin op")
        floats = [np.dtype(t).name for t in op["tensor_types"] if t not in _INTEGER_TYPES]
        if floats:
            raise ExportError(f"convert: op {index} '{name}' uses {floats[0]} tensors; "
                              "the model is not fully INT8")


# TFLM's SOFTMAX scales its input by 2^26 and requires the product to exceed 1
# (QuantizeMultiplierGreaterThanOne); below that it aborts the whole program.
_SOFTMAX_MIN_INPUT_SCALE = 2.0 ** -26


def check_softmax_range(flatbuffer: bytes) -> None:
    """Raise ExportError where TFLM would abort on a SOFTMAX's input scale."""
    for index, op in enumerate(operators(flatbuffer)):
        if op["op_name"] == "SOFTMAX":
            scale = op["input_scales"][0]
            if scale <= _SOFTMAX_MIN_INPUT_SCALE:
                raise ExportError(f"convert: op {index} SOFTMAX input scale {scale:.3g} is below TFLM's "
                                  f"limit {_SOFTMAX_MIN_INPUT_SCALE:.3g}: the logits are (nearly) constant "
                                  "on the calibration data; train the model or check the data")
