"""What a linked harness ELF holds: symbols, section sizes and the runtime's share of the code."""
from __future__ import annotations

import re
from pathlib import Path

from tpw_micro.build import run_tool
from tpw_micro.errors import MicroError

CROSS = "arm-none-eabi-"


def marker_addresses(elf: Path) -> tuple[int, int]:
    """Addresses of ``tpw_marker_begin`` / ``tpw_marker_end`` from the ELF symbol table."""
    table = symbols(elf)
    try:
        return table["tpw_marker_begin"][0], table["tpw_marker_end"][0]
    except KeyError as missing:
        raise MicroError(f"{elf}: no marker symbol {missing}; not a tpw harness") from None


def symbols(elf: Path) -> dict[str, tuple[int, int]]:
    """``name -> (address, size)`` for every sized symbol in ``elf``."""
    table = {}
    for line in run_tool([f"{CROSS}nm", "-S", str(elf)], f"nm {elf}").splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return table


def section_sizes(elf: Path) -> dict:
    """Flash/SRAM figures of a harness ELF, in bytes.

    Keys: ``text`` (vectors + code), ``rodata`` (constants incl. the model and
    inputs), ``data``, ``bss`` (incl. the tensor arena), ``stack``, ``arena``,
    ``model_array`` (the embedded ``model_tflite`` array), ``runtime_code``
    (code linked in from the runtime's objects alone), ``flash`` and ``sram`` totals.
    """
    sections = {}
    for line in run_tool([f"{CROSS}size", "-A", str(elf)], f"size {elf}").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            sections[parts[0]] = int(parts[1])
    table = symbols(elf)
    text = sections.get(".isr_vector", 0) + sections.get(".text", 0)
    rodata = sum(sections.get(s, 0) for s in (".rodata", ".ARM.extab", ".ARM.exidx", ".init_array"))
    sizes = {
        "text": text,
        "rodata": rodata,
        "data": sections.get(".data", 0),
        "bss": sections.get(".bss", 0),
        "stack": sections.get(".stack", 0),
        "arena": table.get("tpw_arena", (0, 0))[1],
        "model_array": table.get("model_tflite", (0, 0))[1],
        "runtime_code": runtime_code_bytes(elf.with_suffix(".map")),
    }
    sizes["flash"] = text + rodata + sizes["data"]
    sizes["sram"] = sizes["data"] + sizes["bss"] + sizes["stack"]
    return sizes


# A kept input section in the link map: name (possibly alone on the line before),
# address, size, object file.
_MAP_INPUT = re.compile(r"^ (?P<name>\.\S+)?\s+0x(?P<addr>[0-9a-f]+)\s+0x(?P<size>[0-9a-f]+)\s+(?P<obj>\S+\.o)$")


def runtime_code_bytes(map_path: Path) -> int:
    """Bytes of ``.text`` input sections linked from the runtime's objects (``runtime/`` in the build).

    Reads the GNU ld map after "Linker script and memory map", so sections that
    ``--gc-sections`` discarded are not counted.
    """
    try:
        text = map_path.read_text()
    except OSError as err:
        raise MicroError(f"{map_path}: cannot read link map ({err.strerror})") from None
    _, found, memory_map = text.partition("Linker script and memory map")
    if not found:
        raise MicroError(f"{map_path}: not a GNU ld map (no memory map section)")
    total, pending_name = 0, None
    for line in memory_map.splitlines():
        match = _MAP_INPUT.match(line)
        if match is None:
            pending_name = line.strip() if re.fullmatch(r" \.\S+", line) else None
            continue
        name = match["name"] or pending_name
        pending_name = None
        if name and name.startswith(".text") and "/runtime/" in match["obj"] and int(match["addr"], 16):
            total += int(match["size"], 16)
    return total
