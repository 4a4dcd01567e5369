"""Arena bytes of tpw's micro runtime beside TFLite Micro's, for every zoo model.

Usage: python benchmarks/micro_arena.py [--samples 1800] [--classes 5]

Each model is built at its default config on a (1, T, 1) input (hrv_featnet
on (1, 16, 1)), baked, converted to INT8 with tpw_export and allocated in
both interpreters; the table also checks the outputs agree bit for bit on a
few quantized windows.
"""
from __future__ import annotations

import argparse

import numpy as np

import tpw_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras
from tpw_export import tflm
from tpw_export.pipeline import export_model
from tpw_micro import host_runtime
from tpw_tf.models import build_model, input_shape, names


def measure(name: str, samples: int, classes: int) -> dict:
    shape = input_shape(name, samples)
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(16, *shape)).astype(np.float32)
    flatbuffer = export_model(build_model(name, shape, classes), x).flatbuffer
    x_int8 = tflm.quantize_inputs(flatbuffer, x[:4])
    (ours,) = host_runtime.run(flatbuffer, [x_int8])
    return {"model": name, "input": "x".join(map(str, shape)), "flatbuffer": len(flatbuffer),
            "tflm": tflm.tflm_arena_bytes(flatbuffer), "ours": host_runtime.describe(flatbuffer).arena_used_bytes,
            "bit_exact": bool(np.array_equal(ours, tflm.run_tflm(flatbuffer, x_int8)))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1800, help="input length T of the ECG models")
    parser.add_argument("--classes", type=int, default=5)
    args = parser.parse_args(argv)
    rows = [measure(name, args.samples, args.classes) for name in names()]
    print(f"| {'model':<20} | {'input':<9} | {'flatbuffer B':>12} | {'TFLM arena B':>12} | {'ours B':>8} | "
          f"{'ours/TFLM':>9} | bit-exact |")
    print(f"|{'-' * 22}|{'-' * 11}|{'-' * 14}|{'-' * 14}|{'-' * 10}|{'-' * 11}|-----------|")
    for r in rows:
        print(f"| {r['model']:<20} | {r['input']:<9} | {r['flatbuffer']:>12,} | {r['tflm']:>12,} | {r['ours']:>8,} | "
              f"{r['ours'] / r['tflm']:>9.3f} | {'yes' if r['bit_exact'] else 'NO':<9} |")
    return 0 if all(r["bit_exact"] and r["ours"] <= r["tflm"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
