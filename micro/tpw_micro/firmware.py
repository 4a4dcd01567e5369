"""Build the STM32L4 firmware for a model and run it on QEMU with exact instruction counts.

:func:`run_firmware` (what ``tpw-sim`` and ``tpw-export --firmware`` call):

1. ``make firmware`` embeds the model and the int8 inputs (as the C arrays ``xxd -i``
   prints) into the harness in ``firmware/stm32l4`` and links an ELF for the
   STM32L475VG. The op resolver is generated from the model's operator codes
   (:func:`resolver_source`, as TFLM's generator does) and lists the kernel variants the
   host runtime picks for its convolutions, so ``--gc-sections`` drops the kernels and
   variants the model does not use. Board and runtime objects are built once and shared; each distinct
   (model, inputs) pair gets its own folder named by their hash, so running the same
   pair again only re-runs the simulator.
2. :mod:`tpw_micro.qemu` boots it and counts instructions.
3. The console lines become a dict: ``outputs`` (one int8 list per input),
   ``instructions_per_inference`` (one int per input), ``boot_instructions``,
   ``arena_used_bytes``, ``sram_used_bytes`` and ``firmware`` (section sizes, :mod:`tpw_micro.elf`).

This package imports neither TensorFlow nor the TFLite runtimes, nor any training or
export code: it takes a ``.tflite`` and gives results.
"""
from __future__ import annotations

import hashlib
import re
import struct
import tempfile
from pathlib import Path

import numpy as np

from tpw_micro import host_runtime
from tpw_micro.build import RUNTIME_SOURCES, SOURCES, build_dir, make
from tpw_micro.elf import section_sizes
from tpw_micro.errors import MicroError
from tpw_micro.qemu import DEFAULT_TIMEOUT_S, SimRun, parse_lines, run_elf


def _make(*targets: str, **variables: str | Path) -> None:
    make(SOURCES, *targets, BUILD=build_dir(), **variables)


def build_plugin() -> Path:
    """Build (if stale) the QEMU instruction-count plugin; returns the ``.so`` path."""
    _make("plugin")
    return build_dir() / "sim" / "libtpw_insn_count.so"


TEST_HARNESSES = ("calibrate", "fault")


def build_test_harness(name: str) -> Path:
    """Build (if stale) a model-free harness ELF: ``calibrate`` (loops of known length,
    see ``calibrate.c``) or ``fault`` (an undefined instruction, see ``fault.c``)."""
    if name not in TEST_HARNESSES:
        raise MicroError(f"unknown test harness '{name}': choose one of {', '.join(TEST_HARNESSES)}")
    _make(name)
    return build_dir() / "harness" / f"{name}.elf"


def build_firmware(model_bytes: bytes, inputs_int8: np.ndarray) -> Path:
    """Build the harness ELF for one model and its inputs; returns the ELF path.

    Args:
        model_bytes: the ``.tflite`` flatbuffer.
        inputs_int8: int8 array ``(N, *input_shape[1:])``; sent as N raw tensors.
    """
    inputs = _check_inputs(inputs_int8)
    digest = hashlib.sha256(model_bytes + b"\0inputs\0" + inputs.tobytes()).hexdigest()[:16]
    out = build_dir() / "firmware" / digest
    out.mkdir(parents=True, exist_ok=True)
    # make always runs: it relinks when the harness or runtime changed, and its
    # copy rules leave an unchanged model untouched so nothing else is redone.
    resolver = out / "model_resolver.cc"
    source = resolver_source(model_bytes, model_kernels(model_bytes))
    if not resolver.exists() or resolver.read_text() != source:  # unchanged: make keeps the object
        resolver.write_text(source)
    with tempfile.TemporaryDirectory(dir=out) as staging:
        model_path = Path(staging) / "model.tflite"
        inputs_path = Path(staging) / "inputs.bin"
        model_path.write_bytes(model_bytes)
        inputs_path.write_bytes(inputs.tobytes())
        _make("firmware", MODEL=model_path, INPUTS=inputs_path, OUT=out)
    return out / "firmware.elf"


# The one table of builtin codes and kernels is all_ops_resolver.cc; a model's resolver
# copies the rows its operator codes name, so a new kernel is one row there.
_BUILTIN_ROW = re.compile(r"AddBuiltin\(BuiltinOperator::(\w+), (Register_\w+)\(\)\);")
_CUSTOM_ROW = re.compile(r'AddCustom\("([^"]+)", (Register_\w+)\(\)\);')
_ENUM_VALUE = re.compile(r"^\s*(k\w+) = (\d+),", re.MULTILINE)
_INCLUDE = re.compile(r'^#include "kernels/[^"]+"$', re.MULTILINE)
_CUSTOM_CODE = 32  # BuiltinOperator_CUSTOM in the TFLite schema


def _table_field(buf: bytes, table: int, field: int) -> int | None:
    """Absolute position of ``field`` of the flatbuffer table at ``table``, or None if absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vtable_size = struct.unpack_from("<H", buf, vtable)[0]
    if 4 + 2 * field + 2 > vtable_size:
        return None
    offset = struct.unpack_from("<H", buf, vtable + 4 + 2 * field)[0]
    return table + offset if offset else None


def _deref(buf: bytes, position: int) -> int:
    return position + struct.unpack_from("<I", buf, position)[0]


def operator_codes(model_bytes: bytes) -> list[int | str]:
    """The model's operator codes: a builtin's number, or a custom op's name.

    Model.operator_codes (field 1) of OperatorCode tables; the builtin is the larger of
    deprecated_builtin_code (field 0, int8) and builtin_code (field 3, int32), as TFLM
    reads it; a custom op (code 32) is named by custom_code (field 1).
    """
    try:
        codes_field = _table_field(model_bytes, _deref(model_bytes, 0), 1)
        if codes_field is None:
            return []
        vector = _deref(model_bytes, codes_field)
        codes: list[int | str] = []
        for i in range(struct.unpack_from("<I", model_bytes, vector)[0]):
            table = _deref(model_bytes, vector + 4 + 4 * i)
            fields = [_table_field(model_bytes, table, f) for f in (0, 1, 3)]
            deprecated = struct.unpack_from("<b", model_bytes, fields[0])[0] if fields[0] is not None else 0
            builtin = struct.unpack_from("<i", model_bytes, fields[2])[0] if fields[2] is not None else 0
            code = max(deprecated, builtin)
            if code == _CUSTOM_CODE and fields[1] is not None:
                name = _deref(model_bytes, fields[1])
                length = struct.unpack_from("<I", model_bytes, name)[0]
                codes.append(model_bytes[name + 4:name + 4 + length].decode("utf-8"))
            else:
                codes.append(code)
        return codes
    except (struct.error, UnicodeDecodeError) as err:
        raise MicroError(f"model: cannot read its operator codes ({err})") from None


def model_kernels(model_bytes: bytes) -> set[str] | None:
    """The kernel variants (``conv_1xk_s8_wide_2x2`` ...) the host runtime's Prepare picks
    for the model's nodes, or None when it refuses the model: its firmware then links
    every variant and reports the refusal itself."""
    try:
        return set(host_runtime.describe(model_bytes).kernels.values())
    except MicroError:
        return None


def resolver_source(model_bytes: bytes, kernels: set[str] | None = None) -> str:
    """C++ defining ``tpw::AddModelOps`` (``firmware/stm32l4/model_resolver.h``): the rows of
    ``all_ops_resolver.cc`` the model's operator codes name. A code the runtime has no
    kernel for gets no row; AllocateTensors then names the op, as with AllOpsResolver.

    With ``kernels`` (:func:`model_kernels`) it also defines ``kLinkedConvRows``
    (``kernels/conv_common.h``) with only those interior-row kernels; a kernel a node then
    needs but the table lacks fails AllocateTensors with its name. Without, the weak
    table of ``all_ops_resolver.cc`` links every one."""
    numbers = {name: int(value) for name, value in
               _ENUM_VALUE.findall((RUNTIME_SOURCES / "op_resolver.h").read_text())}
    table = (RUNTIME_SOURCES / "all_ops_resolver.cc").read_text()
    used = set(operator_codes(model_bytes))
    rows = [f"  TPW_RETURN_IF_ERROR(resolver->AddBuiltin(BuiltinOperator::{name}, {register}()));"
            for name, register in _BUILTIN_ROW.findall(table) if numbers.get(name) in used]
    rows += [f'  TPW_RETURN_IF_ERROR(resolver->AddCustom("{name}", {register}()));'
             for name, register in _CUSTOM_ROW.findall(table) if name in used]
    return "\n".join([
        "// Generated by tpw_micro.firmware.resolver_source from the model's operator codes:",
        "// the rows of all_ops_resolver.cc it uses, so the link keeps only these kernels.",
        *_INCLUDE.findall(table),  # the headers declaring the table's Register_* functions
        '#include "model_resolver.h"',
        "",
        "namespace tpw {",
        "",
        "Status AddModelOps(OpResolver* resolver) {",
        *rows,
        "  return Status::Ok();",
        "}",
        "",
        *([] if kernels is None else [
            "// The interior-row kernels the host runtime picked for this model.",
            "extern const LinkedConvRow kLinkedConvRows[] = {",
            *(f"    TPW_LINKED_CONV_ROW({name})" for name in sorted(kernels)),
            "    {}};",
            ""]),
        "}  // namespace tpw",
        ""])


def _check_inputs(inputs_int8) -> np.ndarray:
    inputs = np.asarray(inputs_int8)
    if inputs.dtype != np.int8:
        raise MicroError(f"inputs: expected int8 values, got dtype {inputs.dtype}")
    if inputs.ndim < 1 or len(inputs) == 0:
        raise MicroError(f"inputs: expected shape (N, ...) with N >= 1, got {inputs.shape}")
    return np.ascontiguousarray(inputs)


def run_firmware(model_bytes: bytes, inputs_int8: np.ndarray, *,
                 timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """Build and simulate the firmware for ``model_bytes`` on ``inputs_int8``.

    Args:
        model_bytes: the ``.tflite`` flatbuffer (int8 input and output 0).
        inputs_int8: int8 ``(N, *input_shape[1:])``.
        timeout: seconds the simulator may run.

    Returns:
        ``{"outputs": [[int8, ...]] * N, "instructions_per_inference": [int] * N,
        "boot_instructions": int, "arena_used_bytes": int, "sram_used_bytes": int,
        "firmware": section_sizes(elf)}`` where each output list is output 0 flattened,
        ``boot_instructions`` counts from reset to the first inference (board setup,
        ``AllocateTensors`` and whatever it computes, e.g. boot synthesis) and
        ``sram_used_bytes`` is the ELF's SRAM with the arena counted as far as it is used.

    Raises:
        MicroError: the build fails, or the firmware reports a non-zero status
            (the message is the firmware's ``TPW STATUS`` line).
    """
    elf = build_firmware(model_bytes, inputs_int8)
    run = run_elf(elf, build_plugin(), timeout=timeout)
    return summarize_run(run, expected_inputs=len(inputs_int8), elf=elf)


def summarize_run(run: SimRun, *, expected_inputs: int, elf: Path) -> dict:
    """Check a finished run is complete and successful; return :func:`run_firmware`'s dict."""
    parsed = parse_lines(run.lines)
    if "status" not in parsed:
        tail = run.lines[-1] if run.lines else "no output"
        raise MicroError(f"{elf}: firmware ended without a status line (exit {run.exit_code}): {tail}")
    code, message = parsed["status"]
    if code != 0 or run.exit_code != 0:
        raise MicroError(f"{elf}: firmware status {code}: {message}")
    missing = [line for line, present in (("TPW READY arena_used=", "arena_used" in parsed.get("ready", {})),
                                          ("TPW BOOT_INSTR", "boot_instructions" in parsed)) if not present]
    if missing:
        raise MicroError(f"{elf}: firmware status 0 but no {' or '.join(repr(m) for m in missing)} line")
    indices = list(range(expected_inputs))
    if sorted(parsed["outputs"]) != indices or sorted(parsed["instructions"]) != indices:
        raise MicroError(f"{elf}: expected {expected_inputs} outputs and counts, got "
                          f"{len(parsed['outputs'])} and {len(parsed['instructions'])}")
    sizes = section_sizes(elf)
    arena_used = parsed["ready"]["arena_used"]
    return {
        "outputs": [parsed["outputs"][i] for i in indices],
        "instructions_per_inference": [parsed["instructions"][i] for i in indices],
        "boot_instructions": parsed["boot_instructions"],
        "arena_used_bytes": arena_used,
        # The SRAM the model needs: static data and stack, with the part of the arena it uses.
        "sram_used_bytes": sizes["sram"] - sizes["arena"] + arena_used,
        "firmware": sizes,
    }
