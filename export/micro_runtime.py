"""Run a flatbuffer on tpw's own C++ micro runtime (micro/runtime) on the host.

The runtime is the device-side twin of TFLite Micro: same API shape, same
integer arithmetic. This module builds its host driver on first use (make,
g++) and runs models through it, so tests can compare it with the real TFLM
bit for bit.

Set ``TPW_MICRO_SANITIZE=1`` to run everything on the ASan + UBSan build, and
``TPW_MICRO_BUILD_DIR`` to choose where binaries go (default
``<repo>/build/micro_runtime``).

CLI: ``tpw-micro-run MODEL.tflite IN.npy OUT.npy`` runs every window of
``IN.npy`` (int8, ``(N, *input_shape[1:])``) and writes the int8 outputs
``(N, *output_shape[1:])`` to ``OUT.npy``.

Its flatbuffer reader bounds-checks every offset, index and buffer size, so
:func:`check_model` is how tpw looks at a ``.tflite`` a user names before any
other native code (TFLM, tflite-runtime) parses it.
"""
from __future__ import annotations

import argparse
import functools
import io
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpw_export.errors import ExportError
from tpw_export.native_io import crash_reason
from tpw_tf import atomic
from tpw_tf.errors import TpwError

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "micro" / "runtime"
_DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
           "int64": np.int64, "float32": np.float32}


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the runtime sees it; ``shape`` includes the batch dim."""
    dtype: np.dtype
    shape: tuple[int, ...]
    scale: float
    zero_point: int


@dataclass(frozen=True)
class ModelInfo:
    arena_used_bytes: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]


def sanitized() -> bool:
    """True when TPW_MICRO_SANITIZE asks for the ASan + UBSan build."""
    return os.environ.get("TPW_MICRO_SANITIZE", "") not in ("", "0")


def build_dir() -> Path:
    """Absolute, because make runs in the runtime folder, not the caller's."""
    default = RUNTIME_DIR.parent.parent / "build" / "micro_runtime"
    return Path(os.environ.get("TPW_MICRO_BUILD_DIR", default)).resolve()


def runner_path(*, sanitize: bool | None = None) -> Path:
    """Build (if stale) and return the host driver; ``sanitize`` defaults to the env switch."""
    return _built_runner(sanitized() if sanitize is None else sanitize, build_dir())


@functools.cache
def _built_runner(sanitize: bool, folder: Path) -> Path:
    """Run make once per process and build: every model run after the first reuses its binary."""
    target = folder / ("tpw_micro_run_asan" if sanitize else "tpw_micro_run")
    if not (RUNTIME_DIR / "Makefile").is_file():
        raise ExportError(f"micro runtime sources not found in {RUNTIME_DIR}")
    command = ["make", "-s", "-C", str(RUNTIME_DIR), "runner", f"BUILD_DIR={folder}",
               f"SANITIZE={int(sanitize)}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ExportError(f"building the micro runtime failed: {result.stderr.strip()[-400:]}")
    return target


def _call(arguments: list[str], *, arena_bytes: int | None) -> str:
    """Run the host driver; any failure is one ExportError line (the driver's own
    message, or how it crashed with "(exit N)" so tests can tell a crash from a refusal)."""
    command = [str(runner_path()), *arguments]
    if arena_bytes is not None:
        command += ["--arena", str(arena_bytes)]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87")
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode == 0:
        return result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode == 1:
        raise ExportError(f"micro runtime: {(lines or ['no message'])[0].removeprefix('error: ')}")
    # A sanitizer report runs to many lines; its SUMMARY line names the fault.
    summary = next((line for line in lines if line.startswith("SUMMARY:")), lines[-1] if lines else "")
    what = f"crashed with {crash_reason(result.returncode)}" if result.returncode < 0 else summary
    raise ExportError(f"micro runtime: {what} (exit {result.returncode})")


def _tensor_info(fields: list[str]) -> TensorInfo:
    dtype, scale, zero_point, rank = fields[2], float(fields[3]), int(fields[4]), int(fields[5])
    return TensorInfo(np.dtype(_DTYPES[dtype]), tuple(int(d) for d in fields[6:6 + rank]), scale, zero_point)


def _with_model_file(model: bytes, action):
    with tempfile.TemporaryDirectory(prefix="tpw_micro_") as folder:
        path = Path(folder) / "model.tflite"
        path.write_bytes(model)
        return action(Path(folder), path)


def describe(model: bytes, *, arena_bytes: int | None = None) -> ModelInfo:
    """Allocate ``model`` in the runtime and report its arena use and I/O tensors."""
    text = _with_model_file(model, lambda _, path: _call([str(path)], arena_bytes=arena_bytes))
    used, inputs, outputs = 0, [], []
    for line in text.splitlines():
        fields = line.split()
        if fields[0] == "arena_used_bytes":
            used = int(fields[1])
        elif fields[0] in ("input", "output"):
            (inputs if fields[0] == "input" else outputs).append(_tensor_info(fields))
    return ModelInfo(used, tuple(inputs), tuple(outputs))


def check_model(path: Path, *, arena_bytes: int | None = None) -> tuple[bytes, ModelInfo]:
    """Read the ``.tflite`` at ``path`` and have the runtime check and describe it.

    Returns:
        The file's bytes and :func:`describe`'s result.

    Raises:
        ExportError: ``"<path>: cannot read it (<reason>)"``, or ``"<path>: micro runtime: <why>"``
            when the runtime refuses it (an index, offset or size out of range, an
            op it does not run, an arena of ``arena_bytes`` too small) or crashes.
    """
    try:
        model = Path(path).read_bytes()
    except OSError as error:
        raise ExportError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        return model, describe(model, arena_bytes=arena_bytes)
    except ExportError as error:
        raise ExportError(f"{path}: {error}") from None


def only_tensors(path: Path, info: ModelInfo) -> tuple[TensorInfo, TensorInfo]:
    """The model's one input and one output (what every tpw command runs); one-line
    ExportError naming ``path`` if it has more or fewer."""
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise ExportError(f"{path}: expected one input and one output, the model has "
                          f"{len(info.inputs)} and {len(info.outputs)}")
    return info.inputs[0], info.outputs[0]


def check_windows(name, x: np.ndarray, tensor: TensorInfo, *, at_least: int = 0) -> None:
    """Raise a one-line ExportError starting with ``name`` unless ``x`` holds at least
    ``at_least`` windows ``(N, *tensor.shape[1:])`` of the tensor's dtype."""
    window = tensor.shape[1:]
    if x.dtype != tensor.dtype or x.ndim != len(tensor.shape) or x.shape[1:] != window or len(x) < at_least:
        shape = ", ".join(["N", *map(str, window)])
        raise ExportError(f"{name}: expected {tensor.dtype} windows of shape ({shape})"
                          + (f" with N >= {at_least}" if at_least else "") + f", got {x.dtype} of shape {x.shape}")


def run(model: bytes, inputs: list[np.ndarray], *, arena_bytes: int | None = None,
        info: ModelInfo | None = None) -> list[np.ndarray]:
    """Run ``N`` samples through the runtime.

    Args:
        model: flatbuffer bytes.
        inputs: one array per model input, each ``(N, *input_shape[1:])`` of the input's dtype.
        arena_bytes: arena size to run in (default: a generous 64 MiB).
        info: ``describe(model, arena_bytes=arena_bytes)`` if the caller already has it.

    Returns:
        One array per model output, ``(N, *output_shape[1:])``.
    """
    info = describe(model, arena_bytes=arena_bytes) if info is None else info
    if len(inputs) != len(info.inputs):
        raise ExportError(f"micro runtime: the model has {len(info.inputs)} inputs, got {len(inputs)} arrays")
    for k, (array, tensor) in enumerate(zip(inputs, info.inputs)):
        if tensor.shape[:1] != (1,):
            raise ExportError(f"micro runtime: input {k} has shape {tensor.shape}, expected a batch of 1")
        check_windows(f"micro runtime: input {k}", np.asarray(array), tensor)
    samples = {len(x) for x in inputs}
    if len(samples) != 1:
        raise ExportError(f"micro runtime: input arrays have different sample counts {sorted(samples)}")
    count = samples.pop()
    if count == 0:
        return [np.zeros((0, *t.shape[1:]), t.dtype) for t in info.outputs]
    # Interleave per sample: sample i holds input 0 bytes, input 1 bytes, ...
    packed = b"".join(np.ascontiguousarray(x[i]).tobytes() for i in range(count) for x in inputs)

    def execute(folder: Path, model_path: Path):
        (folder / "in.bin").write_bytes(packed)
        _call([str(model_path), str(folder / "in.bin"), str(folder / "out.bin")], arena_bytes=arena_bytes)
        return (folder / "out.bin").read_bytes()

    raw = _with_model_file(model, execute)
    record = np.dtype([(f"o{k}", t.dtype, t.shape[1:]) for k, t in enumerate(info.outputs)])
    if len(raw) != record.itemsize * count:
        raise ExportError(f"micro runtime: wrote {len(raw)} output bytes, expected {record.itemsize * count}")
    table = np.frombuffer(raw, record, count)
    return [np.array(table[f"o{k}"]) for k in range(len(info.outputs))]


def read_npy(path: Path) -> np.ndarray:
    """The one array in the ``.npy`` at ``path``; one-line ExportError naming it otherwise
    (unreadable, not a .npy, truncated, an .npz archive, or object data, which would need pickle)."""
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        # ValueError and EOFError (not a .npy, truncated) carry no filename.
        raise ExportError(f"{path}: cannot read it ({getattr(error, 'strerror', None) or error})") from None
    if not isinstance(x, np.ndarray):
        x.close()
        raise ExportError(f"{path}: an .npz archive, expected one .npy array")
    return x


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tpw-micro-run",
                                     description="Run a .tflite on tpw's C++ micro runtime (host build).")
    parser.add_argument("model", type=Path, help="INT8 .tflite flatbuffer")
    parser.add_argument("inputs", type=Path, help="int8 .npy of shape (N, *input_shape[1:])")
    parser.add_argument("outputs", type=Path, help="where to write the int8 outputs (.npy)")
    parser.add_argument("--arena", type=int, default=None, help="arena size in bytes (default 64 MiB)")
    args = parser.parse_args(argv)
    try:
        if args.arena is not None and args.arena <= 0:
            raise ExportError(f"--arena must be a positive number of bytes, got {args.arena}")
        x = read_npy(args.inputs)
        atomic.check_writable(args.outputs)
        model, info = check_model(args.model, arena_bytes=args.arena)
        check_windows(args.inputs, x, only_tensors(args.model, info)[0])
        (y,) = run(model, [x], arena_bytes=args.arena, info=info)
        atomic.write(args.outputs, _npy_bytes(y))
    except TpwError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(y)} windows, arena_used_bytes {info.arena_used_bytes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
