"""Build the STM32L4 firmware for a model and run it on QEMU with exact instruction counts.

:func:`run_firmware` (what ``tpw-sim`` and ``tpw-export --firmware`` call):

1. ``make firmware`` embeds the model and the int8 inputs (as the C arrays ``xxd -i``
   prints) into the harness in ``firmware/stm32l4`` and links an ELF for the
   STM32L475VG. Board and runtime objects are built once and shared; each distinct
   (model, inputs) pair gets its own folder named by their hash, so running the same
   pair again only re-runs the simulator.
2. :mod:`tpw_micro.qemu` boots it and counts instructions.
3. The console lines become a dict: ``outputs`` (one int8 list per input),
   ``instructions_per_inference`` (one int per input), ``boot_instructions``,
   ``arena_used_bytes`` and ``firmware`` (section sizes, :mod:`tpw_micro.elf`).

This package imports neither TensorFlow nor the TFLite runtimes, nor any training or
export code: it takes a ``.tflite`` and gives results.
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from tpw_micro.build import SOURCES, build_dir, make
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
    with tempfile.TemporaryDirectory(dir=out) as staging:
        model_path = Path(staging) / "model.tflite"
        inputs_path = Path(staging) / "inputs.bin"
        model_path.write_bytes(model_bytes)
        inputs_path.write_bytes(inputs.tobytes())
        _make("firmware", MODEL=model_path, INPUTS=inputs_path, OUT=out)
    return out / "firmware.elf"


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
        "boot_instructions": int, "arena_used_bytes": int, "firmware": section_sizes(elf)}``
        where each output list is output 0 flattened.

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
    return {
        "outputs": [parsed["outputs"][i] for i in indices],
        "instructions_per_inference": [parsed["instructions"][i] for i in indices],
        "boot_instructions": parsed["boot_instructions"],
        "arena_used_bytes": parsed["ready"]["arena_used"],
        "firmware": section_sizes(elf),
    }
