"""The linked harness: the model sits byte for byte in flash, and the reported sizes
agree with sizes recomputed by other tools (readelf instead of size/nm/the link map),
the ledger's firmware slot of a DECODE file included."""
import re
import subprocess

import numpy as np
import pytest

from tpw_export.firmware_report import firmware_report
from tpw_export.tflm import quantize_inputs
from tpw_micro import elf as elf_sizes
from tpw_micro import firmware, host_runtime
from tpw_micro.build import RUNTIME_SOURCES, build_dir
from tflite_micro.tensorflow.lite.micro.compression import decode_insert, model_editor

FLASH = range(0x08000000, 0x08000000 + 1024 * 1024)
FLASH_SECTIONS = (".isr_vector", ".text", ".rodata", ".ARM.extab", ".ARM.exidx", ".init_array", ".data")


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
    assert sizes["flash"] == sum(sections.get(s, 0) for s in FLASH_SECTIONS)
    arena = [s for n, _, s, _ in _symbol_table(elf) if n == "tpw_arena"]
    assert arena == [sizes["arena"]] and sizes["arena"] <= sizes["bss"]


def _function_sections(obj):
    """(name, symbol size) -> section size of every function of an object file: with
    -ffunction-sections each sits in its own section, whose size may pad the function
    to the section's alignment (4 or 2 bytes, as the optimization level chose)."""
    section_sizes = {int(m[1]): int(m[2], 16) for m in re.finditer(
        r"\[\s*(\d+)\]\s+\S+\s+\S+\s+[0-9a-f]{8}\s+[0-9a-f]{6}\s+([0-9a-f]{6})", _readelf("-S", "-W", elf=obj))}
    functions = {}
    for line in _readelf("-s", "-W", elf=obj).splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[3] == "FUNC" and parts[6].isdigit():
            functions[parts[7], int(parts[2], 0)] = section_sizes[int(parts[6])]
    return functions


def test_runtime_code_is_the_runtime_functions_linked(separable):
    """Map-file total == the sections, read from the runtime's object files, of the
    functions the ELF symbol table holds from them."""
    _, elf = separable
    sections = {}
    for obj in sorted((build_dir() / "runtime").rglob("*.o")):
        sections.update(_function_sections(obj))
    # by address: a C1/C2 constructor pair is one function under two names
    linked = {value: sections[name, size] for name, value, size, kind in _symbol_table(elf)
              if kind == "FUNC" and (name, size) in sections}
    sizes = elf_sizes.section_sizes(elf)
    assert sizes["runtime_code"] == sum(linked.values())
    assert 0 < sizes["runtime_code"] < sizes["text"]


def _interior_row_kernels():
    """Every interior-row kernel, as kernels/conv_common.h's TPW_CONV_ROW_KERNELS names them."""
    header = (RUNTIME_SOURCES / "kernels" / "conv_common.h").read_text()
    macro = re.search(r"#define TPW_CONV_ROW_KERNELS\(X\)((?:.*\\\n)*.*)", header)[1]
    return set(re.findall(r"X\((\w+)\)", macro))


def _tpw_functions(elf):
    """Unqualified names of the tpw:: functions in the ELF's symbol table (from their
    mangled names: _ZN3tpw<length><name>...)."""
    names = set()
    for name, _, _, kind in _symbol_table(elf):
        match = re.match(r"_ZN3tpw(\d+)", name)
        if kind == "FUNC" and match:
            names.add(name[match.end():match.end() + int(match[1])])
    return names


def test_firmware_links_only_the_kernel_variants_its_model_uses(separable):
    """The interior-row kernels in the ELF are the ones the host runtime's Prepare picked for
    the model's convolutions, not all five."""
    case, elf = separable
    every = _interior_row_kernels()
    picked = set(host_runtime.describe(case.model_bytes).kernels.values())
    assert picked and picked < every
    assert _tpw_functions(elf) & every == picked


def _schedule_report(cases, windows_dataset, schedule):
    """firmware_report of the hypertinypw case's ``schedule`` file (type-128 DECODEs) on two
    windows, with those windows' int8 form (the firmware's inputs)."""
    case = cases.case(f"hypertinypw_{schedule}")
    dataset = windows_dataset(np.random.default_rng(7).normal(size=(2, 1, 128, 2)).astype(np.float32))
    report = firmware_report(case.model_bytes, dataset, schedule=schedule, baked=case.baked_bytes,
                             synthesized=True, windows=2)
    return case, report, quantize_inputs(case.baked_bytes, dataset.splits["test"].x)


def test_firmware_slot_of_a_boot_file_is_its_elf_and_file(cases, windows_dataset):
    """The slot tpw-export --schedule boot --firmware writes, against readelf on the two ELFs it ran."""
    case, report, x = _schedule_report(cases, windows_dataset, "boot")
    assert (report["schedule"], report["reference"], report["windows"]) == ("boot", "baked file", 2)
    for file, figures in ((case.model_bytes, report), (case.baked_bytes, report["baked"])):
        elf = firmware.build_firmware(file, x)  # the ELF the report ran: same model and inputs
        sections = {name: size for name, (_, _, size) in _sections(elf).items()}
        symbols = {name: size for name, _, size, _ in _symbol_table(elf)}
        assert figures["file_bytes"] == len(file) == figures["model_array"] == symbols["model_tflite"]
        assert figures["flash"] == sum(sections.get(s, 0) for s in FLASH_SECTIONS)
        assert figures["sram_used_bytes"] == (sections[".data"] + sections[".bss"] + sections[".stack"]
                                              - symbols["tpw_arena"] + figures["arena_used_bytes"])
        assert 0 < figures["arena_used_bytes"] <= symbols["tpw_arena"]
    operators = model_editor.read(case.model_bytes).subgraphs[0].operators
    assert report["decode_ops"] == sum(op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME for op in operators) > 0
    assert report["decode_instructions_per_inference"] == [
        ours - baked for ours, baked in zip(report["instructions_per_inference"],
                                            report["baked"]["instructions_per_inference"])]
    assert report["decode_boot_instructions"] == report["boot_instructions"] - report["baked"]["boot_instructions"]


def test_boot_synthesizes_once_and_lazy_every_inference(cases, windows_dataset):
    """The same kernels synthesized at AllocateTensors (boot) or before each layer (lazy):
    boot pays more before the first inference, lazy more in every inference."""
    _, boot, _ = _schedule_report(cases, windows_dataset, "boot")
    _, lazy, _ = _schedule_report(cases, windows_dataset, "lazy")
    assert boot["decode_boot_instructions"] > lazy["decode_boot_instructions"]
    assert min(lazy["decode_instructions_per_inference"]) > max(boot["decode_instructions_per_inference"])
