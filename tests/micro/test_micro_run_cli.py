"""tpw-micro-run: .npy in, .npy out, one-line errors with a non-zero exit."""
import functools

import numpy as np

import micro_op_cases
import micro_parity
from tpw_export import micro_runtime


@functools.cache
def one_op_model() -> bytes:
    """A converted model with one input and one output."""
    return micro_parity.convert_cases(micro_op_cases.random_cases(11, 1), 11)


def test_cli_writes_outputs_equal_to_tflm(tmp_path, capsys):
    flatbuffer = one_op_model()
    (tmp_path / "model.tflite").write_bytes(flatbuffer)
    (x,) = micro_parity.random_inputs(flatbuffer, 5, 11)
    np.save(tmp_path / "in.npy", x)
    code = micro_runtime.main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    assert code == 0
    assert "5 windows" in capsys.readouterr().out
    (expected,) = micro_parity.run_tflm(flatbuffer, [x])
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


def test_cli_reports_a_bad_model_on_stderr(tmp_path, capsys):
    (tmp_path / "model.tflite").write_bytes(b"not a model")
    np.save(tmp_path / "in.npy", np.zeros((1, 4), np.int8))
    code = micro_runtime.main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "TFL3" in err or "malformed" in err
    assert not (tmp_path / "out.npy").exists()


def test_cli_rejects_inputs_of_the_wrong_shape(tmp_path, capsys):
    flatbuffer = one_op_model()
    (tmp_path / "model.tflite").write_bytes(flatbuffer)
    np.save(tmp_path / "in.npy", np.zeros((2, 999), np.int8))
    code = micro_runtime.main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    assert code == 1 and "input 0 must be int8" in capsys.readouterr().err
