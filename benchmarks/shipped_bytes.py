"""Shipped bytes: model × schedule → the file's bytes before and after slimming.

For each zoo model (and comparator) the table gives the file ``tpw-export --schedule``
writes, built from the converter's file as is ("before") and from the slimmed file
("after", what ships), the ledger's flash for that schedule (equal to "after" by
construction) and the tensors the DECODE compression kept. ``boot`` and ``lazy``
ship one file, so one row stands for both. The models are seeded and untrained (the
comparators fine-tuned one epoch) on the synthetic dataset: sizes depend on the
architecture, the converter and, for compressed kernels, the number of distinct values
and zeros, which tfmot sets, not on training.

    python benchmarks/shipped_bytes.py
"""
from __future__ import annotations

import argparse

# (model, --compress, --schedule): every file ``tpw-export`` can write for the zoo's
# default models; hypertinypw's boot schedule stores a generator, which TFLM cannot decode.
ROWS = (("hypertinypw", None, "baked"), ("tiny_separable_cnn", None, "baked"),
        ("ternary_cnn", None, "baked"), ("ternary_cnn", None, "boot"),
        ("tiny_separable_cnn", "cluster", "baked"), ("tiny_separable_cnn", "cluster", "boot"),
        ("tiny_separable_cnn", "prune", "baked"), ("tiny_separable_cnn", "prune", "boot"))


def measure(name: str, compress: str | None, schedule: str, data) -> dict:
    """One row: converter, before-slimming and shipped bytes, ledger flash, kept tensors."""
    import tf_keras as keras

    from tpw_export.pipeline import export_model
    from tpw_export.tflm_compress import ENCODINGS, compress_for_tflm
    from tpw_tf.models import build_model

    keras.utils.set_random_seed(0)
    train = data.splits["train"]
    model = build_model(name, data.input_shape, data.num_classes)
    exported = export_model(model, train.x, compress=compress, schedule=schedule,
                            fine_tune=(train.x, train.y) if compress else None)
    before = (len(exported.converted) if schedule == "baked"
              else len(compress_for_tflm(exported.converted, encodings=ENCODINGS).flatbuffer))
    kept = exported.decoded.kept if exported.decoded is not None else []
    return {"model": name, "compress": compress or "-", "schedule": schedule if schedule == "baked" else "boot/lazy",
            "before slimming": before, "shipped": len(exported.file),
            "ledger flash": exported.ledger["schedules"][schedule]["flash_bytes"],
            "saved": f"{1 - len(exported.file) / before:.0%}",
            "DECODE tensors": ", ".join(sorted({c.encoding for c in kept})) + f" ×{len(kept)}" if kept else "-"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    from tpw_export.native_io import quiet_tensorflow
    from tpw_tf.data import load

    quiet_tensorflow()
    data = load("synthetic", per_subject=6)
    rows = [measure(name, compress, schedule, data) for name, compress, schedule in ROWS]
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()) + " |")


if __name__ == "__main__":
    main()
