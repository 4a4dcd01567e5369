"""The flash ledger: the true packed bytes of every component of a model.

Each component is a group of numbers stored at one precision; its bytes
follow Eq. 4, ``ceil(N * b / 8)``. Components say in which deployment
schedule they are stored:

* ``baked`` - the flatbuffer as shipped: generated kernels stored as INT8.
* ``boot``  - generator, heads, codes and scales (or ternary codes and scales)
  stored packed instead of those kernels; every one is expanded into SRAM at boot.
  What is stored is what the layers state (``tpw_tf.layers.StoresParts``).
* ``lazy``  - the same flash as ``boot``; one generated kernel at a time lives
  in SRAM, so SRAM grows by the largest one only.

A schedule's flash is its parameter bytes (Eq. 6, the sum of its components)
plus the flatbuffer's own structure (graph, tensor tables, zero points,
alignment): that overhead is ``flatbuffer_bytes`` minus the baked parameter
bytes, and a boot or lazy image still needs it. SRAM starts from TFLM's arena.
A schedule written as a file (``--schedule``) is counted by that file instead:
its ``flash_bytes`` *is* the file size and its ``sram_bytes`` the arena for it;
``counted_flash_bytes`` keeps the Eq. 6 figure beside it. ``boot`` and ``lazy``
files have one size, so both take it: TFLM-compressed kernels ship as one file
(TFLM decodes every compressed tensor into its arena before its consumer at each
Invoke), synthesized kernels as two that differ in one header byte (our runtime
synthesizes once at boot, or before each layer), each with its own arena.
``written`` names the schedule and lists every tensor the DECODE compression
tried; ``slimming`` the converter's bytes and what slimming saved.
Runtime code is not counted here: the firmware report (:mod:`tpw_export.firmware_report`)
holds the ELF sizes and stands beside the ledger.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import tf_keras as keras

from tpw_export.bake import expanded_layers, stored_layers
from tpw_export.convert import operators
from tpw_export.errors import ExportError
from tpw_export.packing import SCALE_BITS, packed_bytes

SCHEDULES = ("baked", "boot", "lazy")
_ALL = list(SCHEDULES)
_GENERATED = ["boot", "lazy"]
# Float32 scale plus int8 zero point of one activation tensor.
_ACTIVATION_PARAM_BITS = 40


@dataclass
class Component:
    name: str
    kind: str
    count: int
    bits: int
    schedules: list

    @property
    def bytes(self) -> int:
        return packed_bytes(self.count, self.bits)

    def as_dict(self) -> dict:
        return {**asdict(self), "bytes": self.bytes}


def _stored_side(model: keras.Model, bits: int) -> list[Component]:
    """What boot and lazy store instead of expanded kernels: every part the layers
    state (``StoresParts.stored_parts``), summed by group. Parts without bits of
    their own are packed at ``bits``, each with one float32 scale."""
    totals: dict[tuple[str, str, int], int] = {}
    packed_tensors = 0
    for layer in stored_layers(model):
        for part in layer.stored_parts():
            key = (part.group, layer.stored_kind, bits if part.bits is None else part.bits)
            totals[key] = totals.get(key, 0) + part.count
            packed_tensors += part.bits is None
    components = [Component(group, kind, count, part_bits, _GENERATED)
                  for (group, kind, part_bits), count in totals.items()]
    if packed_tensors:
        # One float32 scale per packed tensor (see packing.quantize_symmetric).
        components.append(Component("packing scales", "quantization", packed_tensors, SCALE_BITS, _GENERATED))
    return components


def _is_classifier(layer: keras.layers.Conv2D) -> bool:
    """A 1x1 convolution on a 1x1 map is a dense layer on pooled features (the
    classifier of ``blocks.linear_softmax``, ``tiny_vae_head``'s latent maps), not a
    pointwise mixer over time: the zoo writes dense layers so for TFLM parity."""
    return tuple(layer.kernel_size) == (1, 1) and tuple(layer.input_shape[1:3]) == (1, 1)


def _baked_side(model: keras.Model, baked: keras.Model, *, kernels_packed: bool) -> list[Component]:
    """INT8 kernels, int32 biases and per-channel weight scales of the baked model.

    With ``kernels_packed`` (a pruned or clustered model) every INT8 kernel is
    stored in the flatbuffer only; boot and lazy store the packed encodings.
    """
    expanded = {layer.name: layer.stored_kind for layer in expanded_layers(model)}
    groups: dict[tuple[str, str], int] = {}
    biases = scales = 0

    def add(name, kind, count):
        groups[(name, kind)] = groups.get((name, kind), 0) + count

    for layer in baked.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            name, channels = "depthwise", layer.depthwise_kernel.shape[-2] * layer.depthwise_kernel.shape[-1]
        elif isinstance(layer, keras.layers.Conv2D):
            channels = layer.filters
            if layer.name in expanded:
                name = f"{expanded[layer.name]} PW (INT8)"
            elif _is_classifier(layer):
                name = "classifier / dense"
            elif tuple(layer.kernel_size) == (1, 1):
                name = "kept PW" if expanded else "pointwise"
            else:
                name = "stem / conv"
        elif isinstance(layer, keras.layers.Dense):
            name, channels = "classifier / dense", layer.units
        elif isinstance(layer, keras.layers.BatchNormalization) or not layer.weights:
            continue  # BatchNorm folds into the preceding kernel and bias
        else:
            raise ExportError(f"ledger: cannot account layer '{layer.name}' of type "
                              f"{type(layer).__name__}; bake the model first")
        kernel = layer.weights[0]
        add(name, "int8 kernel", int(kernel.shape.num_elements()))
        biases += channels
        # Convolutions carry one weight scale per output channel, dense layers one per tensor.
        scales += 1 if isinstance(layer, keras.layers.Dense) else channels
    components = [Component(name, kind, count, 8,
                            ["baked"] if kernels_packed or name.endswith("PW (INT8)") else _ALL)
                  for (name, kind), count in groups.items()]
    components.append(Component("biases", "int32", biases, 32, _ALL))
    components.append(Component("weight scales", "quantization", scales, 32, _ALL))
    return components


def activation_tensors(flatbuffer: bytes) -> int:
    """Activation tensors of the graph (each carries a scale and a zero point)."""
    seen = set()
    for op in operators(flatbuffer):
        seen.update(op["outputs"])
    return len(seen) + 1  # the model input is produced by no op


def _packed_kernels(compressed) -> list[Component]:
    """A pruned or clustered model's kernels as boot / lazy store them (``Compressed.components``)."""
    totals: dict[tuple[str, int], int] = {}
    for row in compressed.components():
        totals[(row["kind"], row["bits"])] = totals.get((row["kind"], row["bits"]), 0) + row["count"]
    return [Component(f"packed kernels ({kind.replace('_', ' ')})", compressed.method, count, bits, _GENERATED)
            for (kind, bits), count in sorted(totals.items())]


def build_ledger(model: keras.Model, baked: keras.Model, flatbuffer: bytes, *, bits: int,
                 arena_bytes: int, compressed=None, converted_bytes: int | None = None,
                 written: dict | None = None) -> dict:
    """The ledger as a JSON-ready dict.

    Args:
        model: the trained model (generated or plain).
        baked: ``bake(model, bits=bits)`` (or ``compressed.model``).
        flatbuffer: ``convert(baked, ...)``.
        bits: packing precision of the generator side.
        arena_bytes: TFLM's arena for ``flatbuffer``.
        compressed: a ``tpw_export.compress.Compressed`` whose ``model`` is ``baked``:
            boot and lazy then store its packed kernels and decode them into SRAM.
        converted_bytes: size of the converter's file before slimming, if slimmed.
        written: the schedule written as a file, ``{schedule, file_bytes}``, and for
            boot / lazy ``arena_bytes`` (``{"boot": bytes, "lazy": bytes}``, each
            schedule's file's arena in the runtime that runs it) and ``tensors``
            (``tflm_compress.Choice.as_dict()`` of every candidate; empty where
            ``synthesized`` is true: the generated kernels are type-128 DECODEs).
    """
    components = (_stored_side(model, bits) + _baked_side(model, baked, kernels_packed=compressed is not None)
                  + (_packed_kernels(compressed) if compressed is not None else []))
    components.append(Component("activation quantization", "quantization",
                                activation_tensors(flatbuffer), _ACTIVATION_PARAM_BITS, _ALL))
    parameter_bytes = {s: sum(c.bytes for c in components if s in c.schedules) for s in SCHEDULES}
    overhead = len(flatbuffer) - parameter_bytes["baked"]
    # INT8 bytes of each kernel boot / lazy materialize in SRAM: the expanded ones, or every
    # kernel of a pruned or clustered model.
    kernels = ([stats.count for stats in compressed.kernels] if compressed is not None else
               [int(baked.get_layer(layer.name).kernel.shape.num_elements())
                for layer in expanded_layers(model)])
    sram_extra = {"baked": 0, "boot": sum(kernels), "lazy": max(kernels, default=0)}
    schedules = {s: {"parameter_bytes": parameter_bytes[s], "flash_bytes": parameter_bytes[s] + overhead,
                     "sram_bytes": arena_bytes + sram_extra[s], "file": False} for s in SCHEDULES}
    if written is not None:
        shipped = [written["schedule"]] if written["schedule"] == "baked" else _GENERATED
        for name in shipped:
            schedules[name].update(counted_flash_bytes=schedules[name]["flash_bytes"],
                                   flash_bytes=written["file_bytes"], file=True)
            if "arena_bytes" in written:
                schedules[name]["sram_bytes"] = written["arena_bytes"][name]
    generated_bytes = sum(c.bytes for c in components if c.schedules == _GENERATED)
    return {
        "model": model.name,
        "bits": bits,
        "components": [c.as_dict() for c in components],
        "schedules": schedules,
        "flatbuffer_bytes": len(flatbuffer),
        "flatbuffer_overhead_bytes": overhead,
        "arena_bytes": arena_bytes,
        "expanded_layers": {"count": len(kernels), "int8_kernel_bytes": sum(kernels),
                            "packed_bytes": generated_bytes},
        "compression": (None if compressed is None
                        else {"method": compressed.method, "tflm": compressed.tflm}),
        "slimming": (None if converted_bytes is None else
                     {"converter_bytes": converted_bytes, "slim_bytes": len(flatbuffer),
                      "saved_bytes": converted_bytes - len(flatbuffer)}),
        "written": written,
    }


def format_table(ledger: dict) -> str:
    """The ledger as a Markdown table, for people."""
    lines = [f"Flash ledger: {ledger['model']} (generator side packed at {ledger['bits']} bits)", "",
             "| component | kind | count | bits | bytes | stored in |", "|---|---|---:|---:|---:|---|"]
    for c in ledger["components"]:
        lines.append(f"| {c['name']} | {c['kind']} | {c['count']:,} | {c['bits']} | {c['bytes']:,} "
                     f"| {', '.join(c['schedules'])} |")
    lines += ["", "| schedule | parameter bytes | flash bytes | SRAM bytes | |", "|---|---:|---:|---:|---|"]
    for name, s in ledger["schedules"].items():
        shipped = f"the written file (counted: {s['counted_flash_bytes']:,})" if s["file"] else "counted"
        lines.append(f"| {name} | {s['parameter_bytes']:,} | {s['flash_bytes']:,} | {s['sram_bytes']:,} "
                     f"| {shipped} |")
    g = ledger["expanded_layers"]
    lines += ["", f"flatbuffer {ledger['flatbuffer_bytes']:,} B (structure {ledger['flatbuffer_overhead_bytes']:,} B), "
                  f"TFLM arena {ledger['arena_bytes']:,} B",
              f"kernels expanded at boot (generated, ternary, pruned or clustered): {g['count']}, "
              f"INT8 {g['int8_kernel_bytes']:,} B, stored packed instead: {g['packed_bytes']:,} B"]
    slimming, written = ledger.get("slimming"), ledger.get("written")
    if slimming:
        lines.append(f"slimmed from the converter's {slimming['converter_bytes']:,} B "
                     f"({slimming['saved_bytes']:,} B saved)")
    if written and written.get("synthesized"):
        when = "once, at AllocateTensors" if written["schedule"] == "boot" else "before its layer, every Invoke"
        lines.append(f"{written['schedule']} file {written['file_bytes']:,} B: {g['count']} generated kernels "
                     f"stored as DECODE type 128, each synthesized {when}")
    elif written and "tensors" in written:
        kept = [t for t in written["tensors"] if t["kept"]]
        lines.append(f"{written['schedule']} file {written['file_bytes']:,} B: {len(kept)} of "
                     f"{len(written['tensors'])} candidate tensors DECODE-compressed "
                     f"({', '.join(sorted({t['encoding'] for t in kept})) or 'none paid'})")
    return "\n".join(lines)


def write_json(ledger: dict) -> str:
    return json.dumps(ledger, indent=2, sort_keys=False) + "\n"
