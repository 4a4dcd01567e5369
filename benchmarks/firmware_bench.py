"""Instructions per MAC, flash and SRAM of the STM32L4 firmware, per op type and per zoo model.

Runs every model through the real pipeline (Keras -> tpw_export.convert -> harness ELF ->
QEMU with the exact instruction counter) and prints one table per group, plus an
energy estimate per inference from the instruction count.

    python benchmarks/firmware_bench.py [--window 1800] [--models a,b] [--skip-ops]

Weights are untrained (seeded): instruction counts of int8 kernels do not depend on
the weight values, only on shapes.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras
from tpw_export.convert import operators
from tpw_export.pipeline import export_model
from tpw_export.tflm import tflm_arena_bytes
from tpw_micro import firmware, host_runtime
from tpw_tf.errors import TpwError
from tpw_tf.models import build_model, input_shape, names

SEED = 0

# Energy assumptions (printed with the table). STM32L475xx datasheet DS10969: Run
# mode, LDO, code and data from flash with the ART accelerator on, 25 degC:
# about 100 uA/MHz, i.e. 8.0 mA at 80 MHz (range 1).
SYSCLK_HZ = 80e6
RUN_CURRENT_A = 100e-6 * 80
VDD_V = 3.3
CYCLES_PER_INSTRUCTION = 1.0  # a lower bound: loads, MACs and flash wait states take more

ENERGY_NOTE = (
    f"energy = instructions x CPI / {SYSCLK_HZ / 1e6:.0f} MHz x {RUN_CURRENT_A * 1e3:.1f} mA x "
    f"{VDD_V} V, CPI = {CYCLES_PER_INSTRUCTION} (instructions are not cycles; the Cortex-M4 needs "
    "more than one cycle for loads, branches and flash wait states, so this is a lower bound). "
    "Current: STM32L475 datasheet DS10969 run mode ~100 uA/MHz (LDO, flash + ART, 25 degC).")


def energy_uj(instructions: int) -> float:
    seconds = instructions * CYCLES_PER_INSTRUCTION / SYSCLK_HZ
    return seconds * RUN_CURRENT_A * VDD_V * 1e6


def macs_by_op(flatbuffer: bytes) -> dict[str, int]:
    """Multiply-accumulates of each op type in ``flatbuffer`` (0 for ops without MACs).

    CONV_2D: out_elements x kh x kw x Cin; DEPTHWISE_CONV_2D: out_elements x kh x kw;
    FULLY_CONNECTED: out_elements x in_features.
    """
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    shapes = {t["index"]: tuple(t["shape"]) for t in interpreter.get_tensor_details()}
    totals: dict[str, int] = {}
    for op in operators(flatbuffer):
        name = op["op_name"]
        out = int(np.prod(shapes[op["outputs"][0]]))
        if name == "CONV_2D":
            _, kh, kw, cin = shapes[op["inputs"][1]]
            macs = out * kh * kw * cin
        elif name == "DEPTHWISE_CONV_2D":
            _, kh, kw, _ = shapes[op["inputs"][1]]
            macs = out * kh * kw
        elif name == "FULLY_CONNECTED":
            macs = out * shapes[op["inputs"][1]][1]
        else:
            macs = 0
        totals[name] = totals.get(name, 0) + macs
    return totals


@dataclass
class Row:
    name: str
    ops: str
    macs: int
    instructions: int | None = None
    flash: int | None = None
    runtime_code: int | None = None
    model_bytes: int | None = None
    arena_used: int | None = None
    tflm_arena: int | None = None
    sram: int | None = None
    error: str = ""


def measure(name: str, make_model, window_shape) -> Row:
    """Build and convert ``make_model()``, run one input on the simulated STM32L4, collect
    the figures. A model that cannot be built, converted or run gets its one-line error."""
    row = Row(name, "", 0)
    try:
        model = make_model()
        rng = np.random.default_rng(SEED)
        calibration = rng.normal(size=(16, *window_shape)).astype(np.float32)
        flatbuffer = export_model(model, calibration).flatbuffer
        per_op = macs_by_op(flatbuffer)
        row.ops, row.macs, row.model_bytes = ",".join(sorted(per_op)), sum(per_op.values()), len(flatbuffer)
        # Our runtime describes every model; TFLM refuses some single-op ones (see the table notes).
        x = host_runtime.describe(flatbuffer).inputs[0].quantize(calibration[:1])
        result = firmware.run_firmware(flatbuffer, x)
    except TpwError as err:
        row.error = str(err)
        return row
    try:
        row.tflm_arena = tflm_arena_bytes(flatbuffer)
    except TpwError as err:  # the row stays useful without TFLM's figure
        row.error = f"TFLM arena not measured: {err}"
    fw = result["firmware"]
    row.instructions = result["instructions_per_inference"][0]
    row.flash = fw["flash"]
    row.runtime_code = fw["runtime_code"]
    row.arena_used = result["arena_used_bytes"]
    # SRAM the model needs: static data, the arena it actually uses, the stack.
    row.sram = fw["data"] + fw["bss"] - fw["arena"] + row.arena_used + fw["stack"]
    return row


def single_op_models(window: int):
    """(name, model factory, window_shape): one op each, on activations of a 1-D signal of
    ``window`` samples after a stem and two stride-2 blocks (T = window / 8)."""
    layers = keras.layers
    t = window // 8

    def single(shape, make_layer):
        def make():
            inputs = keras.Input(shape=shape)
            return keras.Model(inputs, make_layer()(inputs))
        return make, shape

    yield "CONV_2D 1x7, 16->16", *single((1, t, 16), lambda: layers.Conv2D(16, (1, 7), padding="same"))
    yield "CONV_2D 1x1 (PW), 32->32", *single((1, t, 32), lambda: layers.Conv2D(32, 1))
    yield "DEPTHWISE_CONV_2D 1x7, 32", *single(
        (1, t, 32), lambda: layers.DepthwiseConv2D((1, 7), padding="same"))
    yield "FULLY_CONNECTED 256->64", *single((256,), lambda: layers.Dense(64))
    yield "AVERAGE_POOL_2D 1x2, 32", *single((1, t, 32), lambda: layers.AveragePooling2D((1, 2)))
    yield "MAX_POOL_2D 1x2, 32", *single((1, t, 32), lambda: layers.MaxPooling2D((1, 2)))
    yield "MEAN (global avg), 32", *single((1, t, 32), lambda: layers.GlobalAveragePooling2D())


def zoo_models(window: int, selected: list[str]):
    for name in selected:
        shape = input_shape(name, window)
        yield name, (lambda name=name, shape=shape: build_model(name, shape, 5)), shape


def _fmt(value, spec=",d"):
    return "-" if value is None else format(value, spec)


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}\n")
    print("| model | MACs | instructions | instr/MAC | energy uJ | flash B | runtime code B "
          "| model B | arena B (TFLM) | SRAM B |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        per_mac = "-" if not (r.instructions and r.macs) else f"{r.instructions / r.macs:.2f}"
        energy = "-" if r.instructions is None else f"{energy_uj(r.instructions):.1f}"
        arena = f"{_fmt(r.arena_used)} ({_fmt(r.tflm_arena)})"
        print(f"| {r.name} | {_fmt(r.macs)} | {_fmt(r.instructions)} | {per_mac} | {energy} | "
              f"{_fmt(r.flash)} | {_fmt(r.runtime_code)} | {_fmt(r.model_bytes)} | {arena} | {_fmt(r.sram)} |")
    for r in rows:
        if r.error:
            print(f"\n{r.name}: {r.error}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=1800, help="signal samples (default 1800)")
    parser.add_argument("--models", default=",".join(names()), help="zoo models, comma-separated")
    parser.add_argument("--skip-ops", action="store_true", help="only the zoo table")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(SEED)
    print(f"STM32L475VG on QEMU 10 (-M b-l475e-iot01a), exact instruction counts; window {args.window}")
    print(ENERGY_NOTE)
    if not args.skip_ops:
        print_table("per op type", [measure(*m) for m in single_op_models(args.window)])
    print_table("per zoo model", [measure(*m) for m in zoo_models(args.window, args.models.split(","))])
    return 0


if __name__ == "__main__":
    sys.exit(main())
