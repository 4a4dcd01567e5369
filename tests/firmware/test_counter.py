"""The instruction counter (exact on code of known length, independent of -icount) and
the fault path of the startup code."""
import subprocess

from tpw_micro import firmware, qemu


def _calibration_run(command):
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout.splitlines()


def _spins_and_counts(lines):
    spins = {int(l.split()[2]): int(l.split()[3]) for l in lines if l.startswith("TPW SPIN ")}
    counts = qemu.parse_lines(lines)["instructions"]
    return spins, counts


def test_loop_of_known_length_counts_two_instructions_per_iteration():
    elf = firmware.build_test_harness("calibrate")
    code, lines = _calibration_run(qemu.qemu_command(elf, firmware.build_plugin()))
    assert code == 0 and lines[-1] == "TPW STATUS 0 ok"
    spins, counts = _spins_and_counts(lines)
    assert sorted(spins) == sorted(counts) == [0, 1, 2]
    # tpw_spin(n) is n x {subs, bne} + bx lr; the marker calls around it are the same code
    # for every region, so differences between regions are the loop alone.
    for i in (1, 2):
        assert counts[i] - counts[0] == 2 * (spins[i] - spins[0])


def test_counts_do_not_depend_on_icount():
    elf = firmware.build_test_harness("calibrate")
    with_icount = qemu.qemu_command(elf, firmware.build_plugin())
    i = with_icount.index("-icount")
    without_icount = with_icount[:i] + with_icount[i + 2:]
    code_a, lines_a = _calibration_run(with_icount)
    code_b, lines_b = _calibration_run(without_icount)
    assert code_a == code_b == 0
    parsed_a, parsed_b = qemu.parse_lines(lines_a), qemu.parse_lines(lines_b)
    assert parsed_a["instructions"] == parsed_b["instructions"]
    assert parsed_a["boot_instructions"] == parsed_b["boot_instructions"] > 0


def test_plugin_refuses_missing_marker_address():
    elf = firmware.build_test_harness("calibrate")
    command = qemu.qemu_command(elf, firmware.build_plugin())
    i = command.index("-plugin")
    command[i + 1] = f"{firmware.build_plugin()},begin=0x8000000"
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "need distinct begin=0x... and end=0x..." in proc.stderr


def test_fault_ends_the_run_with_status_4():
    elf = firmware.build_test_harness("fault")
    run = qemu.run_elf(elf, firmware.build_plugin(), timeout=60)
    assert run.exit_code == 4
    assert run.lines[-1] == "TPW STATUS 4 fault exception"
    assert qemu.parse_lines(run.lines)["instructions"] == {}  # the region never closed
