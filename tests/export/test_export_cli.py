"""tpw-export end to end, as a user runs it, on the built-in synthetic dataset."""
import json
import shutil
import subprocess
import sys

import pytest

from tpw_export.convert import operators
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_tf.data import load


def tpw_export(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tpw_export.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("first") / "m.tflite"
    result = tpw_export("--dataset", "synthetic", "--out", out, "--epochs", 1, "--quiet")
    assert result.returncode == 0, result.stderr
    return out, result


def test_writes_the_four_files(first_run):
    out, result = first_run
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["m.cc", "m.keras", "m.ledger.json", "m.tflite"]
    assert "| baked |" in result.stdout and "parity on 360 test windows" in result.stdout


def test_c_array_is_what_xxd_prints(first_run):
    out, _ = first_run
    if shutil.which("xxd") is None:
        pytest.skip("xxd is not installed (the test command installs it)")
    xxd = subprocess.run(["xxd", "-i", out.name], cwd=out.parent, capture_output=True, check=True)
    assert out.with_suffix(".cc").read_bytes() == xxd.stdout


def test_flatbuffer_is_int8_slim_and_tflm_matched_tflite(first_run):
    """The written file is the slimmed one (tf.lite refuses its one-entry zero points,
    so the export compared TFLM on it with tf.lite on the converter's file)."""
    out, _ = first_run
    flatbuffer = out.read_bytes()
    assert all(op["op_name"] in {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"}
               for op in operators(flatbuffer))
    ledger = json.loads(out.with_suffix(".ledger.json").read_text())
    assert ledger["parity"]["mismatched_windows"] == 0 and ledger["parity"]["windows"] == 360
    assert ledger["slimming"]["slim_bytes"] == len(flatbuffer) < ledger["slimming"]["converter_bytes"]
    assert ledger["schedules"]["baked"]["flash_bytes"] == len(flatbuffer)
    assert ledger["files"] == {"m.tflite": "baked"}
    x = quantize_inputs(flatbuffer, load("synthetic").splits["test"].x[:64])
    assert run_tflm(flatbuffer, x).shape == (64, 3)


def test_ledger_json(first_run):
    out, _ = first_run
    ledger = json.loads(out.with_name("m.ledger.json").read_text())
    assert {"model", "components", "schedules", "flatbuffer_bytes", "arena_bytes", "dataset",
            "dataset_options", "model_config", "parity"} <= set(ledger)
    assert "firmware" not in ledger  # the firmware report joins the file only with --firmware
    assert ledger["epochs"] == 1 and ledger["recipe"] == {}  # synthetic has no training defaults
    assert ledger["flatbuffer_bytes"] == out.stat().st_size
    assert ledger["parity"]["mismatched_windows"] == 0


def test_same_seed_gives_the_same_bytes(first_run, tmp_path):
    out, _ = first_run
    again = tmp_path / "again.tflite"
    assert tpw_export("--dataset", "synthetic", "--out", again, "--epochs", 1, "--quiet").returncode == 0
    assert again.read_bytes() == out.read_bytes()


def test_checkpoint_exports_the_same_model(first_run, tmp_path):
    out, _ = first_run
    again = tmp_path / "from_checkpoint.tflite"
    result = tpw_export("--dataset", "synthetic", "--out", again, "--checkpoint", out.with_suffix(".keras"),
                        "--quiet")
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == out.read_bytes()


def _corrupt_checkpoint(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return path


def test_an_output_that_cannot_be_replaced_leaves_nothing(first_run, tmp_path):
    """A folder where OUT.keras would go: nothing of the set is written."""
    out, _ = first_run
    (tmp_path / "m.keras").mkdir()
    before = set(tmp_path.iterdir())
    result = tpw_export("--dataset", "synthetic", "--out", tmp_path / "m.tflite",
                        "--checkpoint", out.with_suffix(".keras"), "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: --out {tmp_path / 'm.tflite'}: cannot write {tmp_path / 'm.keras'}: "
        "it exists and is not a regular file"]
    assert set(tmp_path.iterdir()) == before


@pytest.mark.parametrize("case, args, message", [
    ("unknown dataset", ["--dataset", "nope"], "unknown dataset 'nope'"),
    ("missing folder", ["--dataset", "synthetic", "--out", "{tmp}/no/such/m.tflite"], "does not exist"),
    ("unwritable folder", ["--dataset", "synthetic", "--out", "/proc/m.tflite"], "cannot write /proc/m.tflite"),
    ("not a .tflite", ["--dataset", "synthetic", "--out", "{tmp}/m.bin"], "must name a .tflite"),
    ("corrupt checkpoint", ["--dataset", "synthetic", "--checkpoint", "{checkpoint}"], "cannot load it"),
    ("missing checkpoint", ["--dataset", "synthetic", "--checkpoint", "{tmp}/none.keras"], "no such file"),
    ("unknown loader option", ["--dataset", "synthetic", "-o", "window=9"], "has no option window"),
    ("negative seed", ["--dataset", "synthetic", "--seed", "-1"], "--seed must be >= 0, got -1"),
    ("unknown training option", ["--dataset", "synthetic", "-t", "augmnt=true"],
     "unknown training option 'augmnt': choose one of"),
    ("training a checkpoint", ["--dataset", "synthetic", "-t", "augment=true", "--checkpoint", "{checkpoint}"],
     "--train-option sets up training; --checkpoint exports a model trained before"),
])
def test_bad_input_is_one_line_and_leaves_nothing(case, args, message, tmp_path):
    checkpoint = _corrupt_checkpoint(tmp_path)
    before = set(tmp_path.iterdir())
    args = [a.format(tmp=tmp_path, checkpoint=checkpoint) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "m.tflite")]
    result = tpw_export(*args, "--quiet")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert set(tmp_path.iterdir()) == before


def test_a_checkpoint_whose_activations_exceed_10x_its_flatbuffer_exports(tmp_path):
    """TFLM's wrapper would size this model's arena at 10x the file and refuse it."""
    import tf_keras as keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((1, 512, 1))
    x = keras.layers.Conv2D(128, (1, 3), padding="same", activation="relu")(inputs)
    x = keras.layers.DepthwiseConv2D((1, 3), padding="same", activation="relu")(x)
    x = keras.layers.AveragePooling2D((1, 512))(x)
    x = keras.layers.Conv2D(3, 1)(x)
    outputs = keras.layers.Softmax()(keras.layers.Reshape((3,))(x))
    keras.Model(inputs, outputs).save(tmp_path / "wide.keras")
    out = tmp_path / "w.tflite"
    result = tpw_export("--dataset", "synthetic", "--checkpoint", tmp_path / "wide.keras", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    ledger = json.loads(out.with_name("w.ledger.json").read_text())
    assert ledger["arena_bytes"] > 10 * ledger["flatbuffer_bytes"] == 10 * out.stat().st_size
    assert ledger["parity"]["mismatched_windows"] == 0
