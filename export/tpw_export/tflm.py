"""The reference interpreters: TFLite Micro (the oracle) and tf.lite.

TFLM comes from the ``tflite-micro`` wheel and never imports TensorFlow.
tf.lite runs with one of two op resolvers:

* ``reference`` (``BUILTIN_REF``): the reference kernels, which share TFLM's
  integer arithmetic for the ops our models use. Measured on our exported
  models they equal TFLM bit for bit; this is the parity gate. (Their
  FULLY_CONNECTED is known to differ from TFLM by one LSB, which is one
  reason the zoo's classifiers are 1x1 convolutions.)
* ``optimized`` (``BUILTIN_WITHOUT_DEFAULT_DELEGATES``): the optimized kernels
  without XNNPACK. Their FULLY_CONNECTED, MEAN and CONV_2D on a 1x1 map (the
  classifier) requantize with single rounding where TFLM rounds twice; they
  differed from TFLM by one LSB on 4 of 360 synthetic test windows, so their
  agreement is reported, not required.

TFLM never sees a model before tpw's own runtime has checked it (its reader
bounds-checks every index and buffer; TFLM's does not and segfaults on an
operator that names a missing tensor), and it always gets an arena sized for
the model by :func:`arena_size`, never its wrapper's default of 10x the file.
"""
from __future__ import annotations

import functools
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tpw_export.errors import ExportError
from tpw_export.native_io import captured_fd
from tpw_micro import host_runtime
from tpw_micro.errors import UnsupportedModel
from tpw_tf.console import crash_reason

# TFLM's overhead beyond our runtime's plan (its per-tensor and per-node records) measured
# 0.5-2.5 KiB on the zoo and the shared cases. An arena that is too small can crash TFLM rather
# than fail: with every tensor preserved it segfaulted at every size short of what it needs
# (the shared base model, 648 to 5184 of 9840 bytes), so sizes are only ever tried in a child.
_ARENA_MARGIN = 16 << 10
_ARENA_DOUBLINGS = 8
_UNPLANNED_DOUBLINGS = 13  # from the margin alone up to 128 MiB
# A child that loads the model in an arena of argv[2] bytes with config argv[3] and exits 0.
_PROBE = ("import sys; from tflite_micro.python.tflite_micro import runtime as r; "
          "r.Interpreter.from_bytes(open(sys.argv[1], 'rb').read(), arena_size=int(sys.argv[2]), "
          "intrepreter_config=r.InterpreterConfig(int(sys.argv[3])))")


@functools.lru_cache(maxsize=8)
def arena_size(flatbuffer: bytes, preserve_all: bool = False) -> int:
    """Bytes of arena that TFLM loads ``flatbuffer`` in (every tensor kept if ``preserve_all``).

    Starts from our runtime's planned arena plus a margin (the margin alone for a
    well-formed model using an op our runtime does not run) and doubles while TFLM,
    in a child process, reports an allocation short of memory or crashes; this
    process then only ever loads the model with a size the child loaded it with.

    Raises:
        ExportError: our runtime refuses the model (``micro runtime: <why>``), or TFLM
            cannot load it for another reason (its first log line), or still crashes or
            runs short at 2**8 times the first size (naming the signal or the size).
    """
    try:
        planned = host_runtime.describe(flatbuffer).arena_used_bytes
    except UnsupportedModel:  # our reader checked the whole file; only TFLM knows its arena
        planned = 0
    size = planned + _ARENA_MARGIN
    with tempfile.TemporaryDirectory(prefix="tpw_tflm_") as folder:
        path = Path(folder) / "model.tflite"
        path.write_bytes(flatbuffer)
        for _ in range(_ARENA_DOUBLINGS if planned else _UNPLANNED_DOUBLINGS):
            child = subprocess.run([sys.executable, "-c", _PROBE, str(path), str(size), str(int(preserve_all))],
                                   capture_output=True, text=True)
            if child.returncode == 0:
                return size
            log = [line for line in child.stderr.splitlines() if line.strip()]
            # TFLM logs "... missing: N" for every allocation the arena cannot hold, and "Too many
            # buffers" when its planner's scratch, taken from the same arena, holds too few records.
            if child.returncode > 0 and not any(re.search(r"missing: \d+|Too many buffers", line) for line in log):
                # TFLM's own log comes first and says why; without one, the Python exception does.
                native = log[:next((i for i, line in enumerate(log) if line.startswith("Traceback")), len(log))]
                raise ExportError(f"TFLM cannot load the model: {(native or log[-1:] or ['no message'])[0]}")
            size *= 2
    last = crash_reason(child.returncode) if child.returncode < 0 else "its arena was too small"
    raise ExportError(f"TFLM cannot load the model in an arena of {size // 2} bytes ({last})")


def _tflm_interpreter(flatbuffer: bytes, *, preserve_all: bool = False):
    from tflite_micro.python.tflite_micro import runtime

    config = runtime.InterpreterConfig(int(preserve_all))  # kAllocationRecording or kPreserveAllTensors
    return runtime.Interpreter.from_bytes(flatbuffer, arena_size=arena_size(flatbuffer, preserve_all),
                                          intrepreter_config=config)


def quantization(details: dict) -> tuple[float, int]:
    """``(scale, zero_point)`` of an interpreter's input or output details."""
    params = details["quantization_parameters"]
    return float(params["scales"][0]), int(params["zero_points"][0])


def io_details(flatbuffer: bytes) -> tuple[dict, dict]:
    """TFLM's details (``dtype``, ``shape``, ``quantization_parameters``) of the model's
    first input and first output."""
    interpreter = _tflm_interpreter(flatbuffer)
    return interpreter.get_input_details(0), interpreter.get_output_details(0)


def quantize_inputs(flatbuffer: bytes, x: np.ndarray) -> np.ndarray:
    """Float windows → the int8 the model's input tensor expects."""
    return host_runtime.quantize(x, *quantization(_tflm_interpreter(flatbuffer).get_input_details(0)))


def dequantize_outputs(flatbuffer: bytes, y: np.ndarray) -> np.ndarray:
    scale, zero_point = quantization(_tflm_interpreter(flatbuffer).get_output_details(0))
    return (y.astype(np.float32) - zero_point) * scale


def run_tflm(flatbuffer: bytes, x_int8: np.ndarray) -> np.ndarray:
    """Run every window of ``x_int8`` ``(N, *input_shape[1:])`` through TFLM."""
    interpreter = _tflm_interpreter(flatbuffer)
    outputs = []
    for window in x_int8:
        interpreter.set_input(window[np.newaxis], 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0)[0].copy())
    return np.stack(outputs)


RESOLVERS = {"reference": "BUILTIN_REF", "optimized": "BUILTIN_WITHOUT_DEFAULT_DELEGATES"}


def _tflite_interpreter(flatbuffer: bytes, resolver: str, **options):
    import tensorflow as tf

    return tf.lite.Interpreter(
        model_content=flatbuffer, **options,
        experimental_op_resolver_type=getattr(tf.lite.experimental.OpResolverType, RESOLVERS[resolver]))


def run_tflite(flatbuffer: bytes, x_int8: np.ndarray, *, resolver: str = "reference") -> np.ndarray:
    """Run every window through tf.lite with the ``reference`` or ``optimized`` kernels."""
    interpreter = _tflite_interpreter(flatbuffer, resolver)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    outputs = []
    for window in x_int8:
        interpreter.set_tensor(input_index, window[np.newaxis])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(output_index)[0].copy())
    return np.stack(outputs)


def tflm_arena_bytes(flatbuffer: bytes) -> int:
    """Bytes of arena TFLM allocates for the model (its recording allocator's total)."""
    interpreter = _tflm_interpreter(flatbuffer)
    with captured_fd(2) as report:  # TFLM logs to stderr
        interpreter.print_allocations()
    match = re.search(r"Arena allocation total (\d+) bytes", report[0])
    if not match:
        raise ExportError("TFLM printed no arena total")
    return int(match.group(1))


def first_divergent_op(flatbuffer: bytes, window_int8: np.ndarray, *, resolver: str = "reference",
                       lite_flatbuffer: bytes | None = None) -> tuple[int, str, int] | None:
    """The first op whose int8 output differs between TFLM and tf.lite for one
    window: ``(op index, op name, largest difference)``, or None if none does.
    tf.lite runs ``lite_flatbuffer`` if given: the converter's file of a slimmed
    ``flatbuffer`` (same tensors and ops; tf.lite refuses one-entry zero points)."""
    lite = _tflite_interpreter(lite_flatbuffer or flatbuffer, resolver, experimental_preserve_all_tensors=True)
    lite.allocate_tensors()
    lite.set_tensor(lite.get_input_details()[0]["index"], window_int8[np.newaxis])
    lite.invoke()
    micro = _tflm_interpreter(flatbuffer, preserve_all=True)
    micro.set_input(window_int8[np.newaxis], 0)
    micro.invoke()
    for op in lite._get_ops_details():  # the public API has no op list
        for tensor in op["outputs"]:
            ours = micro.GetTensor(tensor, 0)["tensor_data"].astype(np.int64)
            difference = int(np.abs(ours - lite.get_tensor(tensor).astype(np.int64)).max())
            if difference:
                return op["index"], op["op_name"], difference
    return None
