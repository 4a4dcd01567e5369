"""Renode's Robot Framework keywords, implemented over QEMU.

The suites in this folder use Renode's keyword names and meaning so that the
same ``.robot`` files run under Renode's ``renode-test``; this library is what
runs them on QEMU (``-M b-l475e-iot01a``) in tpw's CI. Implemented:

``Execute Command``  the monitor subset ``micro/tpw_micro/sim/stm32l4.resc`` needs:
                     ``$var=@path`` / ``$var="text"`` / ``$var?=...``, ``include @file``,
                     ``mach create``, ``machine LoadPlatformDescription @file``,
                     ``sysbus LoadELF @file|$var``. Lines starting with ``:`` or ``#``
                     are comments. Anything else fails, naming the command.
``Create Terminal Tester``  on ``sysbus.usart1`` (QEMU's console UART); returns tester id 0.
``Start Emulation``  boots the loaded ELF under QEMU with the instruction-count
                     plugin (see ``tpw_micro.qemu.qemu_command``).
``Wait For Line On Uart``  waits for the next line containing ``content`` (or
                     matching it with ``treatAsRegex=true``, ``re.search``); returns
                     an object with ``line`` and ``groups`` like Renode's result.
``Reset Emulation``  stops QEMU and forgets the machine.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tpw_micro import firmware, qemu

UART = "sysbus.usart1"
_ASSIGN = re.compile(r"^\$(?P<name>\w+)\s*(?P<op>\?=|=)\s*(?P<value>.+)$")


@dataclass(frozen=True)
class UartMatch:
    """What ``Wait For Line On Uart`` returns: the whole line and the regex groups."""

    line: str
    groups: tuple[str, ...]


class _Console:
    """QEMU's stdout, collected line by line on a reader thread."""

    def __init__(self, command: list[str]):
        self.lines: list[str] = []
        self.finished = False
        self._changed = threading.Condition()
        self._proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\r\n"))
                self._changed.notify_all()
        self._proc.wait()
        with self._changed:
            self.finished = True
            self._changed.notify_all()

    def wait_for(self, start: int, accept, timeout: float) -> int | None:
        """Index of the first line at or after ``start`` that ``accept`` takes, else None."""
        deadline = time.monotonic() + timeout
        index = start
        with self._changed:
            while True:
                while index < len(self.lines):
                    if accept(self.lines[index]):
                        return index
                    index += 1
                remaining = deadline - time.monotonic()
                if self.finished or remaining <= 0:
                    return None
                self._changed.wait(remaining)

    @property
    def exit_code(self) -> int | None:
        return self._proc.poll()

    def stop(self):
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._reader.join()


class renode_on_qemu:
    """Keyword library (Robot library name = this module)."""

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self):
        self._variables: dict[str, str] = {}
        self._reset_machine()

    def _reset_machine(self):
        self._machine: str | None = None
        self._elf: Path | None = None
        self._timeout = 10.0
        self._tester = False
        self._console: _Console | None = None
        self._cursor = 0

    # --- Execute Command ---------------------------------------------------------

    def execute_command(self, command: str) -> str:
        """Run one monitor command of the supported subset; returns "" like a silent Renode command."""
        command = command.strip()
        if not command or command.startswith((":", "#")):
            return ""
        assign = _ASSIGN.match(command)
        if assign:
            if assign["op"] == "=" or assign["name"] not in self._variables:
                self._variables[assign["name"]] = self._value(assign["value"])
            return ""
        words = shlex.split(command)
        if words[0] in ("include", "i") and len(words) == 2:
            for line in self._path(words[1], command).read_text().splitlines():
                self.execute_command(line)
        elif words[:2] == ["mach", "create"]:
            self._machine = self._value(words[2]) if len(words) > 2 else "machine-0"
        elif words[:2] == ["machine", "LoadPlatformDescription"] and len(words) == 3:
            self._require_machine(command)
            self._path(words[2], command)
        elif words[:2] == ["sysbus", "LoadELF"] and len(words) == 3:
            self._require_machine(command)
            self._elf = self._path(words[2], command)
        else:
            raise AssertionError(f"Execute Command: '{command}' is not in the subset the QEMU "
                                 "backend implements (see renode_on_qemu.py)")
        return ""

    def _value(self, token: str) -> str:
        """Resolve ``$var``, strip quotes, keep ``@path`` markers."""
        token = token.strip()
        if token.startswith("$"):
            name = token[1:]
            if name not in self._variables:
                raise AssertionError(f"Execute Command: variable ${name} is not set")
            return self._variables[name]
        return token.strip('"')

    def _path(self, token: str, command: str) -> Path:
        value = self._value(token)
        if not value.startswith("@"):
            raise AssertionError(f"Execute Command: '{command}' needs a @path, got '{value}'")
        path = Path(value[1:])
        if not path.is_file():
            raise AssertionError(f"Execute Command: '{command}': no file {path} "
                                 f"(relative paths are taken from {Path.cwd()})")
        return path

    def _require_machine(self, command: str):
        if self._machine is None:
            raise AssertionError(f"Execute Command: '{command}' before 'mach create'")

    # --- emulation ---------------------------------------------------------------

    def create_terminal_tester(self, uart: str, timeout=10, **_renode_options) -> int:
        """Attach the tester to ``uart`` (only ``sysbus.usart1`` exists); returns tester id 0."""
        if uart != UART:
            raise AssertionError(f"Create Terminal Tester: only {UART} is wired to QEMU's console, got {uart}")
        self._timeout = float(timeout)
        self._tester = True
        return 0

    def start_emulation(self):
        """Boot the ELF loaded with ``sysbus LoadELF`` on QEMU."""
        if self._elf is None:
            raise AssertionError("Start Emulation: no ELF loaded (Execute Command  sysbus LoadELF @file)")
        if self._console is not None:
            raise AssertionError("Start Emulation: already running (Reset Emulation first)")
        self._console = _Console(qemu.qemu_command(self._elf, firmware.build_plugin()))
        self._cursor = 0

    def wait_for_line_on_uart(self, content: str, timeout=None, testerId=None, treatAsRegex=False,
                              pauseEmulation=False, **_renode_options) -> UartMatch:
        """Wait for the next UART line containing ``content`` (a regex with ``treatAsRegex``)."""
        if not self._tester or self._console is None:
            raise AssertionError("Wait For Line On Uart: create a terminal tester and start emulation first")
        regex = str(treatAsRegex).lower() == "true"
        pattern = re.compile(content) if regex else None

        def accept(line: str) -> bool:
            return bool(pattern.search(line)) if regex else content in line

        limit = self._timeout if timeout is None else float(timeout)
        index = self._console.wait_for(self._cursor, accept, limit)
        if index is None:
            seen = self._console.lines[self._cursor:][-5:]
            ended = (f"QEMU exited with {self._console.exit_code}" if self._console.finished
                     else f"timeout {limit:g} s")
            raise AssertionError(f"Wait For Line On Uart: no line {'matching' if regex else 'containing'} "
                                 f"'{content}' ({ended}); last lines: {seen}")
        self._cursor = index + 1
        line = self._console.lines[index]
        return UartMatch(line, pattern.search(line).groups() if regex else ())

    def reset_emulation(self):
        """Stop QEMU and forget the machine, the ELF and the tester (variables stay)."""
        if self._console is not None:
            self._console.stop()
        self._reset_machine()
