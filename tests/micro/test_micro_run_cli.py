"""tpw-micro-run: .npy in, .npy out, one-line errors with a non-zero exit."""
import functools

import numpy as np
import pytest

import micro_op_cases
import micro_parity
from tpw_micro import build, host_runtime
from tpw_micro.cli import micro_run_main


@functools.cache
def one_op_model() -> bytes:
    """A converted model with one input and one output (a conv, whichever generators the cycle holds)."""
    return micro_parity.convert_cases(micro_op_cases.random_cases(11, 1, [micro_op_cases.conv]), 11)


def test_cli_writes_outputs_equal_to_tflm(tmp_path, capsys):
    flatbuffer = one_op_model()
    (tmp_path / "model.tflite").write_bytes(flatbuffer)
    (x,) = micro_parity.random_inputs(flatbuffer, 5, 11)
    np.save(tmp_path / "in.npy", x)
    code = micro_run_main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    assert code == 0
    assert "5 windows" in capsys.readouterr().out
    (expected,) = micro_parity.run_tflm(flatbuffer, [x])
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


def test_cli_reports_a_bad_model_on_stderr(tmp_path, capsys):
    (tmp_path / "model.tflite").write_bytes(b"not a model")
    np.save(tmp_path / "in.npy", np.zeros((1, 4), np.int8))
    code = micro_run_main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "TFL3" in err or "malformed" in err
    assert not (tmp_path / "out.npy").exists()


def test_cli_rejects_inputs_of_the_wrong_shape(tmp_path, capsys):
    flatbuffer = one_op_model()
    (tmp_path / "model.tflite").write_bytes(flatbuffer)
    np.save(tmp_path / "in.npy", np.zeros((2, 999), np.int8))
    code = micro_run_main([str(tmp_path / "model.tflite"), str(tmp_path / "in.npy"), str(tmp_path / "out.npy")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {tmp_path / 'in.npy'}: expected int8 windows of shape (N, ")
    assert err.endswith(", got int8 of shape (2, 999)\n") and err.count("\n") == 1


def _main(folder, inputs="in.npy", outputs="out.npy", *extra):
    return micro_run_main([str(folder / "model.tflite"), str(folder / inputs), str(folder / outputs), *extra])


@pytest.fixture
def case(tmp_path, monkeypatch):
    """A one-op model and 3 matching int8 windows in ``tmp_path``, which is also the cwd."""
    monkeypatch.chdir(tmp_path)
    flatbuffer = one_op_model()
    (tmp_path / "model.tflite").write_bytes(flatbuffer)
    np.save(tmp_path / "in.npy", micro_parity.random_inputs(flatbuffer, 3, 11)[0])
    return tmp_path


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_an_input_that_is_not_npy_is_a_one_line_error(case, capsys):
    (case / "in.npy").write_text("these are not int8 windows\n")
    assert _main(case) == 1
    assert str(case / "in.npy") in _one_line_error(capsys)


@pytest.mark.parametrize("outputs, expected", [("missing/out.npy", "No such file or directory"),
                                               ("folder", "is not a regular file")])
def test_an_unwritable_output_is_refused_before_running_and_leaves_no_file(case, capsys, outputs, expected):
    (case / "folder").mkdir()
    before = sorted(p.name for p in case.rglob("*"))
    assert _main(case, "in.npy", outputs) == 1
    assert expected in _one_line_error(capsys)
    assert sorted(p.name for p in case.rglob("*")) == before


def test_a_non_positive_arena_is_refused(case, capsys):
    assert _main(case, "in.npy", "out.npy", "--arena", "-5") == 1
    assert "--arena must be a positive number of bytes, got -5" in _one_line_error(capsys)
    assert not (case / "out.npy").exists()


def test_a_relative_build_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TPW_MICRO_BUILD", "relative/build")
    assert build.build_dir() == tmp_path / "relative" / "build"


def test_the_cli_describes_the_model_once(case, monkeypatch, capsys):
    calls = []
    real_describe = host_runtime.describe
    monkeypatch.setattr(host_runtime, "describe", lambda *a, **k: calls.append(a) or real_describe(*a, **k))
    assert _main(case) == 0
    assert len(calls) == 1
    assert "3 windows" in capsys.readouterr().out
