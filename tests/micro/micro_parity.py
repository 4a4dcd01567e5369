"""Build, convert and run models for the runtime parity tests.

`convert_cases` puts many single-op cases in one Keras model (one output per
case, named ``case_<iii>``) and converts it once; `run_tflm` is the oracle;
`run_reference` (tf.lite's reference kernels) is the oracle where TFLM reads
memory it never wrote (a dynamic batch through SPACE_TO_BATCH_ND, see
test_dynamic_shapes.py); `compare` runs ours and an oracle and names every
case whose output differs.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers

from tpw_micro import host_runtime
from tpw_micro.build import build_dir
from tpw_export.native_io import captured_fd

TFLM_ARENA_BYTES = 8 << 20


def build_model(cases, *, dynamic_batch: bool = False) -> keras.Model:
    """One output per case; ``dynamic_batch`` leaves the batch as None (-1 in shape_signature)."""
    batch = None if dynamic_batch else 1
    inputs, outputs = [], []
    for i, case in enumerate(cases):
        case_inputs = [keras.Input(shape, batch_size=batch, name=f"in_{i:03d}_{k}")
                       for k, shape in enumerate(case.input_shapes)]
        inputs += case_inputs
        outputs.append(layers.Activation("linear", name=f"case_{i:03d}")(case.build(case_inputs)))
    return keras.Model(inputs, outputs)


def convert_cases(cases, seed: int, *, float_io: bool = False, dynamic_batch: bool = False,
                  samples: int = 24) -> bytes:
    """One flatbuffer holding every case; int8 I/O unless ``float_io``.

    Flatbuffers are cached in the runtime's build folder, keyed by the case
    generator and this module's sources, the cases and TensorFlow's version,
    so the sanitized rerun of the suite tests the very same models.
    """
    key = hashlib.sha256(repr((
        [Path(__file__).read_text(), (Path(__file__).parent / "micro_op_cases.py").read_text()],
        [(c.name, c.input_shapes, c.amplitudes, c.offsets) for c in cases],
        seed, float_io, dynamic_batch, samples, tf.__version__)).encode()).hexdigest()[:24]
    cached = build_dir() / "parity_models" / f"{key}.tflite"
    if cached.is_file():
        return cached.read_bytes()
    flatbuffer = _convert(cases, seed, float_io=float_io, dynamic_batch=dynamic_batch, samples=samples)
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(flatbuffer)
    os.replace(temporary, cached)
    return flatbuffer


def _convert(cases, seed: int, *, float_io: bool, dynamic_batch: bool, samples: int) -> bytes:
    keras.utils.set_random_seed(seed)
    model = build_model(cases, dynamic_batch=dynamic_batch)
    rng = np.random.default_rng(seed)
    # Keyed by input name: the converter's signature does not keep Keras' input order.
    calibration = [{f"in_{i:03d}_{k}": rng.normal(o, a, (1, *shape)).astype(np.float32)
                    for i, case in enumerate(cases)
                    for k, (shape, a, o) in enumerate(zip(case.input_shapes, case.amplitudes, case.offsets))}
                   for _ in range(samples)]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter(calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    io_type = tf.float32 if float_io else tf.int8
    converter.inference_input_type = io_type
    converter.inference_output_type = io_type
    with captured_fd(2):
        return converter.convert()


def has_dynamic_batch(flatbuffer: bytes) -> bool:
    """True when every model input has -1 as its batch in shape_signature."""
    details = tf.lite.Interpreter(model_content=flatbuffer).get_input_details()
    return all(d["shape_signature"][0] == -1 for d in details)


def output_case_names(flatbuffer: bytes) -> list[str]:
    """Keras output name (``case_<iii>``) of each flatbuffer output, in flatbuffer order."""
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    signature = interpreter._get_full_signature_list()["serving_default"]["outputs"]
    by_tensor = {index: name for name, index in signature.items()}
    return [by_tensor[d["index"]] for d in interpreter.get_output_details()]


def run_tflm(flatbuffer: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The oracle: TFLM's Python interpreter, one sample at a time."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(flatbuffer, arena_size=TFLM_ARENA_BYTES)
    per_sample = []
    for n in range(len(inputs[0])):
        for k, x in enumerate(inputs):
            interpreter.set_input(x[n:n + 1], k)
        interpreter.invoke()
        count = len(per_sample[0]) if per_sample else _output_count(interpreter)
        per_sample.append([interpreter.get_output(k)[0].copy() for k in range(count)])
    return [np.stack([sample[k] for sample in per_sample]) for k in range(len(per_sample[0]))]


def run_reference(flatbuffer: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """tf.lite's reference kernels (BUILTIN_REF), which resize every tensor to its real shape."""
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer, experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    outputs = [[] for _ in interpreter.get_output_details()]
    for n in range(len(inputs[0])):
        for detail, x in zip(interpreter.get_input_details(), inputs):
            interpreter.set_tensor(detail["index"], x[n:n + 1])
        interpreter.invoke()
        for k, detail in enumerate(interpreter.get_output_details()):
            outputs[k].append(interpreter.get_tensor(detail["index"])[0].copy())
    return [np.stack(values) for values in outputs]


def _output_count(interpreter) -> int:
    count = 0
    while True:
        try:
            interpreter.get_output_details(count)
        except Exception:  # TFLM raises on an index past the last output
            return count
        count += 1


def random_inputs(flatbuffer: bytes, count: int, seed: int) -> list[np.ndarray]:
    """Full-range random samples for every model input (int8) or N(0, 2) floats."""
    rng = np.random.default_rng(seed)
    inputs = []
    for tensor in host_runtime.describe(flatbuffer).inputs:
        shape = (count, *tensor.shape[1:])
        if tensor.dtype == np.int8:
            inputs.append(rng.integers(-128, 128, shape, dtype=np.int8))
        else:
            inputs.append(rng.normal(0, 2, shape).astype(tensor.dtype))
    return inputs


def compare(flatbuffer: bytes, inputs: list[np.ndarray], names: list[str | None], oracle=run_tflm) -> list[str]:
    """Descriptions of every output that differs from the oracle (empty when bit-exact).

    Outputs whose name is None are not compared.
    """
    ours = host_runtime.run(flatbuffer, inputs)
    theirs = oracle(flatbuffer, inputs)
    label = "TFLM" if oracle is run_tflm else oracle.__name__
    failures = []
    for name, a, b in zip(names, ours, theirs):
        if name is None:
            continue
        if a.shape != b.shape or a.dtype != b.dtype:
            failures.append(f"{name}: ours {a.dtype}{a.shape}, {label} {b.dtype}{b.shape}")
        elif not np.array_equal(a.view(np.uint8) if a.dtype == np.float32 else a,
                                b.view(np.uint8) if b.dtype == np.float32 else b):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
            failures.append(f"{name}: {int((diff > 0).sum())} of {diff.size} values differ from {label}, "
                            f"max {diff.max():g}")
    return failures
