"""Instructions per MAC, flash and SRAM of the STM32L4 firmware, per op type and per zoo model.

Runs every model through the real pipeline (Keras -> tpw_export.convert -> harness ELF ->
QEMU with the exact instruction counter) and prints one table per group, plus an
energy estimate per inference from the instruction count:

- per op type: single-op models;
- per zoo model, with the separable network of issue 15 (tiny_separable_cnn at width 70:
  stem + 7 DW/PW blocks, 4.91 M MACs on a 1,800-sample input);
- per op and shape of each zoo model (--per-shape): every distinct op of the model rebuilt
  as a single-op model with its shapes and options (conv 1xk, 1x1 pointwise, depthwise,
  average pool, the classifier = a 1x1 conv on a 1x1 map), instructions per MAC each;
- runtime code per object file of each model's firmware (its resolver links only the
  model's kernels).

Every row also says whether the firmware's int8 outputs equal TFLM's on the same input
(so the Cortex-M4 kernel variants are checked bit-exact on every model and shape run).
The exit status is 1 when a row's outputs differ from TFLM's or a model's arena is larger
than TFLM's (single ops may plan a scratch TFLM's reference kernels do without, which a
whole model overlaps with other tensors); the figures themselves fail nothing (CI prints them: scripts/test_firmware.sh). A
row that does not fit the board (regular_cnn, the baseline, and its larger shapes) prints
why and fails nothing either.

    python benchmarks/firmware_bench.py [--window 1800] [--models a,b] [--skip-ops] [--per-shape]

Weights are untrained (seeded): instruction counts of int8 kernels do not depend on
the weight values, only on shapes.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras
from tpw_export.pipeline import export_model
from tpw_export.tflm import run_tflm, tflm_arena_bytes
from tpw_micro import firmware, host_runtime
from tpw_micro.elf import _MAP_INPUT  # the link map's input-section line, as runtime_code_bytes reads it
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


@dataclass(frozen=True)
class OpShape:
    """One op of a model as a single-op model can rebuild it."""
    name: str
    input: tuple
    filter: tuple  # () for an op without weights; (1, kh, kw, 1) pool window for pools
    output: tuple
    stride: int
    padding: str  # "same" or "valid"

    @property
    def kind(self) -> str:
        if self.name == "CONV_2D":
            if self.input[1:3] == (1, 1):
                return "classifier (1x1 conv on 1x1)"
            return "pointwise 1x1" if self.filter[1:3] == (1, 1) else f"conv {self.filter[1]}x{self.filter[2]}"
        if self.name == "DEPTHWISE_CONV_2D":
            return f"depthwise {self.filter[1]}x{self.filter[2]}"
        if self.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            return f"{self.name.split('_')[0].lower()} pool {self.filter[1]}x{self.filter[2]}"
        return self.name

    def describe(self) -> str:
        dims = lambda t: "x".join(map(str, t))  # noqa: E731
        weights = f" * {dims(self.filter)}" if self.filter else ""
        return f"{dims(self.input)}{weights} -> {dims(self.output)} s{self.stride} {self.padding}"


def op_shapes(flatbuffer: bytes) -> list[tuple[OpShape, int]]:
    """``(OpShape, MACs)`` of every op of ``flatbuffer`` in execution order (0 MACs for ops
    without them). CONV_2D: out_elements x kh x kw x Cin; DEPTHWISE_CONV_2D: out_elements x
    kh x kw; FULLY_CONNECTED: out_elements x in_features. Read with the tflite-micro model
    editor, which (unlike tf.lite) reads slimmed files."""
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    rows = []
    for op in model_editor.read(flatbuffer).subgraphs[0].operators:
        name, out = op.opcode_name, tuple(op.outputs[0].shape)
        options = op._fb.builtinOptions  # the schema's options object (strides, padding, window)
        filt = tuple(op.inputs[1].shape) if len(op.inputs) > 1 and op.inputs[1] is not None else ()
        if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            filt = (1, options.filterHeight, options.filterWidth, 1)
        macs = int(np.prod(out)) * {"CONV_2D": lambda: filt[1] * filt[2] * filt[3],
                                    "DEPTHWISE_CONV_2D": lambda: filt[1] * filt[2],
                                    "FULLY_CONNECTED": lambda: filt[1]}.get(name, lambda: 0)()
        stride = getattr(options, "strideW", 1) or 1
        padding = "valid" if getattr(options, "padding", 0) == 1 else "same"
        rows.append((OpShape(name, tuple(op.inputs[0].shape), filt, out, stride, padding), macs))
    return rows


def macs_by_op(flatbuffer: bytes) -> dict[str, int]:
    """Multiply-accumulates of each op type in ``flatbuffer`` (see :func:`op_shapes`)."""
    totals: dict[str, int] = {}
    for shape, macs in op_shapes(flatbuffer):
        totals[shape.name] = totals.get(shape.name, 0) + macs
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
    equals_tflm: bool | None = None  # the firmware's int8 outputs equal TFLM's (None: TFLM refused it)
    error: str = ""
    shapes: list = field(default_factory=list)  # (OpShape, MACs) of every op
    code_by_object: dict = field(default_factory=dict)  # runtime object -> linked code bytes


def code_by_object(map_path: Path) -> dict[str, int]:
    """Linked ``.text`` bytes of each runtime object (``kernels/conv_common`` ...) in a link
    map, counted as :func:`tpw_micro.elf.runtime_code_bytes` counts their sum."""
    _, _, memory_map = map_path.read_text().partition("Linker script and memory map")
    sizes: dict[str, int] = {}
    pending = None
    for line in memory_map.splitlines():
        match = _MAP_INPUT.match(line)
        if match is None:
            pending = line.strip() if re.fullmatch(r" \.\S+", line) else None
            continue
        name, pending = match["name"] or pending, None
        if name and name.startswith(".text") and "/runtime/" in match["obj"] and int(match["addr"], 16):
            obj = match["obj"].split("/runtime/", 1)[1].removesuffix(".o")
            sizes[obj] = sizes.get(obj, 0) + int(match["size"], 16)
    return sizes


def measure(name: str, make_model, window_shape) -> Row:
    """Build and convert ``make_model()``, run one input on the simulated STM32L4, collect
    the figures and compare the outputs with TFLM's (the tflite-micro wheel). A model that
    cannot be built, converted or run gets its one-line error."""
    row = Row(name, "", 0)
    try:
        model = make_model()
        rng = np.random.default_rng(SEED)
        calibration = rng.normal(size=(16, *window_shape)).astype(np.float32)
        flatbuffer = export_model(model, calibration).flatbuffer
        row.shapes = op_shapes(flatbuffer)
        per_op = macs_by_op(flatbuffer)
        row.ops, row.macs, row.model_bytes = ",".join(sorted(per_op)), sum(per_op.values()), len(flatbuffer)
        # Our runtime describes every model; TFLM refuses some single-op ones (see the table notes).
        x = host_runtime.describe(flatbuffer).inputs[0].quantize(calibration[:1])
        result = firmware.run_firmware(flatbuffer, x)
        row.code_by_object = code_by_object(firmware.build_firmware(flatbuffer, x).with_suffix(".map"))
    except TpwError as err:
        row.error = str(err)
        return row
    try:
        row.tflm_arena = tflm_arena_bytes(flatbuffer)
        expected = run_tflm(flatbuffer, x)
        row.equals_tflm = bool(np.array_equal(np.array(result["outputs"], np.int8).ravel(), expected.ravel()))
    except TpwError as err:  # the row stays useful without TFLM's figures
        row.error = f"TFLM arena and outputs not measured: {err}"
    fw = result["firmware"]
    row.instructions = result["instructions_per_inference"][0]
    row.flash = fw["flash"]
    row.runtime_code = fw["runtime_code"]
    row.arena_used = result["arena_used_bytes"]
    # SRAM the model needs: static data, the arena it actually uses, the stack.
    row.sram = fw["data"] + fw["bss"] - fw["arena"] + row.arena_used + fw["stack"]
    return row


def _single(shape, make_layer):
    def make():
        inputs = keras.Input(shape=shape)
        return keras.Model(inputs, make_layer()(inputs))
    return make, shape


def single_op_models(window: int):
    """(name, model factory, window_shape): one op each, on activations of a 1-D signal of
    ``window`` samples after a stem and two stride-2 blocks (T = window / 8)."""
    layers = keras.layers
    t = window // 8
    yield "CONV_2D 1x7, 16->16", *_single((1, t, 16), lambda: layers.Conv2D(16, (1, 7), padding="same"))
    yield "CONV_2D 1x1 (PW), 32->32", *_single((1, t, 32), lambda: layers.Conv2D(32, 1))
    yield "CONV_2D 1x1 (PW), 70->70", *_single((1, t, 70), lambda: layers.Conv2D(70, 1))
    yield "DEPTHWISE_CONV_2D 1x7, 32", *_single(
        (1, t, 32), lambda: layers.DepthwiseConv2D((1, 7), padding="same"))
    yield "DEPTHWISE_CONV_2D 1x7, 70", *_single(
        (1, t, 70), lambda: layers.DepthwiseConv2D((1, 7), padding="same"))
    yield "FULLY_CONNECTED 256->64", *_single((256,), lambda: layers.Dense(64))
    yield "AVERAGE_POOL_2D 1x2, 32", *_single((1, t, 32), lambda: layers.AveragePooling2D((1, 2)))
    yield "MAX_POOL_2D 1x2, 32", *_single((1, t, 32), lambda: layers.MaxPooling2D((1, 2)))
    yield "MEAN (global avg), 32", *_single((1, t, 32), lambda: layers.GlobalAveragePooling2D())


def shape_model(shape: OpShape):
    """A single-op model factory and window shape rebuilding ``shape``, or None for an op
    without weights or a window (reshapes, activations, softmax ...)."""
    layers = keras.layers
    kernel, strides = shape.filter[1:3], (shape.stride, shape.stride)
    if shape.name == "CONV_2D":
        return _single(shape.input[1:], lambda: layers.Conv2D(
            shape.filter[0], kernel, strides=strides, padding=shape.padding))
    if shape.name == "DEPTHWISE_CONV_2D":
        return _single(shape.input[1:], lambda: layers.DepthwiseConv2D(
            kernel, strides=strides, padding=shape.padding, depth_multiplier=shape.output[3] // shape.input[3]))
    if shape.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        pool = layers.AveragePooling2D if shape.name == "AVERAGE_POOL_2D" else layers.MaxPooling2D
        return _single(shape.input[1:], lambda: pool(kernel, strides=strides, padding=shape.padding))
    if shape.name == "FULLY_CONNECTED":
        return _single(shape.input[1:], lambda: layers.Dense(shape.filter[0]))
    return None


def separable_network(window: int):
    """Issue 15's network: tiny_separable_cnn at width 70 (stem + 7 DW/PW blocks)."""
    shape = input_shape("tiny_separable_cnn", window)
    return "tiny_separable_cnn width 70", (lambda: build_model("tiny_separable_cnn", shape, 5, width=70)), shape


def zoo_models(window: int, selected: list[str]):
    for name in selected:
        shape = input_shape(name, window)
        yield name, (lambda name=name, shape=shape: build_model(name, shape, 5)), shape


def _equals(row: Row) -> str:
    return "-" if row.equals_tflm is None else ("yes" if row.equals_tflm else "NO")


def failures(rows: list[Row], models: list[Row]) -> list[str]:
    """One line per row whose outputs differ from TFLM's, and per model whose arena
    exceeds TFLM's."""
    lines = [f"{r.name}: outputs differ from TFLM's" for r in rows if r.equals_tflm is False]
    lines += [f"{r.name}: arena {r.arena_used:,} B, TFLM's {r.tflm_arena:,} B" for r in models
              if r.tflm_arena is not None and r.arena_used > r.tflm_arena]
    return lines


def _fmt(value, spec=",d"):
    return "-" if value is None else format(value, spec)


def _per_mac(instructions, macs) -> str:
    return "-" if not (instructions and macs) else f"{instructions / macs:.2f}"


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}\n")
    print("| model | MACs | instructions | instr/MAC | energy uJ | flash B | runtime code B "
          "| model B | arena B (TFLM) | SRAM B | outputs = TFLM |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        energy = "-" if r.instructions is None else f"{energy_uj(r.instructions):.1f}"
        arena = f"{_fmt(r.arena_used)} ({_fmt(r.tflm_arena)})"
        print(f"| {r.name} | {_fmt(r.macs)} | {_fmt(r.instructions)} | {_per_mac(r.instructions, r.macs)} | "
              f"{energy} | {_fmt(r.flash)} | {_fmt(r.runtime_code)} | {_fmt(r.model_bytes)} | {arena} | "
              f"{_fmt(r.sram)} | {_equals(r)} |")
    for r in rows:
        if r.error:
            print(f"\n{r.name}: {r.error}")


def print_shapes(rows: list[Row]) -> list[Row]:
    """Per model: each distinct op shape measured alone, and the kinds' totals; returns the
    single-op rows measured."""
    print("\n## per op and shape of each model (each shape run alone as a single-op model)\n")
    print("| model | op | shape | count | MACs | instructions | instr/MAC | outputs = TFLM |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    measured: dict[OpShape, Row] = {}
    for r in rows:
        counts: dict[OpShape, int] = {}
        for shape, _ in r.shapes:
            counts[shape] = counts.get(shape, 0) + 1
        kinds: dict[str, list[int]] = {}
        for shape, count in counts.items():
            factory = shape_model(shape)
            if factory is None:
                continue
            if shape not in measured:
                measured[shape] = measure(shape.describe(), *factory)
            m = measured[shape]
            print(f"| {r.name} | {shape.kind} | {shape.describe()} | {count} | {_fmt(m.macs)} | "
                  f"{_fmt(m.instructions)} | {_per_mac(m.instructions, m.macs)} | {_equals(m)} |")
            if m.instructions is None:
                continue  # a shape that did not run (its error is printed below) is left out of the totals
            total = kinds.setdefault(shape.kind, [0, 0])
            total[0] += count * m.macs
            total[1] += count * m.instructions
        for kind, (macs, instructions) in sorted(kinds.items()):
            print(f"| {r.name} | **{kind}, all** | | | {_fmt(macs)} | {_fmt(instructions)} | "
                  f"**{_per_mac(instructions, macs)}** | |")
    for shape, m in measured.items():
        if m.error:
            print(f"\n{shape.describe()}: {m.error}")
    return list(measured.values())


def print_code(rows: list[Row]) -> None:
    """Runtime code bytes per object file of each model's firmware."""
    print("\n## runtime code per object (bytes linked into each model's firmware)\n")
    objects = sorted({obj for r in rows for obj in r.code_by_object})
    print("| object | " + " | ".join(r.name for r in rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for obj in objects:
        print(f"| {obj} | " + " | ".join(_fmt(r.code_by_object.get(obj)) for r in rows) + " |")
    print("| **total** | " + " | ".join(_fmt(r.runtime_code) for r in rows) + " |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=1800, help="signal samples (default 1800)")
    parser.add_argument("--models", default=",".join(names()), help="zoo models, comma-separated")
    parser.add_argument("--skip-ops", action="store_true", help="no single-op table")
    parser.add_argument("--per-shape", action="store_true",
                        help="also every op shape of every model measured alone (slow: one firmware per shape)")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(SEED)
    print(f"STM32L475VG on QEMU 10 (-M b-l475e-iot01a), exact instruction counts; window {args.window}")
    print(ENERGY_NOTE)
    ops = [measure(*m) for m in single_op_models(args.window)] if not args.skip_ops else []
    if ops:
        print_table("per op type", ops)
    models = [measure(*separable_network(args.window))]
    models += [measure(*m) for m in zoo_models(args.window, [m for m in args.models.split(",") if m])]
    print_table("per zoo model (and issue 15's separable network)", models)
    print_code(models)
    shapes = print_shapes(models) if args.per_shape else []
    failed = failures(ops + models + shapes, models)
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
