"""Run a flatbuffer on tpw's own C++ micro runtime (``runtime/`` of this package) on the host.

The runtime is the device-side twin of TFLite Micro: same API shape, same
integer arithmetic. This module builds its host driver on first use (make,
g++) and runs models through it, so tests can compare it with the real TFLM
bit for bit.

Set ``TPW_MICRO_SANITIZE=1`` to run everything on the ASan + UBSan build; binaries
go to ``host/`` of the build folder (:func:`tpw_micro.build.build_dir`).

Its flatbuffer reader bounds-checks every offset, index and buffer size, so
:func:`check_model` is how tpw looks at a ``.tflite`` a user names before any
other native code (TFLM) parses it.
"""
from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpw_micro.build import RUNTIME_SOURCES, build_dir, make
from tpw_micro.errors import MicroError, UnsupportedModel
from tpw_tf.console import crash_reason

# The driver's exit status for a well-formed model it does not run (host/micro_run_main.cc).
UNSUPPORTED_EXIT = 3
_DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
           "int64": np.int64, "float32": np.float32}


def quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Float values -> int8 by TFLite's affine quantization, ``clamp(round(x / scale) + zero_point,
    -128, 127)`` (round half to even, as NumPy rounds)."""
    return np.clip(np.round(np.asarray(x) / scale) + zero_point, -128, 127).astype(np.int8)


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the runtime sees it; ``shape`` includes the batch dim."""
    dtype: np.dtype
    shape: tuple[int, ...]
    scale: float
    zero_point: int

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float windows -> the int8 this tensor holds (:func:`quantize`)."""
        return quantize(x, self.scale, self.zero_point)


@dataclass(frozen=True)
class ModelInfo:
    """``arena_used_bytes``: the smallest arena the model runs in (planned head + persistent
    tail); ``arena_persistent_bytes``: the tail (records, op data, tensors computed once);
    ``kernels``: ``{node index: kernel variant}`` for the nodes whose op has several (the
    function its Prepare chose, e.g. ``"conv_1xk_s8_wide_2x2"``)."""
    arena_used_bytes: int
    arena_persistent_bytes: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    kernels: dict[int, str]


def sanitized() -> bool:
    """True when TPW_MICRO_SANITIZE asks for the ASan + UBSan build."""
    return os.environ.get("TPW_MICRO_SANITIZE", "") not in ("", "0")


def runner_path(*, sanitize: bool | None = None) -> Path:
    """Build (if stale) and return the host driver; ``sanitize`` defaults to the env switch."""
    return _built_runner(sanitized() if sanitize is None else sanitize, build_dir() / "host")


@functools.cache
def _built_runner(sanitize: bool, folder: Path) -> Path:
    """Run make once per process and build: every model run after the first reuses its binary."""
    make(RUNTIME_SOURCES, "runner", BUILD_DIR=folder, SANITIZE=int(sanitize))
    return folder / ("tpw_micro_run_asan" if sanitize else "tpw_micro_run")


def _call(arguments: list[str], *, arena_bytes: int | None) -> str:
    """Run the host driver; any failure is one MicroError line (the driver's own
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
    if result.returncode in (1, UNSUPPORTED_EXIT):
        error = UnsupportedModel if result.returncode == UNSUPPORTED_EXIT else MicroError
        raise error(f"micro runtime: {(lines or ['no message'])[0].removeprefix('error: ')}")
    # A sanitizer report runs to many lines; its SUMMARY line names the fault.
    summary = next((line for line in lines if line.startswith("SUMMARY:")), lines[-1] if lines else "")
    what = f"crashed with {crash_reason(result.returncode)}" if result.returncode < 0 else summary
    raise MicroError(f"micro runtime: {what} (exit {result.returncode})")


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
    used, persistent, inputs, outputs, kernels = 0, 0, [], [], {}
    for line in text.splitlines():
        fields = line.split()
        if fields[0] == "arena_used_bytes":
            used = int(fields[1])
        elif fields[0] == "arena_persistent_bytes":
            persistent = int(fields[1])
        elif fields[0] in ("input", "output"):
            (inputs if fields[0] == "input" else outputs).append(_tensor_info(fields))
        elif fields[0] == "kernel":
            kernels[int(fields[1])] = fields[2]
    return ModelInfo(used, persistent, tuple(inputs), tuple(outputs), kernels)


def check_model(path: Path, *, arena_bytes: int | None = None) -> tuple[bytes, ModelInfo]:
    """Read the ``.tflite`` at ``path`` and have the runtime check and describe it.

    Returns:
        The file's bytes and :func:`describe`'s result.

    Raises:
        MicroError: ``"<path>: cannot read it (<reason>)"``, or ``"<path>: micro runtime: <why>"``
            when the runtime refuses it (an index, offset or size out of range, an arena
            of ``arena_bytes`` too small) or crashes; UnsupportedModel (a MicroError) when
            the file is well formed but uses an op the runtime does not run.
    """
    try:
        model = Path(path).read_bytes()
    except OSError as error:
        raise MicroError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        return model, describe(model, arena_bytes=arena_bytes)
    except MicroError as error:
        raise type(error)(f"{path}: {error}") from None


def only_tensors(path: Path, info: ModelInfo) -> tuple[TensorInfo, TensorInfo]:
    """The model's one input and one output (what every tpw command runs); one-line
    MicroError naming ``path`` if it has more or fewer."""
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise MicroError(f"{path}: expected one input and one output, the model has "
                          f"{len(info.inputs)} and {len(info.outputs)}")
    return info.inputs[0], info.outputs[0]


def check_windows(name, x: np.ndarray, tensor: TensorInfo, *, at_least: int = 0) -> None:
    """Raise a one-line MicroError starting with ``name`` unless ``x`` holds at least
    ``at_least`` windows ``(N, *tensor.shape[1:])`` of the tensor's dtype."""
    window = tensor.shape[1:]
    if x.dtype != tensor.dtype or x.ndim != len(tensor.shape) or x.shape[1:] != window or len(x) < at_least:
        shape = ", ".join(["N", *map(str, window)])
        raise MicroError(f"{name}: expected {tensor.dtype} windows of shape ({shape})"
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
        raise MicroError(f"micro runtime: the model has {len(info.inputs)} inputs, got {len(inputs)} arrays")
    for k, (array, tensor) in enumerate(zip(inputs, info.inputs)):
        if tensor.shape[:1] != (1,):
            raise MicroError(f"micro runtime: input {k} has shape {tensor.shape}, expected a batch of 1")
        check_windows(f"micro runtime: input {k}", np.asarray(array), tensor)
    samples = {len(x) for x in inputs}
    if len(samples) != 1:
        raise MicroError(f"micro runtime: input arrays have different sample counts {sorted(samples)}")
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
        raise MicroError(f"micro runtime: wrote {len(raw)} output bytes, expected {record.itemsize * count}")
    table = np.frombuffer(raw, record, count)
    return [np.array(table[f"o{k}"]) for k in range(len(info.outputs))]


def read_npy(path: Path) -> np.ndarray:
    """The one array in the ``.npy`` at ``path``; one-line MicroError naming it otherwise
    (unreadable, not a .npy, truncated, an .npz archive, or object data, which would need pickle)."""
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        # ValueError and EOFError (not a .npy, truncated) carry no filename.
        raise MicroError(f"{path}: cannot read it ({getattr(error, 'strerror', None) or error})") from None
    if not isinstance(x, np.ndarray):
        x.close()
        raise MicroError(f"{path}: an .npz archive, expected one .npy array")
    return x
