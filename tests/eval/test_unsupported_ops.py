"""A well-formed model with an op our runtime does not run (TANH) is TFLM's to run:
tpw sizes TFLM's arena without our plan and evaluates it; a malformed one stays refused."""
import flatbuffers
import numpy as np
import pytest
import tf_keras as keras
from tensorflow.lite.python import schema_py_generated as schema

from tpw_eval import evaluate
from tpw_export import tflm
from tpw_export.convert import convert
from tpw_micro import host_runtime
from tpw_micro.errors import MicroError, UnsupportedModel

WINDOW = (1, 512, 1)  # the synthetic dataset's windows: tpw-eval can score it


@pytest.fixture(scope="module")
def tanh_model() -> bytes:
    keras.utils.set_random_seed(0)
    inputs = keras.Input(WINDOW)
    x = keras.layers.Dense(8, activation="tanh")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    return convert(model, np.random.default_rng(0).normal(size=(16, *WINDOW)).astype(np.float32))


def test_our_runtime_calls_it_unsupported_not_invalid(tanh_model):
    with pytest.raises(UnsupportedModel, match="builtin operator 28 is not supported"):
        host_runtime.describe(tanh_model)


def test_tflm_runs_it_in_an_arena_found_without_our_plan(tanh_model):
    x = np.random.default_rng(1).normal(size=(4, *WINDOW)).astype(np.float32)
    x_int8 = tflm.quantize_inputs(tanh_model, x)
    assert tflm.run_tflm(tanh_model, x_int8).shape == (4, 3)
    assert tflm.arena_size(tanh_model) > 0


def test_tpw_eval_scores_it_as_tflite_runs_it(tanh_model, tmp_path):
    path = tmp_path / "tanh.tflite"
    path.write_bytes(tanh_model)
    x = np.random.default_rng(1).normal(size=(4, *WINDOW)).astype(np.float32)
    raw, scores = evaluate.run_int8(path, x, classes=3)
    np.testing.assert_array_equal(raw, tflm.run_tflm(tanh_model, tflm.quantize_inputs(tanh_model, x)).reshape(4, 3))
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=0.02)


def test_a_malformed_model_with_that_op_is_still_invalid(tanh_model):
    # The last operator (after the TANH) reads tensor 1000: the reader checks every node's
    # structure before it reports any op as unsupported.
    model = schema.ModelT.InitFromPackedBuf(tanh_model, 0)
    operator = model.subgraphs[0].operators[-1]
    operator.inputs = [1000, *operator.inputs[1:]]
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises(MicroError) as raised:
        host_runtime.describe(bytes(builder.Output()))
    assert not isinstance(raised.value, UnsupportedModel), raised.value


def test_the_tpw_eval_command_scores_it(tanh_model, tmp_path, capsys):
    path = tmp_path / "tanh.tflite"
    path.write_bytes(tanh_model)
    assert evaluate.main([str(path), "--dataset", "synthetic", "--resamples", "20"]) == 0
    assert "macro" in capsys.readouterr().out.lower()
