"""Write a libFuzzer seed corpus: every zoo model, baked and exported with tpw_export.

The first zoo model is also written compressed, so the fuzzer starts from
DECODE operators of every decode type: its kernels and biases as per-channel
LUTs (the wheel's compress(), those whose tables fit 7-bit indices) and pruned;
and hypertinypw's boot and lazy files hold its kernels as synthesized-kernel
DECODEs (type 128), one with each schedule flag.

Usage: python tests/micro/fuzz_seed_corpus.py OUT_DIR [--samples T]

Models use their default configs on a short (1, T, 1) input (HRV-feature
input (1, 16, 1) for hrv_featnet) so they stay small enough for the fuzzer's
-max_len; calibration data is seeded noise.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import decode_files
import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras
from tpw_export.pipeline import export_model
from tpw_tf.errors import TpwError
from tpw_tf.models import build_model, input_shape, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--samples", type=int, default=128, help="input length T of the ECG models")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in names():
        shape = input_shape(name, args.samples)
        keras.utils.set_random_seed(0)
        x = np.random.default_rng(0).normal(size=(8, *shape)).astype(np.float32)
        model = build_model(name, shape, 5)
        schedules = ("baked", "boot", "lazy") if name == "hypertinypw" else ("baked",)
        try:
            files = {schedule: export_model(model, x, schedule=schedule).file for schedule in schedules}
        except TpwError as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            return 1
        flatbuffer = files.pop("baked")
        _write(args.out_dir / f"{name}.tflite", flatbuffer)
        for schedule, synthesized in files.items():
            _write(args.out_dir / f"{name}.{schedule}.tflite", synthesized)
        if name == names()[0]:
            _write(args.out_dir / f"{name}.lut.tflite", decode_files.lut_file(flatbuffer, 7, per_channel=True))
            _write(args.out_dir / f"{name}.pruned.tflite", decode_files.prune_file(flatbuffer))
    return 0


def _write(target: Path, flatbuffer: bytes) -> None:
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(flatbuffer)
    os.replace(temporary, target)
    print(f"{target} {len(flatbuffer)} bytes")


if __name__ == "__main__":
    sys.exit(main())
