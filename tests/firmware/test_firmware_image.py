"""The linked harness: the model sits byte for byte in flash, and the reported sizes
agree with sizes recomputed by other tools (readelf instead of size/nm/the link map)."""
import re
import subprocess

import pytest

from tpw_micro import elf as elf_sizes
from tpw_micro.build import build_dir

FLASH = range(0x08000000, 0x08000000 + 1024 * 1024)


def _readelf(*args, elf):
    return subprocess.run(["arm-none-eabi-readelf", *args, str(elf)], capture_output=True,
                          text=True, check=True).stdout


def _sections(elf):
    """name -> (address, file offset, size) from readelf -S."""
    table = {}
    for match in re.finditer(r"\]\s+(\.\S+)\s+\S+\s+([0-9a-f]{8})\s+([0-9a-f]{6})\s+([0-9a-f]{6})",
                             _readelf("-S", "-W", elf=elf)):
        table[match[1]] = (int(match[2], 16), int(match[3], 16), int(match[4], 16))
    return table


def _symbol_table(elf):
    """(name, value, size, type) of every symbol, from readelf -s."""
    rows = []
    for line in _readelf("-s", "-W", elf=elf).splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[0][:-1].isdigit():
            rows.append((parts[7], int(parts[1], 16), int(parts[2], 0), parts[3]))
    return rows


@pytest.fixture(scope="module")
def separable(cases):
    case = cases.case("separable")
    return case, case.elf


def test_model_array_is_the_model_file_in_flash(separable):
    case, elf = separable
    model = case.model_bytes
    (address, size), = [(v, s) for n, v, s, _ in _symbol_table(elf) if n == "model_tflite"]
    assert size == len(model)
    assert address in FLASH and address % 16 == 0
    section_address, offset, section_size = _sections(elf)[".rodata"]
    assert section_address <= address and address + size <= section_address + section_size
    image = elf.read_bytes()
    start = offset + address - section_address
    assert image[start:start + size] == model


def test_model_array_source_is_what_xxd_prints(separable, tmp_path):
    case, elf = separable
    (tmp_path / "model.tflite").write_bytes(case.model_bytes)
    xxd = subprocess.run(["xxd", "-i", "model.tflite"], cwd=tmp_path, capture_output=True,
                         check=True).stdout
    assert (elf.parent / "model_data.c").read_bytes() == xxd


def test_section_sizes_match_readelf(separable):
    _, elf = separable
    sizes = elf_sizes.section_sizes(elf)
    sections = {name: size for name, (_, _, size) in _sections(elf).items()}
    assert sizes["text"] == sections[".isr_vector"] + sections[".text"]
    assert sizes["data"] == sections[".data"]
    assert sizes["bss"] == sections[".bss"]
    assert sizes["stack"] == 16 * 1024
    assert sizes["flash"] == sum(sections.get(s, 0) for s in (
        ".isr_vector", ".text", ".rodata", ".ARM.extab", ".ARM.exidx", ".init_array", ".data"))
    arena = [s for n, _, s, _ in _symbol_table(elf) if n == "tpw_arena"]
    assert arena == [sizes["arena"]] and sizes["arena"] <= sizes["bss"]


def test_runtime_code_is_the_runtime_functions_linked(separable):
    """Map-file total == the linked functions defined in the runtime's objects, from the
    ELF symbol table: each function sits in its own 4-byte aligned section
    (-ffunction-sections) whose size the assembler pads to that alignment."""
    _, elf = separable
    defined = set()
    for obj in sorted((build_dir() / "runtime").rglob("*.o")):
        out = subprocess.run(["arm-none-eabi-nm", "--defined-only", str(obj)], capture_output=True,
                             text=True, check=True).stdout
        defined |= {line.split()[2] for line in out.splitlines() if line.split()[1] in "tTW"}
    # by address: a C1/C2 constructor pair is one function under two names
    linked = {value: size for name, value, size, kind in _symbol_table(elf)
              if kind == "FUNC" and name in defined}
    padded = sum(-(-size // 4) * 4 for size in linked.values())
    sizes = elf_sizes.section_sizes(elf)
    assert sizes["runtime_code"] == padded
    assert 0 < sizes["runtime_code"] < sizes["text"]
