"""The flash ledger of the default models, checked in as docs/flash_budget.json.

tests/export/test_flash_budget.py fails when a default model's flash or SRAM
grows more than 2% past these numbers, so size regressions show in review.
Run with ``--write`` after an intended change and commit the new file.

The models are untrained (seeded) on the synthetic input: sizes depend on the
architecture and the converter, not on the weight values.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

BUDGET = Path(__file__).resolve().parents[1] / "docs" / "flash_budget.json"
MODELS = ("hypertinypw", "tiny_separable_cnn")


def default_ledgers() -> dict:
    """``{model: {flatbuffer_bytes, arena_bytes, <schedule>_flash, <schedule>_sram}}``."""
    import tf_keras as keras

    from tpw_export.pipeline import export_model
    from tpw_tf.data import load
    from tpw_tf.models import build_model

    data = load("synthetic", per_subject=6)
    x = data.splits["train"].x
    result = {}
    for name in MODELS:
        keras.utils.set_random_seed(0)
        model = build_model(name, data.input_shape, data.num_classes)
        ledger = export_model(model, x).ledger
        entry = {"flatbuffer_bytes": ledger["flatbuffer_bytes"], "arena_bytes": ledger["arena_bytes"]}
        for schedule, figures in ledger["schedules"].items():
            entry[f"{schedule}_flash"] = figures["flash_bytes"]
            entry[f"{schedule}_sram"] = figures["sram_bytes"]
        result[name] = entry
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {BUDGET}")
    args = parser.parse_args(argv)
    ledgers = default_ledgers()
    print("| model | " + " | ".join(next(iter(ledgers.values()))) + " |")
    for name, entry in ledgers.items():
        print(f"| {name} | " + " | ".join(f"{v:,}" for v in entry.values()) + " |")
    if args.write:
        from tpw_tf import atomic

        atomic.write(BUDGET, json.dumps(ledgers, indent=2) + "\n")
        print(f"wrote {BUDGET}")


if __name__ == "__main__":
    main()
