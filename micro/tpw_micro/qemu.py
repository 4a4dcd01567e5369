"""Boot a harness ELF on QEMU's STM32L475 board and read what its console says.

``qemu-system-arm -M b-l475e-iot01a -icount shift=0`` runs it with our TCG plugin
(``sim/``), which counts the instructions between the harness's marker functions
exactly; the harness reports on the UART in lines ``TPW <KIND> <fields>`` (format in
``firmware/stm32l4/README.md``).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tpw_micro.build import BUILD_HELP
from tpw_micro.elf import marker_addresses
from tpw_micro.errors import MicroError

MACHINE = "b-l475e-iot01a"
DEFAULT_TIMEOUT_S = 600.0

# One harness line: "TPW <KIND> <rest>" (firmware/stm32l4/README.md).
_LINE = re.compile(r"^TPW (?P<kind>[A-Z_]+) ?(?P<rest>.*)$")


def qemu_command(elf: Path, plugin: Path) -> list[str]:
    """The QEMU command line that boots ``elf`` with the counting plugin.

    ``-icount shift=0`` makes virtual time advance one nanosecond per instruction,
    so timers (SysTick) and therefore every run are deterministic.
    """
    begin, end = marker_addresses(elf)
    return [
        "qemu-system-arm", "-M", MACHINE, "-nographic", "-monitor", "none",
        "-serial", "stdio", "-semihosting-config", "enable=on,target=native",
        "-icount", "shift=0",
        "-plugin", f"{plugin},begin={begin:#x},end={end:#x}",
        "-kernel", str(elf),
    ]


@dataclass(frozen=True)
class SimRun:
    """One simulator run: the console lines in order and QEMU's exit status, which is
    the harness's run status (semihosting SYS_EXIT_EXTENDED)."""

    lines: list[str]
    exit_code: int


def run_elf(elf: Path, plugin: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> SimRun:
    """Boot ``elf`` on QEMU with the counting ``plugin`` until the harness ends the run
    (or ``timeout`` seconds)."""
    cmd = qemu_command(elf, plugin)
    if shutil.which(cmd[0]) is None:
        raise MicroError(f"qemu-system-arm is not installed ({BUILD_HELP})")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise MicroError(f"{elf}: simulation did not finish within {timeout:g} s") from None
    lines = [line.rstrip("\r") for line in proc.stdout.splitlines()]
    return SimRun(lines, proc.returncode)


def parse_lines(lines: list[str]) -> dict:
    """Turn the ``TPW ...`` console lines into a dict (other lines are ignored).

    Returns keys ``status`` (code, message), ``ready`` (dict of ints), ``boot_instructions``,
    ``outputs`` and ``instructions`` (``{index: value}``); a key is absent if its line was.

    Raises:
        MicroError: a ``TPW`` line of a known kind does not have its documented fields.
    """
    parsed: dict = {"outputs": {}, "instructions": {}}
    for line in lines:
        match = _LINE.match(line.strip())
        if not match:
            continue
        try:
            _parse_line(match["kind"], match["rest"], parsed)
        except ValueError:
            raise MicroError(f"malformed firmware line {line.strip()!r} "
                              "(format in tpw_micro/firmware/stm32l4/README.md)") from None
    return parsed


def _parse_line(kind: str, rest: str, parsed: dict) -> None:
    """Add one ``TPW <kind> <rest>`` line to ``parsed``; ValueError if its fields are wrong."""
    if kind == "READY":
        parsed["ready"] = {k: int(v) for k, v in (f.split("=", 1) for f in rest.split())}
    elif kind == "BOOT_INSTR":
        parsed["boot_instructions"] = int(rest)
    elif kind == "INSTR":
        index, count = rest.split()
        parsed["instructions"][int(index)] = int(count)
    elif kind == "OUT":
        index, _, values = rest.partition(" ")
        parsed["outputs"][int(index)] = [int(v) for v in values.split(",") if v]
    elif kind == "STATUS":
        code, _, message = rest.partition(" ")
        parsed["status"] = (int(code), message)
