"""Build the STM32L4 firmware for a model and run it on QEMU with exact instruction counts.

``tpw-sim MODEL.tflite --inputs IN.npy --json OUT.json`` and :func:`run_firmware`
(what ``tpw-export --firmware`` calls) do the same thing:

1. ``make -C micro firmware`` embeds the model and the int8 inputs (as the C arrays
   ``xxd -i`` prints) into the harness in ``micro/firmware/stm32l4`` and links an ELF
   for the STM32L475VG. Board and runtime objects are built once and shared; each
   distinct (model, inputs) pair gets its own folder named by their hash, so
   running the same pair again only re-runs the simulator.
2. ``qemu-system-arm -M b-l475e-iot01a -icount shift=0`` boots it with our TCG
   plugin (``micro/sim``), which counts the instructions between the harness's
   marker functions exactly.
3. The UART lines (format in ``micro/firmware/stm32l4/README.md``) become a dict:
   ``outputs`` (one int8 list per input), ``instructions_per_inference`` (one int
   per input), ``boot_instructions``, ``arena_used_bytes`` and ``firmware``
   (section sizes from ``arm-none-eabi-size -A`` and the link map).

This module imports neither TensorFlow nor the TFLite runtimes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpw_export import micro_runtime
from tpw_export.errors import ExportError
from tpw_tf import atomic
from tpw_tf.errors import TpwError

MICRO_DIR = Path(__file__).resolve().parents[1] / "micro"
MACHINE = "b-l475e-iot01a"
CROSS = "arm-none-eabi-"
DEFAULT_TIMEOUT_S = 600.0

# One harness line: "TPW <KIND> <rest>" (micro/firmware/stm32l4/README.md).
_LINE = re.compile(r"^TPW (?P<kind>[A-Z_]+) ?(?P<rest>.*)$")


def build_dir() -> Path:
    """Where shared objects, the plugin and per-model firmware go (``$TPW_MICRO_BUILD``)."""
    return Path(os.environ.get("TPW_MICRO_BUILD", MICRO_DIR / "build")).resolve()


def _run_tool(cmd: list[str], what: str, timeout: float | None = None) -> str:
    """Run a build tool; any failure becomes one ExportError line naming ``what``."""
    if shutil.which(cmd[0]) is None:
        raise ExportError(f"{what}: '{cmd[0]}' is not installed (see micro/firmware/stm32l4/README.md)")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        # The first compiler/linker error says more than make's closing "Error 1".
        causes = [line for line in lines
                  if re.search(r"error|undefined reference|overflowed", line, re.I)
                  and not line.startswith(("make", "collect2"))]
        raise ExportError(f"{what} failed (exit {proc.returncode}): {(causes or lines[-1:])[0]}")
    return proc.stdout


def _make(*targets: str, **variables: str | Path) -> None:
    args = [f"{k}={v}" for k, v in variables.items()]
    jobs = f"-j{os.cpu_count() or 1}"
    _run_tool(["make", "-s", jobs, "-C", str(MICRO_DIR), *targets, f"BUILD={build_dir()}", *args],
              f"make {' '.join(targets)}")


def build_plugin() -> Path:
    """Build (if stale) the QEMU instruction-count plugin; returns the ``.so`` path."""
    _make("plugin")
    return build_dir() / "sim" / "libtpw_insn_count.so"


TEST_HARNESSES = ("calibrate", "fault")


def build_test_harness(name: str) -> Path:
    """Build (if stale) a model-free harness ELF: ``calibrate`` (loops of known length,
    see ``calibrate.c``) or ``fault`` (an undefined instruction, see ``fault.c``)."""
    if name not in TEST_HARNESSES:
        raise ExportError(f"unknown test harness '{name}': choose one of {', '.join(TEST_HARNESSES)}")
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
        raise ExportError(f"inputs: expected int8 values, got dtype {inputs.dtype}")
    if inputs.ndim < 1 or len(inputs) == 0:
        raise ExportError(f"inputs: expected shape (N, ...) with N >= 1, got {inputs.shape}")
    return np.ascontiguousarray(inputs)


def marker_addresses(elf: Path) -> tuple[int, int]:
    """Addresses of ``tpw_marker_begin`` / ``tpw_marker_end`` from the ELF symbol table."""
    symbols = _symbols(elf)
    try:
        return symbols["tpw_marker_begin"][0], symbols["tpw_marker_end"][0]
    except KeyError as missing:
        raise ExportError(f"{elf}: no marker symbol {missing}; not a tpw harness") from None


def _symbols(elf: Path) -> dict[str, tuple[int, int]]:
    """``name -> (address, size)`` for every sized symbol in ``elf``."""
    table = {}
    for line in _run_tool([f"{CROSS}nm", "-S", str(elf)], f"nm {elf}").splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return table


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


def run_elf(elf: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> SimRun:
    """Boot ``elf`` on QEMU until the harness ends the run (or ``timeout`` seconds)."""
    cmd = qemu_command(elf, build_plugin())
    if shutil.which(cmd[0]) is None:
        raise ExportError("qemu-system-arm is not installed (see micro/firmware/stm32l4/README.md)")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ExportError(f"{elf}: simulation did not finish within {timeout:g} s") from None
    lines = [line.rstrip("\r") for line in proc.stdout.splitlines()]
    return SimRun(lines, proc.returncode)


def parse_lines(lines: list[str]) -> dict:
    """Turn the ``TPW ...`` console lines into a dict (other lines are ignored).

    Returns keys ``status`` (code, message), ``ready`` (dict of ints), ``boot_instructions``,
    ``outputs`` and ``instructions`` (``{index: value}``); a key is absent if its line was.

    Raises:
        ExportError: a ``TPW`` line of a known kind does not have its documented fields.
    """
    parsed: dict = {"outputs": {}, "instructions": {}}
    for line in lines:
        match = _LINE.match(line.strip())
        if not match:
            continue
        try:
            _parse_line(match["kind"], match["rest"], parsed)
        except ValueError:
            raise ExportError(f"malformed firmware line {line.strip()!r} "
                              "(format in micro/firmware/stm32l4/README.md)") from None
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


def section_sizes(elf: Path) -> dict:
    """Flash/SRAM figures of a harness ELF, in bytes.

    Keys: ``text`` (vectors + code), ``rodata`` (constants incl. the model and
    inputs), ``data``, ``bss`` (incl. the tensor arena), ``stack``, ``arena``,
    ``model_array`` (the embedded ``model_tflite`` array), ``runtime_code``
    (code linked in from ``micro/runtime`` alone), ``flash`` and ``sram`` totals.
    """
    sections = {}
    for line in _run_tool([f"{CROSS}size", "-A", str(elf)], f"size {elf}").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            sections[parts[0]] = int(parts[1])
    symbols = _symbols(elf)
    text = sections.get(".isr_vector", 0) + sections.get(".text", 0)
    rodata = sum(sections.get(s, 0) for s in (".rodata", ".ARM.extab", ".ARM.exidx", ".init_array"))
    sizes = {
        "text": text,
        "rodata": rodata,
        "data": sections.get(".data", 0),
        "bss": sections.get(".bss", 0),
        "stack": sections.get(".stack", 0),
        "arena": symbols.get("tpw_arena", (0, 0))[1],
        "model_array": symbols.get("model_tflite", (0, 0))[1],
        "runtime_code": runtime_code_bytes(elf.with_suffix(".map")),
    }
    sizes["flash"] = text + rodata + sizes["data"]
    sizes["sram"] = sizes["data"] + sizes["bss"] + sizes["stack"]
    return sizes


# A kept input section in the link map: name (possibly alone on the line before),
# address, size, object file.
_MAP_INPUT = re.compile(r"^ (?P<name>\.\S+)?\s+0x(?P<addr>[0-9a-f]+)\s+0x(?P<size>[0-9a-f]+)\s+(?P<obj>\S+\.o)$")


def runtime_code_bytes(map_path: Path) -> int:
    """Bytes of ``.text`` input sections linked from ``micro/runtime`` objects.

    Reads the GNU ld map after "Linker script and memory map", so sections that
    ``--gc-sections`` discarded are not counted.
    """
    try:
        text = map_path.read_text()
    except OSError as err:
        raise ExportError(f"{map_path}: cannot read link map ({err.strerror})") from None
    _, found, memory_map = text.partition("Linker script and memory map")
    if not found:
        raise ExportError(f"{map_path}: not a GNU ld map (no memory map section)")
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
        ExportError: the build fails, or the firmware reports a non-zero status
            (the message is the firmware's ``TPW STATUS`` line).
    """
    elf = build_firmware(model_bytes, inputs_int8)
    run = run_elf(elf, timeout=timeout)
    return summarize_run(run, expected_inputs=len(inputs_int8), elf=elf)


def summarize_run(run: SimRun, *, expected_inputs: int, elf: Path) -> dict:
    """Check a finished run is complete and successful; return :func:`run_firmware`'s dict."""
    parsed = parse_lines(run.lines)
    if "status" not in parsed:
        tail = run.lines[-1] if run.lines else "no output"
        raise ExportError(f"{elf}: firmware ended without a status line (exit {run.exit_code}): {tail}")
    code, message = parsed["status"]
    if code != 0 or run.exit_code != 0:
        raise ExportError(f"{elf}: firmware status {code}: {message}")
    missing = [line for line, present in (("TPW READY arena_used=", "arena_used" in parsed.get("ready", {})),
                                          ("TPW BOOT_INSTR", "boot_instructions" in parsed)) if not present]
    if missing:
        raise ExportError(f"{elf}: firmware status 0 but no {' or '.join(repr(m) for m in missing)} line")
    indices = list(range(expected_inputs))
    if sorted(parsed["outputs"]) != indices or sorted(parsed["instructions"]) != indices:
        raise ExportError(f"{elf}: expected {expected_inputs} outputs and counts, got "
                          f"{len(parsed['outputs'])} and {len(parsed['instructions'])}")
    return {
        "outputs": [parsed["outputs"][i] for i in indices],
        "instructions_per_inference": [parsed["instructions"][i] for i in indices],
        "boot_instructions": parsed["boot_instructions"],
        "arena_used_bytes": parsed["ready"]["arena_used"],
        "firmware": section_sizes(elf),
    }


def firmware_report(flatbuffer: bytes, dataset, *, windows: int = 4,
                    timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """The ledger's ``firmware`` slot for an exported model (what ``tpw-export --firmware`` writes).

    Runs the first ``windows`` test windows of ``dataset`` (train windows if the test
    split is empty) through the firmware on QEMU and through TFLM on the host.

    Args:
        flatbuffer: the exported INT8 ``.tflite``.
        dataset: a ``tpw_tf.data.Dataset`` whose windows are ``(N, 1, T, C)`` float32.
        windows: how many windows to run.

    Returns:
        ``section_sizes`` (text, rodata, data, bss, stack, arena, model_array,
        runtime_code, flash, sram) plus ``instructions_per_inference``,
        ``boot_instructions``, ``arena_used_bytes`` and ``windows``.

    Raises:
        ExportError: the firmware fails, or any output differs from TFLM's.
    """
    from tpw_export.tflm import quantize_inputs, run_tflm

    split = dataset.splits["test"] if len(dataset.splits["test"]) else dataset.splits["train"]
    x = quantize_inputs(flatbuffer, split.x[:windows])
    result = run_firmware(flatbuffer, x, timeout=timeout)
    expected = run_tflm(flatbuffer, x).reshape(len(x), -1)
    mismatched = [i for i, out in enumerate(result["outputs"]) if out != expected[i].tolist()]
    if mismatched:
        i = mismatched[0]
        raise ExportError(f"firmware: outputs differ from TFLM's on {len(mismatched)} of {len(x)} "
                          f"windows, first window {i}: {result['outputs'][i]} != {expected[i].tolist()}")
    return {**result["firmware"],
            "instructions_per_inference": result["instructions_per_inference"],
            "boot_instructions": result["boot_instructions"],
            "arena_used_bytes": result["arena_used_bytes"],
            "windows": len(x)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="tpw-sim",
        description="Build the STM32L4 firmware for a model and run it on QEMU "
                    "with exact instruction counts.")
    parser.add_argument("model", type=Path, help=".tflite model (int8 input and output)")
    parser.add_argument("--inputs", type=Path, required=True,
                        help=".npy of int8 inputs shaped (N, *input_shape[1:])")
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds the simulator may run (default %(default)g)")
    args = parser.parse_args(argv)
    try:
        if not 0 < args.timeout < float("inf"):
            raise ExportError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        atomic.check_writable(args.json, "--json: ")
        # Our runtime's bounds-checked reader sees the file before it is built into firmware.
        model_bytes, info = micro_runtime.check_model(args.model)
        inputs = micro_runtime.read_npy(args.inputs)
        micro_runtime.check_windows(args.inputs, inputs, micro_runtime.only_tensors(args.model, info)[0],
                                    at_least=1)
        result = run_firmware(model_bytes, inputs, timeout=args.timeout)
        atomic.write(args.json, json.dumps(result, indent=2) + "\n")
    except TpwError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
