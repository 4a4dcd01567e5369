"""Parity of an exported flatbuffer: TFLM against tf.lite, INT8 against float."""
from __future__ import annotations

import numpy as np

from tpw_export.tflm import first_divergent_op, quantize_inputs, run_tflite, run_tflm


def check_parity(flatbuffer: bytes, float_model, x: np.ndarray) -> dict:
    """Run float windows ``x`` through TFLM and both tf.lite resolvers and compare.

    Returns:
        ``windows``; ``mismatched_windows`` (against tf.lite's reference
        kernels) and ``optimized_mismatched_windows`` (against its optimized
        kernels): windows where any int8 output element differs from TFLM's;
        ``first_divergence``: for the first reference mismatch, the op that
        diverges first (``{op, name, difference}``) or None; and
        ``argmax_agreement``, the fraction of windows whose INT8 class equals
        the float model's.
    """
    x_int8 = quantize_inputs(flatbuffer, x)
    micro = run_tflm(flatbuffer, x_int8)
    mismatched = {resolver: np.any(micro != run_tflite(flatbuffer, x_int8, resolver=resolver), axis=1)
                  for resolver in ("reference", "optimized")}
    divergence = None
    if mismatched["reference"].any():
        op = first_divergent_op(flatbuffer, x_int8[np.argmax(mismatched["reference"])])
        divergence = op and dict(zip(("op", "name", "difference"), op))
    float_classes = np.concatenate([float_model(x[i:i + 256], training=False).numpy().argmax(axis=1)
                                    for i in range(0, len(x), 256)]) if len(x) else np.zeros(0, int)
    return {"windows": int(len(x)),
            "mismatched_windows": int(mismatched["reference"].sum()),
            "optimized_mismatched_windows": int(mismatched["optimized"].sum()),
            "first_divergence": divergence,
            "argmax_agreement": float(np.mean(micro.argmax(axis=1) == float_classes)) if len(x) else None}
