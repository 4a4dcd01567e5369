"""Every command that reads a .tflite refuses a malformed one with one line naming it,
and TFLM runs a valid model whose activations need more than 10x its file size.

The commands run as users run them, in their own process, so a native crash would
show as a signal here instead of killing the test run.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tpw_eval import evaluate
from tpw_export import tflm
from tpw_micro import host_runtime

# Each command as a user runs it on a model; the case's in.npy holds windows its base.tflite
# takes, so every command gets as far as reading the model.
COMMANDS = {
    "tpw-eval": lambda model, folder, tmp: ["tpw-eval", model, "--dataset", "synthetic"],
    "tpw-micro-run": lambda model, folder, tmp: ["tpw-micro-run", model, folder / "in.npy",
                                                 tmp / "out.npy"],
    "tpw-sim": lambda model, folder, tmp: ["tpw-sim", model, "--inputs", folder / "in.npy",
                                           "--json", tmp / "out.json"],
}


def console_script(name, *args) -> list[str]:
    """The installed console script ``name`` (beside this Python) with ``args``, as users run it."""
    return [str(Path(sys.executable).with_name(name)), *map(str, args)]


def one_line_error(argv, named) -> str:
    """Run a command; assert it exits 1 with one ``error: <named>: ...`` line and return that line."""
    result = subprocess.run(console_script(*argv), capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {named}: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_malformed_model_is_one_line_naming_it_and_exit_1(case, tmp_path, command):
    folder = case("tflite-bad-indices")
    models = sorted(set(folder.glob("*.tflite")) - {folder / "base.tflite"})
    assert len(models) >= 7
    for model in models:
        one_line_error(COMMANDS[command](model, folder, tmp_path), model)
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["tpw-micro-run", "tpw-sim"])
@pytest.mark.parametrize("windows, got", [
    (np.int8(3), "int8 of shape ()"),                      # a 0-d array
    (np.zeros((2, 1, 16, 4), np.float64), "float64 of shape (2, 1, 16, 4)"),
    (np.zeros((2, 16, 4), np.int8), "int8 of shape (2, 16, 4)"),
    (np.zeros((2, 1, 16, 5), np.int8), "int8 of shape (2, 1, 16, 5)"),
])
def test_windows_of_the_wrong_rank_dtype_or_shape_are_refused_before_running(case, tmp_path, command, windows,
                                                                            got):
    model = case("tflite-bad-indices") / "base.tflite"
    (tmp_path / "in").mkdir()
    np.save(tmp_path / "in" / "in.npy", windows)
    line = one_line_error(COMMANDS[command](model, tmp_path / "in", tmp_path), tmp_path / "in" / "in.npy")
    at_least = " with N >= 1" if command == "tpw-sim" else ""  # the firmware needs an input to run
    assert line.endswith(f"expected int8 windows of shape (N, 1, 16, 4){at_least}, got {got}")
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


def test_the_base_of_the_malformed_models_runs_equal_to_tflm(case):
    folder = case("tflite-bad-indices")
    flatbuffer = (folder / "base.tflite").read_bytes()
    x = np.load(folder / "in.npy")
    (ours,) = host_runtime.run(flatbuffer, [x])
    np.testing.assert_array_equal(ours, tflm.run_tflm(flatbuffer, x))


@pytest.mark.parametrize("preserve_all", [False, True])
def test_the_arena_grows_past_allocations_tflm_cannot_make_and_its_crashes(case, monkeypatch, preserve_all):
    """From the bare plan (no margin) TFLM runs short, and with every tensor preserved it
    segfaults (measured up to 5184 of the 9840 bytes it needs); the child absorbs both and the
    arena grows until TFLM loads the model, which this process then does too."""
    flatbuffer = (case("tflite-bad-indices") / "base.tflite").read_bytes()
    monkeypatch.setattr(tflm, "_ARENA_MARGIN", 0)
    tflm.arena_size.cache_clear()
    try:
        size = tflm.arena_size(flatbuffer, preserve_all)
    finally:
        tflm.arena_size.cache_clear()
    assert size > host_runtime.describe(flatbuffer).arena_used_bytes
    tflm._tflm_interpreter(flatbuffer, preserve_all=preserve_all)  # loads in this process


@pytest.fixture(scope="module")
def wide(case):
    """The valid 10 kB model whose activations need about 134 kB, and its int8 inputs."""
    folder = case("tflite-activations-exceed-10x-file")
    return folder / "wide.tflite", np.load(folder / "wide_in.npy")


def test_tflm_gets_an_arena_sized_from_the_model_not_10x_the_file(wide):
    path, x = wide
    flatbuffer = path.read_bytes()
    planned = host_runtime.describe(flatbuffer).arena_used_bytes
    assert planned > 10 * len(flatbuffer)  # what TFLM's wrapper would have given it
    assert tflm.arena_size(flatbuffer) >= tflm.tflm_arena_bytes(flatbuffer) >= planned
    (ours,) = host_runtime.run(flatbuffer, [x])
    np.testing.assert_array_equal(tflm.run_tflm(flatbuffer, x), ours)


def test_tpw_eval_evaluates_the_wide_model(wide, tmp_path):
    path, _ = wide
    result = subprocess.run([*console_script("tpw-eval"), str(path), "--dataset", "synthetic",
                             "--resamples", "20", "--json", str(tmp_path / "r.json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "| macro_f1 |" in result.stdout and (tmp_path / "r.json").is_file()


def test_its_int8_scores_are_tflms(wide):
    path, x = wide
    flatbuffer = path.read_bytes()
    source = host_runtime.describe(flatbuffer).inputs[0]
    windows = (x.astype(np.float32) - source.zero_point) * source.scale  # requantizes to x exactly
    raw, _ = evaluate.run_int8(path, windows, classes=3)
    np.testing.assert_array_equal(raw, tflm.run_tflm(flatbuffer, x))
