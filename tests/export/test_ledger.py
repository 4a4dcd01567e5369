"""The ledger's numbers, recomputed independently from the flatbuffer and the
architecture's formulas (never from the ledger's own code)."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import tf_keras as keras
from tensorflow.lite.python import schema_py_generated as schema

from tpw_export.bake import bake
from tpw_export.convert import convert
from tpw_export.ledger import build_ledger, format_table
from tpw_export.tflm import arena_size, tflm_arena_bytes

REQUIRED = {"model", "components", "schedules", "flatbuffer_bytes", "arena_bytes"}
CONV_OPS = {schema.BuiltinOperator.CONV_2D, schema.BuiltinOperator.DEPTHWISE_CONV_2D,
            schema.BuiltinOperator.FULLY_CONNECTED}


def flatbuffer_facts(flatbuffer: bytes) -> dict:
    """Kernel, bias and weight-scale counts and activation tensors, read off the flatbuffer."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    graph = model.subgraphs[0]
    facts = {"kernel": 0, "bias": 0, "scales": 0}
    for op in graph.operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode in CONV_OPS:
            weights, bias = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
            facts["kernel"] += int(np.prod(weights.shape))
            facts["bias"] += int(np.prod(bias.shape))
            facts["scales"] += len(weights.quantization.scale)
    constant = lambda t: model.buffers[t.buffer].data is not None  # noqa: E731
    facts["activations"] = sum(1 for t in graph.tensors if not constant(t))
    return facts


def tflm_arena_in_a_fresh_process(flatbuffer: bytes, tmp_path) -> int:
    """TFLM's total in a process without TensorFlow, given the arena tpw gives it: the total
    counts the padding that aligns the arena's start, which moves with the arena's size."""
    path = tmp_path / "m.tflite"
    path.write_bytes(flatbuffer)
    script = ("import sys\nfrom tflite_micro.python.tflite_micro import runtime\n"
              f"runtime.Interpreter.from_bytes(open({str(path)!r}, 'rb').read(), "
              f"arena_size={arena_size(flatbuffer)}).print_allocations()\n")
    log = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    line = next(l for l in (log.stdout + log.stderr).splitlines() if "Arena allocation total" in l)
    return int(line.split("total")[1].split()[0])


def component(ledger, name):
    return next(c for c in ledger["components"] if c["name"] == name)


@pytest.fixture(scope="module", params=[("full", 8), ("factorized", 6), ("shared_basis", 4)],
                ids=lambda p: f"{p[0]}-{p[1]}bit")
def exported(request, small_models, windows):
    head, bits = request.param
    model = small_models[head]
    baked = bake(model, bits=bits)
    flatbuffer = convert(baked, windows)
    ledger = build_ledger(model, baked, flatbuffer, bits=bits, arena_bytes=tflm_arena_bytes(flatbuffer))
    return head, bits, flatbuffer, ledger


def test_json_has_the_required_keys(exported):
    *_, ledger = exported
    assert REQUIRED <= set(ledger)
    assert set(ledger["schedules"]) == {"baked", "boot", "lazy"}
    assert all(set(c) >= {"name", "kind", "count", "bits", "bytes"} for c in ledger["components"])
    json.loads(json.dumps(ledger))
    assert "| baked |" in format_table(ledger)


def test_baked_counts_match_the_flatbuffer(exported):
    *_, flatbuffer, ledger = exported
    facts = flatbuffer_facts(flatbuffer)
    kernels = sum(c["count"] for c in ledger["components"] if c["kind"] == "int8 kernel")
    assert kernels == facts["kernel"]
    assert component(ledger, "biases")["count"] == facts["bias"]
    assert component(ledger, "weight scales")["count"] == facts["scales"]
    assert component(ledger, "activation quantization")["count"] == facts["activations"]
    assert ledger["flatbuffer_bytes"] == len(flatbuffer)


def test_generator_side_counts_follow_the_architecture(exported, small_config):
    head, bits, _, ledger = exported
    d_z, d_h, hidden, width, r, depth = (small_config[k] for k in ("d_z", "d_h", "hidden_units", "width", "rank",
                                                             "depth"))
    generated = depth - 1
    expected = {
        "generator": d_z * hidden + hidden + hidden * d_h + d_h,
        "codes": generated * d_z,
        "heads": {"full": generated * d_h * width * width,
                  "factorized": d_h * r + generated * r * width * width,
                  "shared_basis": d_h * width * width}[head],
    }
    if head == "shared_basis":
        expected["channel scales"] = generated * width
    for name, count in expected.items():
        c = component(ledger, name)
        assert (c["count"], c["bits"]) == (count, bits), name
        assert c["bytes"] == math.ceil(count * bits / 8), name
    assert component(ledger, "generated PW (INT8)")["count"] == generated * width * width
    assert component(ledger, "kept PW")["count"] == small_config["stem_filters"] * width


def test_schedules_arithmetic(exported, small_config, tmp_path):
    head, bits, flatbuffer, ledger = exported
    width, generated = small_config["width"], small_config["depth"] - 1
    arena = tflm_arena_in_a_fresh_process(flatbuffer, tmp_path)
    assert ledger["arena_bytes"] == arena
    packed = sum(c["bytes"] for c in ledger["components"] if c["schedules"] == ["boot", "lazy"])
    kernel_bytes = generated * width * width
    s = ledger["schedules"]
    assert s["baked"]["flash_bytes"] == len(flatbuffer)
    assert s["baked"]["sram_bytes"] == arena
    assert s["boot"]["flash_bytes"] == len(flatbuffer) - kernel_bytes + packed
    assert s["lazy"]["flash_bytes"] == s["boot"]["flash_bytes"]
    assert s["boot"]["sram_bytes"] == arena + kernel_bytes
    assert s["lazy"]["sram_bytes"] == arena + width * width
    # Eq. 6: a schedule's parameter bytes are the sum of its components.
    for name, schedule in s.items():
        assert schedule["parameter_bytes"] == sum(c["bytes"] for c in ledger["components"]
                                                  if name in c["schedules"])


def test_a_pruned_model_stores_packed_kernels_for_boot_and_lazy(windows, tmp_path):
    """Pruned kernels: the flatbuffer keeps them dense INT8 (TFLM runs that as is);
    boot and lazy store a presence mask plus the non-zero values and decode them."""
    from tpw_export import compress
    from tpw_tf.models import build_model

    model = build_model("tiny_separable_cnn", windows.shape[1:], 3, width=8, depth=2, stem_filters=4)
    labels = np.arange(len(windows)) % 3
    pruned = compress.prune(model, windows, labels, sparsity=0.5, epochs=1)
    flatbuffer = convert(pruned.model, windows)
    arena = tflm_arena_bytes(flatbuffer)
    ledger = build_ledger(pruned.model, pruned.model, flatbuffer, bits=8, arena_bytes=arena, compressed=pruned)

    kernels = [w.numpy() for layer in pruned.model.layers for w in layer.weights[:1]
               if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
    int8_bytes = sum(k.size for k in kernels)
    # Each kernel packed the cheaper way: a 1-bit mask plus its non-zeros, or dense.
    packed = sum(min(math.ceil(k.size / 8) + np.count_nonzero(k), k.size) for k in kernels)
    s = ledger["schedules"]
    assert sum(c["bytes"] for c in ledger["components"] if c["kind"] == "pruned") == packed
    assert all(c["schedules"] == ["baked"] for c in ledger["components"] if c["kind"] == "int8 kernel")
    assert s["boot"]["flash_bytes"] == len(flatbuffer) - int8_bytes + packed
    assert s["boot"]["sram_bytes"] == arena + int8_bytes
    assert s["lazy"]["sram_bytes"] == arena + max(k.size for k in kernels)
    assert ledger["compression"]["method"] == "pruned"
