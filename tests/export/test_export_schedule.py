"""tpw-export --schedule: the boot file is smaller than the baked one, TFLM gives the
baked file's outputs on it, and the ledger's boot flash is its size; a generator's boot
and lazy files, run by our runtime, give TFLM's outputs on its separately written baked file."""
import json
import subprocess
import sys

import numpy as np
import pytest

from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_micro import host_runtime
from tpw_tf.data import load


def tpw_export(*args):
    return subprocess.run([sys.executable, "-m", "tpw_export.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def ternary(tmp_path_factory):
    """One trained ternary_cnn written as its boot file, then (from its checkpoint) as its baked file."""
    folder = tmp_path_factory.mktemp("schedule")
    boot = tpw_export("--dataset", "synthetic", "--model", "ternary_cnn", "--schedule", "boot",
                      "--out", folder / "t.tflite", "--epochs", 1, "--quiet")
    assert boot.returncode == 0, boot.stderr
    baked = tpw_export("--dataset", "synthetic", "--checkpoint", folder / "t.keras", "--out", folder / "b.tflite",
                       "--quiet")
    assert baked.returncode == 0, baked.stderr
    return folder


def test_the_boot_file_is_smaller_and_its_size_is_the_ledgers_flash(ternary):
    boot, baked = (ternary / "t.tflite").read_bytes(), (ternary / "b.tflite").read_bytes()
    ledger = json.loads((ternary / "t.ledger.json").read_text())
    assert len(boot) < len(baked)
    assert ledger["files"] == {"t.tflite": "boot"}
    assert ledger["schedules"]["boot"]["flash_bytes"] == ledger["schedules"]["lazy"]["flash_bytes"] == len(boot)
    assert ledger["schedules"]["boot"]["file"] and not ledger["schedules"]["baked"]["file"]
    assert ledger["schedules"]["baked"]["flash_bytes"] == ledger["flatbuffer_bytes"] == len(baked)
    assert ledger["written"]["file_bytes"] == len(boot)
    assert ledger["parity"]["decoded_mismatched_windows"] == 0


def test_tflm_gives_the_baked_files_outputs_on_the_boot_file(ternary):
    boot, baked = (ternary / "t.tflite").read_bytes(), (ternary / "b.tflite").read_bytes()
    x = quantize_inputs(baked, load("synthetic").splits["test"].x)
    np.testing.assert_array_equal(run_tflm(boot, x), run_tflm(baked, x))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """hypertinypw (shared_basis, width 64, d_h 4, 4 bits) written as its boot file, then (from its
    checkpoint) as its lazy and baked files."""
    folder = tmp_path_factory.mktemp("synthesized")
    options = ["--dataset", "synthetic", "--bits", 4, "--quiet"]
    boot = tpw_export(*options, "--schedule", "boot", "--out", folder / "g.tflite", "--epochs", 1,
                      "-m", "width=64", "-m", "d_h=4")
    assert boot.returncode == 0, boot.stderr
    for schedule, name in (("lazy", "l.tflite"), ("baked", "b.tflite")):
        written = tpw_export(*options, "--checkpoint", folder / "g.keras", "--schedule", schedule, "--out", folder / name)
        assert written.returncode == 0, written.stderr
    return folder


def test_a_generators_boot_file_synthesizes_its_kernels(generated):
    """The kernels become DECODEs of type 128: a smaller file, the ledger's boot flash, and
    our runtime's outputs on it equal TFLM's on its baked twin on every test window."""
    boot, baked = (generated / "g.tflite").read_bytes(), (generated / "b.tflite").read_bytes()
    ledger = json.loads((generated / "g.ledger.json").read_text())
    assert len(boot) < len(baked)
    assert ledger["schedules"]["boot"]["flash_bytes"] == ledger["schedules"]["lazy"]["flash_bytes"] == len(boot)
    assert ledger["parity"]["decoded_mismatched_windows"] == 0 and ledger["parity"]["windows"] > 0


def test_boot_and_lazy_files_give_the_separate_baked_files_outputs(generated):
    """Written by three runs, the baked file is on the device grid: TFLM on it and our runtime
    synthesizing at boot or lazily give the same bytes on every test window."""
    baked = (generated / "b.tflite").read_bytes()
    x = quantize_inputs(baked, load("synthetic").splits["test"].x)
    expected = run_tflm(baked, x)
    for name in ("g.tflite", "l.tflite"):
        np.testing.assert_array_equal(host_runtime.run((generated / name).read_bytes(), [x])[0], expected)


def test_the_ledger_takes_each_schedules_arena(generated):
    """Boot and lazy files have one size and their own arenas: boot keeps every kernel, lazy one at a time."""
    boot, lazy = (generated / "g.tflite").read_bytes(), (generated / "l.tflite").read_bytes()
    assert len(boot) == len(lazy) and boot != lazy
    arena = {"boot": host_runtime.describe(boot).arena_used_bytes, "lazy": host_runtime.describe(lazy).arena_used_bytes}
    assert arena["lazy"] < arena["boot"]
    for ledger in ("g.ledger.json", "l.ledger.json"):  # whichever file a run writes
        schedules = json.loads((generated / ledger).read_text())["schedules"]
        assert {s: schedules[s]["sram_bytes"] for s in arena} == arena
        assert schedules["lazy"]["flash_bytes"] == schedules["boot"]["flash_bytes"] == len(boot)
