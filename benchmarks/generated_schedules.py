"""Generated kernels on the simulated STM32L4: baked / boot / lazy files of HyperTinyPW models.

For the zoo's default ``hypertinypw`` and the ``shared_basis`` heads at width 64 with
``d_h`` 2 and 4 (issue 13's configurations), each at 4, 6 and 8 bits, the table gives,
per schedule, the bytes of the file ``tpw-export --schedule`` writes, and from the
firmware built for it and run on QEMU (:func:`tpw_export.firmware_report.firmware_report`):
ELF flash (runtime code plus the model array), SRAM used (static data, stack and the
arena as used), instructions from reset to the first inference (``boot``: board setup and
AllocateTensors, which synthesizes every kernel once in the boot schedule) and
instructions per inference (where the lazy schedule synthesizes each kernel before its
layer); for boot and lazy, what the synthesizing DECODEs cost at boot and per inference
(the exact difference from the baked file's run on the same windows). Every run's outputs
equal TFLM's on the baked file, which is baked on the device's INT8 grid. Models are
seeded and untrained on the ``synthetic`` dataset: bytes and instruction counts depend on
the architecture and ``bits``, not on training.

    python benchmarks/generated_schedules.py [--windows N]
"""
from __future__ import annotations

import argparse

SKELETON = dict(depth=7, stem_filters=16, kernel_size=7, downsample_blocks=3)
# (label, model config): issue 13's shared-basis configurations, then the zoo default.
CONFIGS = (("shared_basis w64 d_h 4", dict(SKELETON, width=64, d_z=4, d_h=4, head="shared_basis")),
           ("shared_basis w64 d_h 2", dict(SKELETON, width=64, d_z=4, d_h=2, head="shared_basis")),
           ("default", {}))
BITS = (4, 6, 8)


def measure(config: dict, bits: int, data, windows: int) -> list[dict]:
    """Three rows (baked, boot, lazy) for one configuration at ``bits``."""
    import tf_keras as keras

    from tpw_export.firmware_report import firmware_report
    from tpw_export.pipeline import export_model
    from tpw_tf.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model("hypertinypw", data.input_shape, data.num_classes, **config)
    x = data.splits["train"].x
    rows = []
    for schedule in ("boot", "lazy"):
        exported = export_model(model, x, bits=bits, schedule=schedule)
        report = firmware_report(exported.file, data, schedule=schedule, baked=exported.flatbuffer,
                                 synthesized=exported.synthesized, windows=windows)
        if not rows:
            rows.append(row("baked", report["baked"], "-", "-"))
        rows.append(row(schedule, report, report["decode_boot_instructions"],
                        spread(report["decode_instructions_per_inference"])))
    return rows


def spread(counts: list[int]) -> int | str:
    """One count per window: the count, or ``min-max`` where windows differ."""
    return counts[0] if len(set(counts)) == 1 else f"{min(counts):,}-{max(counts):,}"


def row(schedule: str, run: dict, synthesis_boot, synthesis_inference) -> dict:
    return {"schedule": schedule, "file bytes": run["file_bytes"], "ELF flash": run["flash"],
            "SRAM used": run["sram_used_bytes"], "arena used": run["arena_used_bytes"],
            "boot instructions": run["boot_instructions"],
            "instructions / inference": spread(run["instructions_per_inference"]),
            "synthesis at boot": synthesis_boot, "synthesis / inference": synthesis_inference}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2, help="test windows each firmware runs (default 2)")
    args = parser.parse_args(argv)
    from tpw_export.native_io import quiet_tensorflow
    from tpw_tf.data import load

    quiet_tensorflow()
    data = load("synthetic", per_subject=6)
    header = None
    for label, config in CONFIGS:
        for bits in BITS:
            for r in measure(config, bits, data, args.windows):
                r = {"model": label, "bits": bits, **r}
                if header is None:
                    header = list(r)
                    print("| " + " | ".join(header) + " |")
                    print("|---|---:|---|" + "---:|" * (len(header) - 3))
                print("| " + " | ".join(f"{v:,}" if isinstance(v, int) and k != "bits" else str(v)
                                        for k, v in r.items()) + " |", flush=True)


if __name__ == "__main__":
    main()
