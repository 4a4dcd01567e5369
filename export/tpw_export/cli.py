"""``tpw-export``: train, bake, convert, check and write a model for TFLM.

Writes ``OUT.tflite`` (the ``--schedule``'s file), ``OUT.ledger.json``, ``OUT.keras`` (the trained model,
generator included) and ``OUT.cc`` (``xxd -i`` of the flatbuffer) all at once,
or nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tpw_export.native_io import quiet_tensorflow
from tpw_export.packing import PACKING_BITS
from tpw_tf import atomic
from tpw_tf.console import run_command
from tpw_tf.errors import TpwError


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tpw-export", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="synthetic, apnea, mitdb, ptbxl or speech")
    parser.add_argument("--out", required=True, type=Path, help="output flatbuffer, PATH.tflite")
    parser.add_argument("--model", default="hypertinypw", help="zoo model (default: hypertinypw)")
    parser.add_argument("-m", "--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a zoo model config value, e.g. -m width=64 -m head=shared_basis (repeatable; "
                             "recorded in the ledger)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: the dataset's, 10 unless docs/results.md's recipe says more)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    parser.add_argument("--bits", type=int, default=8, choices=PACKING_BITS,
                        help="packing precision of generator, heads and codes (default: 8)")
    parser.add_argument("-t", "--train-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a training recipe option over the dataset's defaults, e.g. -t augment=false "
                             "-t learning_rate=0.005 (repeatable; tpw_tf.train.Recipe's fields; recorded in the ledger)")
    parser.add_argument("--data-dir", help="read an existing copy of the dataset; never download")
    parser.add_argument("-o", "--data-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a dataset loader option, e.g. -o split=ds1-patients (repeatable)")
    parser.add_argument("--checkpoint", type=Path, help="a trained PATH.keras to export instead of training")
    parser.add_argument("--compress", choices=("prune", "cluster"),
                        help="prune or cluster the baked model (tensorflow-model-optimization); "
                             "the ledger counts the packed kernels for boot / lazy")
    parser.add_argument("--schedule", choices=("baked", "boot", "lazy"), default="baked",
                        help="the schedule --out ships (default: baked, the slimmed INT8 file); boot and lazy "
                             "write one file with TFLM DECODE-compressed kernels (ternary, --compress)")
    parser.add_argument("--qat", action="store_true", help="quantization-aware fine-tuning before conversion")
    parser.add_argument("--firmware", action="store_true",
                        help="also build the STM32L4 firmware for the --schedule's file, run it in QEMU (a boot / lazy "
                             "file beside its baked file) and add sizes and instruction counts to the ledger")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def output_paths(out: Path) -> dict[str, Path]:
    if out.suffix != ".tflite":
        raise TpwError(f"--out must name a .tflite file, got {out}")
    if not out.parent.is_dir():
        raise TpwError(f"--out {out}: folder {out.parent} does not exist")
    stem = out.with_suffix("")
    paths = {"tflite": out, "ledger": Path(f"{stem}.ledger.json"), "keras": Path(f"{stem}.keras"),
             "cc": Path(f"{stem}.cc")}
    for path in paths.values():  # now, rather than after training
        atomic.check_writable(path, f"--out {out}: ")
    return paths


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet_tensorflow()

    def body() -> None:
        paths = output_paths(args.out)
        if args.epochs is not None and args.epochs < 1:
            raise TpwError(f"--epochs must be >= 1, got {args.epochs}")
        if args.seed < 0:  # numpy and Keras seeds are unsigned
            raise TpwError(f"--seed must be >= 0, got {args.seed}")
        from tpw_export import pipeline
        from tpw_export.artifacts import Artifacts
        from tpw_export.c_array import c_array
        from tpw_export.ledger import format_table, write_json
        from tpw_export.native_io import captured_fd
        from tpw_tf.data.options import parse_options
        from tpw_tf.models import check_config_keys
        from tpw_tf.train.recipe import dataset_recipe

        model_config = parse_options(args.model_option)
        if model_config and args.checkpoint is not None:
            raise TpwError("--model-option sets up a model to train; --checkpoint exports one as it was saved")
        check_config_keys(args.model, model_config)
        recipe = parse_options(args.train_option)
        if recipe and args.checkpoint is not None:
            raise TpwError("--train-option sets up training; --checkpoint exports a model trained before")
        dataset_recipe(args.dataset, **recipe)  # a bad option is refused before the data loads
        result, dataset = pipeline.run(dataset=args.dataset, model_name=args.model, epochs=args.epochs,
                                       seed=args.seed, bits=args.bits, data_dir=args.data_dir,
                                       checkpoint=args.checkpoint, progress=not args.quiet,
                                       dataset_options=parse_options(args.data_option),
                                       model_config=model_config, compress=args.compress, qat=args.qat,
                                       schedule=args.schedule, recipe=recipe)
        # Which file holds which schedule: --out holds the chosen one (boot and lazy share it).
        ledger = {**result.ledger, "files": {paths["tflite"].name: args.schedule}}
        if args.firmware:
            from tpw_export.firmware_report import firmware_report

            # The report stands beside the ledger; the ledger file carries both. A written
            # DECODE schedule runs beside its baked file, TFLM's reference for synthesized kernels.
            ledger = {**ledger, "firmware": firmware_report(
                result.file, dataset, schedule=args.schedule, synthesized=result.synthesized,
                baked=None if result.decoded is None else result.flatbuffer)}
        with Artifacts() as out:
            out.write(paths["tflite"], result.file)
            out.write(paths["ledger"], write_json(ledger))
            out.write(paths["cc"], c_array(result.file, paths["tflite"].name))
            with captured_fd(2):
                result.model.save(out.stage(paths["keras"]))
            out.commit()
        print(format_table(ledger))
        if args.firmware:
            from tpw_export.firmware_report import format_report

            print(format_report(ledger["firmware"]))
        print(parity_summary(ledger["parity"]))
        print("wrote " + ", ".join(str(p) for p in paths.values()))

    return run_command(body, error_status=2)


def parity_summary(p: dict) -> str:
    """Two lines for people: TFLM against tf.lite's kernels, and INT8 against float accuracy."""
    return (f"\nparity on {p['windows']} {p['split']} windows: TFLM == tf.lite reference kernels on "
            f"{p['windows'] - p['mismatched_windows']}, == tf.lite optimized kernels on "
            f"{p['windows'] - p['optimized_mismatched_windows']}; INT8 class == float class on "
            f"{p['argmax_agreement']:.1%}\n"
            f"{p['split']} argmax accuracy / macro-F1: INT8 {p['int8_accuracy']:.3f} / "
            f"{p['int8_macro_f1']:.3f}, float {p['float_accuracy']:.3f} / {p['float_macro_f1']:.3f}")

if __name__ == "__main__":
    sys.exit(main())
