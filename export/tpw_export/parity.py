"""Parity of an exported flatbuffer: TFLM against tf.lite, INT8 against float."""
from __future__ import annotations

import numpy as np

from tpw_export.tflm import first_divergent_op, quantize_inputs, run_tflite, run_tflm
from tpw_tf import metrics


def check_parity(flatbuffer: bytes, float_model, x: np.ndarray, y: np.ndarray | None = None, *,
                 lite_flatbuffer: bytes | None = None, decoded: bytes | None = None) -> dict:
    """Run float windows ``x`` through TFLM and both tf.lite resolvers and compare.

    TFLM runs ``flatbuffer``; tf.lite runs ``lite_flatbuffer`` if given (the
    converter's file of a slimmed ``flatbuffer``: same ops, tensors and values, but
    tf.lite refuses the one-entry per-channel zero points TFLM accepts). With
    ``decoded``, a DECODE-compressed form of ``flatbuffer`` (tf.lite has no DECODE),
    TFLM's outputs on it are compared with TFLM's on ``flatbuffer``.

    With labels ``y``, also the argmax accuracy and macro-F1 of the INT8 model
    (as TFLM runs it) and of the float model; the thresholded evaluation
    protocol is ``tpw-eval``'s.

    Returns:
        ``windows``; ``mismatched_windows`` (against tf.lite's reference
        kernels) and ``optimized_mismatched_windows`` (against its optimized
        kernels): windows where any int8 output element differs from TFLM's;
        ``first_divergence``: for the first reference mismatch, the op that
        diverges first (``{op, name, difference}``) or None; with ``decoded``,
        ``decoded_mismatched_windows``; and ``argmax_agreement``, the fraction of
        windows whose INT8 class equals the float model's.
    """
    lite = lite_flatbuffer or flatbuffer
    x_int8 = quantize_inputs(flatbuffer, x)
    micro = run_tflm(flatbuffer, x_int8)
    mismatched = {resolver: np.any(micro != run_tflite(lite, x_int8, resolver=resolver), axis=1)
                  for resolver in ("reference", "optimized")}
    divergence = None
    if mismatched["reference"].any():
        op = first_divergent_op(flatbuffer, x_int8[np.argmax(mismatched["reference"])], lite_flatbuffer=lite)
        divergence = op and dict(zip(("op", "name", "difference"), op))
    float_classes = np.concatenate([float_model(x[i:i + 256], training=False).numpy().argmax(axis=1)
                                    for i in range(0, len(x), 256)]) if len(x) else np.zeros(0, int)
    int8_classes = micro.argmax(axis=1)
    report = {"windows": int(len(x)),
              "mismatched_windows": int(mismatched["reference"].sum()),
              "optimized_mismatched_windows": int(mismatched["optimized"].sum()),
              "first_divergence": divergence,
              **({} if decoded is None else
                 {"decoded_mismatched_windows": int(np.any(run_tflm(decoded, x_int8) != micro, axis=1).sum())}),
              "argmax_agreement": float(np.mean(int8_classes == float_classes)) if len(x) else None}
    if y is not None and len(x):
        classes = micro.shape[1]
        for name, predicted in (("int8", int8_classes), ("float", float_classes)):
            report[f"{name}_accuracy"] = metrics.accuracy(y, predicted)
            report[f"{name}_macro_f1"] = metrics.macro_f1(y, predicted, classes)
    return report
