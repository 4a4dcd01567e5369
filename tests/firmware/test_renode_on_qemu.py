"""The Renode keyword subset over QEMU: monitor commands and UART waits."""
from pathlib import Path

import pytest

from renode_on_qemu import renode_on_qemu

ROOT = Path(__file__).resolve().parents[2]
RESC = "micro/tpw_micro/sim/stm32l4.resc"


@pytest.fixture
def keywords(monkeypatch):
    monkeypatch.chdir(ROOT)  # .resc paths are relative to the repository root, as in Renode
    library = renode_on_qemu()
    yield library
    library.reset_emulation()


def test_resc_loads_the_elf_given_in_a_variable(keywords):
    from tpw_micro import firmware

    elf = firmware.build_test_harness("calibrate")
    keywords.execute_command(f"$elf=@{elf}")
    keywords.execute_command(f"include @{RESC}")
    keywords.create_terminal_tester("sysbus.usart1", timeout=60)
    keywords.start_emulation()
    ready = keywords.wait_for_line_on_uart(r"^TPW READY sysclk=(\d+)", treatAsRegex="true")
    assert ready.groups == ("80000000",)
    assert keywords.wait_for_line_on_uart("TPW STATUS 0").line == "TPW STATUS 0 ok"


def test_a_line_that_never_comes_fails_when_qemu_exits(keywords):
    from tpw_micro import firmware

    keywords.execute_command(f"$elf=@{firmware.build_test_harness('calibrate')}")
    keywords.execute_command(f"include @{RESC}")
    keywords.create_terminal_tester("sysbus.usart1", timeout=60)
    keywords.start_emulation()
    with pytest.raises(AssertionError, match=r"no line containing 'TPW NEVER' \(QEMU exited with 0\)"):
        keywords.wait_for_line_on_uart("TPW NEVER")


def test_unknown_command_is_named(keywords):
    with pytest.raises(AssertionError, match=r"'emulation RunFor \"1\"' is not in the subset"):
        keywords.execute_command('emulation RunFor "1"')


def test_load_elf_before_mach_create_fails(keywords):
    with pytest.raises(AssertionError, match=r"before 'mach create'"):
        keywords.execute_command(f"sysbus LoadELF @{RESC}")


def test_default_assignment_keeps_an_existing_value(keywords):
    keywords.execute_command(f"$elf=@{RESC}")
    keywords.execute_command("$elf?=@no/such/file.elf")
    keywords.execute_command("mach create")
    keywords.execute_command("sysbus LoadELF $elf")  # fails if $elf were the missing file
    with pytest.raises(AssertionError, match=r"no file no/such/file.elf"):
        keywords.execute_command("sysbus LoadELF @no/such/file.elf")
