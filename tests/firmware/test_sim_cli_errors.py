"""tpw-sim's one-line errors: malformed or incomplete UART output, an unwritable --json."""
from pathlib import Path

import numpy as np
import pytest

from tpw_micro import firmware, qemu
from tpw_micro.cli import sim_main
from tpw_micro.errors import MicroError

# A complete successful run of one input, in the format of micro/tpw_micro/firmware/stm32l4/README.md.
GOOD = ["TPW READY sysclk=4000000 inputs=1 arena_used=1234 arena_size=65536",
        "TPW BOOT_INSTR 5000", "TPW INSTR 0 42000", "TPW OUT 0 -3,7,127", "TPW STATUS 0 ok"]


def test_parse_lines_reads_every_documented_line():
    assert qemu.parse_lines(["boot chatter", *GOOD]) == {
        "ready": {"sysclk": 4000000, "inputs": 1, "arena_used": 1234, "arena_size": 65536},
        "boot_instructions": 5000, "instructions": {0: 42000}, "outputs": {0: [-3, 7, 127]},
        "status": (0, "ok")}


@pytest.mark.parametrize("line", ["TPW READY sysclk=4000000 inputs", "TPW BOOT_INSTR many",
                                  "TPW INSTR 0", "TPW OUT 0 1,x,3", "TPW STATUS ok done"])
def test_a_malformed_line_is_an_error_naming_it(line):
    with pytest.raises(MicroError, match=r"^malformed firmware line '(?P<l>.*)' ") as raised:
        qemu.parse_lines([*GOOD[:2], line])
    assert repr(line) in str(raised.value)


@pytest.mark.parametrize("dropped, named", [(0, "'TPW READY arena_used='"), (1, "'TPW BOOT_INSTR'")])
def test_a_successful_run_missing_a_line_is_an_error_naming_it(dropped, named):
    lines = [line for i, line in enumerate(GOOD) if i != dropped]
    with pytest.raises(MicroError, match=f"^fw.elf: firmware status 0 but no {named} line$"):
        firmware.summarize_run(qemu.SimRun(lines, 0), expected_inputs=1, elf=Path("fw.elf"))


@pytest.mark.parametrize("json_path, message", [
    ("missing/out.json", "--json: cannot write {folder}/missing/out.json: No such file or directory"),
    ("folder", "--json: cannot write {folder}/folder: it exists and is not a regular file")])
def test_an_unwritable_json_is_refused_before_building_or_simulating(tmp_path, capsys, json_path, message):
    # Not a model: building and simulating it would end in a firmware status error instead.
    (tmp_path / "m.tflite").write_bytes(b"not a model")
    np.save(tmp_path / "in.npy", np.zeros((1, 4), np.int8))
    (tmp_path / "folder").mkdir()
    before = sorted(tmp_path.rglob("*"))
    argv = [str(tmp_path / "m.tflite"), "--inputs", str(tmp_path / "in.npy"), "--json", str(tmp_path / json_path)]
    assert sim_main(argv) == 1
    assert capsys.readouterr().err == f"error: {message.format(folder=tmp_path)}\n"
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("timeout", ["0", "-5", "inf", "nan"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_refused_first(tmp_path, capsys, timeout):
    argv = [str(tmp_path / "m.tflite"), "--inputs", str(tmp_path / "in.npy"), "--json", str(tmp_path / "out.json"),
            "--timeout", timeout]
    assert sim_main(argv) == 1
    assert capsys.readouterr().err == f"error: --timeout must be a positive number of seconds, got {timeout}\n"
    assert list(tmp_path.iterdir()) == []
