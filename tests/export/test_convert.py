"""convert() gives a fully INT8 builtin flatbuffer, or a one-line error."""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from tpw_export.bake import bake
from tpw_export.convert import check_integer_only, convert, operators
from tpw_export.errors import ExportError


@pytest.fixture(scope="module")
def flatbuffer(small_models, windows):
    return convert(bake(small_models["shared_basis"]), windows)


def test_only_builtin_int8_ops(flatbuffer):
    ops = operators(flatbuffer)
    assert {op["op_name"] for op in ops} <= {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
                                              "SOFTMAX"}
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    assert all(t["dtype"] in (np.int8, np.int32) for t in interpreter.get_tensor_details())


def test_conversion_is_deterministic(small_models, windows, flatbuffer):
    assert convert(bake(small_models["shared_basis"]), windows) == flatbuffer


def test_a_float_graph_is_rejected_naming_the_op(small_models):
    converter = tf.lite.TFLiteConverter.from_keras_model(bake(small_models["full"]))
    float_flatbuffer = converter.convert()
    with pytest.raises(ExportError, match=r"op 0 'CONV_2D' uses float32 tensors"):
        check_integer_only(float_flatbuffer)


def test_constant_logits_are_refused_before_tflm_would_abort(windows):
    """TFLM aborts the process on a SOFTMAX whose input scale is below 2^-26."""
    inputs = keras.Input(windows.shape[1:])
    x = keras.layers.Conv2D(4, 1, kernel_initializer="zeros", bias_initializer="ones")(inputs)
    x = keras.layers.Reshape((4,))(keras.layers.AveragePooling2D((1, windows.shape[2]))(x))
    logits = keras.layers.Dense(3, kernel_initializer="zeros")(x)
    model = keras.Model(inputs, keras.layers.Softmax()(logits))
    with pytest.raises(ExportError, match="SOFTMAX input scale"):
        convert(model, windows)


def test_wrong_calibration_shape_is_an_error(small_models, windows):
    with pytest.raises(ExportError, match=r"representative_data windows are \(1, 64, 1\)"):
        convert(bake(small_models["full"]), windows[:, :, :64])
    with pytest.raises(ExportError, match="representative_data is empty"):
        convert(bake(small_models["full"]), windows[:0])
