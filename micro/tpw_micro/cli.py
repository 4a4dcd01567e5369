"""The device's console scripts.

* ``tpw-micro-run MODEL.tflite IN.npy OUT.npy [--arena BYTES]``: every window of ``IN.npy``
  (``(N, *input_shape[1:])`` of the input's dtype) through the C++ runtime on the host;
  the outputs ``(N, *output_shape[1:])`` go to ``OUT.npy``.
* ``tpw-sim MODEL.tflite --inputs IN.npy --json OUT.json [--timeout S]``: the same windows
  (N >= 1) through the STM32L4 firmware on QEMU; outputs, instruction counts and the
  firmware's sizes go to ``OUT.json`` (:func:`tpw_micro.firmware.run_firmware`).

Both check the model with the runtime's bounds-checked reader, the windows against the
model and the output path before the long work starts, and write their output staged.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

from tpw_micro import host_runtime
from tpw_micro.errors import MicroError
from tpw_micro.firmware import run_firmware
from tpw_micro.qemu import DEFAULT_TIMEOUT_S
from tpw_tf import atomic
from tpw_tf.console import run_command


def _checked_windows(model: Path, inputs: Path, *, arena_bytes: int | None = None,
                     at_least: int = 0) -> tuple[bytes, host_runtime.ModelInfo, np.ndarray]:
    """The model's bytes and description, and the windows of ``inputs`` checked against it."""
    x = host_runtime.read_npy(inputs)
    model_bytes, info = host_runtime.check_model(model, arena_bytes=arena_bytes)
    host_runtime.check_windows(inputs, x, host_runtime.only_tensors(model, info)[0], at_least=at_least)
    return model_bytes, info, x


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def micro_run_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tpw-micro-run",
                                     description="Run a .tflite on tpw's C++ micro runtime (host build).")
    parser.add_argument("model", type=Path, help="INT8 .tflite flatbuffer")
    parser.add_argument("inputs", type=Path, help="int8 .npy of shape (N, *input_shape[1:])")
    parser.add_argument("outputs", type=Path, help="where to write the int8 outputs (.npy)")
    parser.add_argument("--arena", type=int, default=None, help="arena size in bytes (default 64 MiB)")
    args = parser.parse_args(argv)

    def body() -> None:
        if args.arena is not None and args.arena <= 0:
            raise MicroError(f"--arena must be a positive number of bytes, got {args.arena}")
        atomic.check_writable(args.outputs)
        model, info, x = _checked_windows(args.model, args.inputs, arena_bytes=args.arena)
        (y,) = host_runtime.run(model, [x], arena_bytes=args.arena, info=info)
        atomic.write(args.outputs, _npy_bytes(y))
        print(f"{len(y)} windows, arena_used_bytes {info.arena_used_bytes}")

    return run_command(body)


def sim_main(argv: list[str] | None = None) -> int:
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

    def body() -> None:
        if not 0 < args.timeout < float("inf"):
            raise MicroError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        atomic.check_writable(args.json, "--json: ")
        model, _, x = _checked_windows(args.model, args.inputs, at_least=1)
        result = run_firmware(model, x, timeout=args.timeout)
        atomic.write(args.json, json.dumps(result, indent=2) + "\n")

    return run_command(body)


if __name__ == "__main__":
    sys.exit(micro_run_main())
