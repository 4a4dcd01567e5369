"""``tpw-eval``: the evaluation protocol, run on the INT8 flatbuffer that ships.

    tpw-eval MODEL.tflite --dataset D [--data-dir DIR] [--split test] [--json REPORT.json]
             [--median-width W] [--resamples 1000] [--seed 0] [--threshold T]

The flatbuffer runs in a child process through TFLM (the ``tflite-micro`` wheel's
interpreter, which never imports TensorFlow), so the metrics are the device's, and
every file ``tpw-export`` writes runs: slimmed files (one-entry per-channel zero
points, which tflite-runtime refuses) and DECODE-compressed ones. Before that, tpw's
micro runtime, whose reader bounds-checks every index and buffer, checks the
file: TFLM crashes on some malformed files instead of raising, and the parent
never loads the model into a native interpreter at all. A child that still
crashes is reported by its signal. Validation and the
evaluated split go through the same INT8 model; for a binary task the decision
threshold is tuned on the validation scores only, then applied to the split
(which therefore cannot be ``val`` itself), unless ``--threshold`` gives it: e.g. the
pooled out-of-fold threshold ``tpw-cv`` stores as ``threshold.shipped`` in its ``cv.json``.
Optional median filtering runs within each record in time order. Confidence
intervals come from a bootstrap over groups (records, patients, speakers).
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tpw_export.errors import ExportError
from tpw_micro import host_runtime
from tpw_micro.errors import UnsupportedModel
from tpw_tf import atomic, data, metrics
from tpw_tf.console import crash_reason, run_command
from tpw_tf.data.options import parse_options
from tpw_tf.errors import TpwError

# The child's program: import this module (numpy only) and run the interpreter.
_CHILD = "import sys; from tpw_eval.evaluate import interpret_files; interpret_files(*sys.argv[1:])"


def interpret_files(model_path: str, inputs_path: str, outputs_path: str) -> None:
    """Child side: run every float window of ``inputs_path`` (.npy) through TFLM and save
    the outputs and their scale.

    Windows are quantized with the input tensor's own scale and zero point and
    run one at a time (the batch size a microcontroller uses), in an arena sized
    by :func:`tpw_export.tflm.arena_size`. Writes an .npz with ``outputs`` int8
    ``(N, K)``, ``scale`` and ``zero_point``.
    """
    from tpw_export import tflm

    flatbuffer = Path(model_path).read_bytes()
    source, target = tflm.io_details(flatbuffer)
    x = np.load(inputs_path)
    if source["dtype"] == np.int8:
        x = host_runtime.quantize(x, *tflm.quantization(source))
    outputs = tflm.run_tflm(flatbuffer, x.astype(source["dtype"]))
    scale, zero_point = tflm.quantization(target) if target["dtype"] == np.int8 else (1.0, 0)
    np.savez(outputs_path, outputs=outputs, scale=scale, zero_point=zero_point)


def checked_model(model_path: Path) -> host_runtime.ModelInfo | None:
    """Our runtime's bounds-checked reader goes through the file before any interpreter sees it.

    Returns its description, or None for a well-formed model using an op our runtime does not
    run (UnsupportedModel): such a file is left to the child's interpreter.

    Raises:
        MicroError: one line naming the file: unreadable, malformed, or the reader crashed.
    """
    try:
        return host_runtime.check_model(model_path)[1]
    except UnsupportedModel:
        return None


def run_int8(model_path: Path, x: np.ndarray, *, classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run float windows ``x`` ``(N, 1, T, C)`` through the flatbuffer in a TF-free child process.

    Returns:
        The raw outputs ``(N, K)`` (int8 for an INT8 model) and their
        dequantized float64 values (the INT8 model's class probabilities).

    Raises:
        ExportError: one line starting with ``model_path``: the file cannot be read or
            our runtime refuses it (:func:`host_runtime.check_model`), it does not take
            one input of ``x``'s window shape and give one ``(1, K)`` output (``K == classes``
            when given), or the child fails or crashes (naming the signal).
    """
    info = checked_model(model_path)
    # Without our runtime's description the child's interpreter refuses wrong shapes itself.
    source, target = host_runtime.only_tensors(model_path, info) if info is not None else (None, None)
    if source is not None and (source.shape[1:] != x.shape[1:] or len(target.shape) != 2):
        raise ExportError(f"{model_path}: the model maps {source.shape} to {target.shape}, expected "
                          f"(1, {', '.join(map(str, x.shape[1:]))}) windows to (1, classes) scores")
    if source is not None and classes is not None and target.shape[1] != classes:
        raise ExportError(f"{model_path}: the model has {target.shape[1]} outputs, the data has {classes} classes")
    with tempfile.TemporaryDirectory() as tmp:
        inputs, outputs = Path(tmp) / "x.npy", Path(tmp) / "y.npz"
        np.save(inputs, np.asarray(x, np.float32))
        child = subprocess.run([sys.executable, "-c", _CHILD, str(model_path), str(inputs), str(outputs)],
                               capture_output=True, text=True)
        if child.returncode < 0:
            raise ExportError(f"{model_path}: the INT8 interpreter crashed ({crash_reason(child.returncode)})")
        if child.returncode != 0:
            lines = [line for line in child.stderr.strip().splitlines() if line.strip()]
            raise ExportError(f"{model_path}: the INT8 interpreter failed: "
                              f"{lines[-1] if lines else f'exit status {child.returncode}'}")
        result = np.load(outputs)
        raw = result["outputs"]
        return raw, (raw.astype(np.float64) - float(result["zero_point"])) * float(result["scale"])


def evaluate(model_path: Path, dataset: data.Dataset, *, split: str = "test", median_width: int = 1,
             resamples: int = 1000, seed: int = 0, threshold: float | None = None) -> dict:
    """The full protocol on ``dataset``'s ``split``; returns :func:`metrics.scores_report` plus context.

    For two classes the threshold is ``threshold`` when given (a probability of class 1
    chosen elsewhere, e.g. by ``tpw-cv``), else tuned on the INT8 model's validation
    scores (after the same median filter), so the evaluated split's labels
    never reach it; for more classes decisions are argmax and ``threshold`` is None.
    A binary ``split="val"`` without ``threshold`` is refused: its threshold would be tuned
    on the labels it is scored on. ``threshold`` for more than two classes is refused.
    """
    model_path = Path(model_path)
    binary = dataset.num_classes == 2
    if threshold is not None and not binary:
        raise ExportError(f"--threshold: dataset '{dataset.name}' has {dataset.num_classes} classes; "
                          "a threshold decides two, more are decided by argmax")
    given = threshold is not None
    if binary and split == "val" and not given:
        raise ExportError(f"--split val: dataset '{dataset.name}' has two classes and its decision threshold "
                          "is tuned on val, so val scores would be optimistic; evaluate test or train")
    target = dataset.require(split)
    val = dataset.require("val") if binary and not given else None
    windows = target.x if val is None else np.concatenate([val.x, target.x])
    _, probabilities = run_int8(model_path, windows, classes=dataset.num_classes)

    def smooth(scores, groups):
        return metrics.median_filter(scores, groups, median_width) if median_width > 1 else scores

    if val is not None:
        val_scores = smooth(probabilities[:len(val)], val.groups)
        threshold = metrics.tune_threshold(val.y, val_scores)
        probabilities = probabilities[len(val):]
    report = metrics.scores_report(target.y, smooth(probabilities, target.groups), target.groups,
                                   threshold=threshold, resamples=resamples, seed=seed)
    report.update(model=str(model_path), dataset=dataset.name, split=split, windows=int(len(target)),
                  groups=int(len(np.unique(target.groups))), median_width=median_width,
                  resamples=resamples,
                  threshold_tuned_on="given (--threshold)" if given else "val" if binary else None)
    return report


def format_table(report: dict) -> str:
    """The report as a Markdown table: metric, value, 95% CI."""
    rows = ["| metric | value | 95% CI |", "|---|---:|---|"]
    for name in metrics.METRICS:
        m = report[name]
        rows.append(f"| {name} | {m['value']:.4f} | [{m['ci_low']:.4f}, {m['ci_high']:.4f}] |")
    threshold = report["threshold"]
    rows.append(f"| threshold | {'argmax' if threshold is None else f'{threshold:.4f}'} | |")
    return "\n".join(rows)


def json_safe(value):
    """NaN (e.g. AUC with one class present) becomes null, in nested dicts and lists too: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def write_json(report: dict, path: Path) -> None:
    """Write ``report`` to ``path`` completely or not at all."""
    atomic.write(Path(path), json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tpw-eval", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the INT8 .tflite to evaluate")
    parser.add_argument("--dataset", required=True, help=f"one of {', '.join(data.names())}")
    parser.add_argument("--data-dir", type=Path, default=None, help="an existing copy of the dataset")
    parser.add_argument("-o", "--data-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a dataset loader option, e.g. -o split=ds1-patients (repeatable)")
    parser.add_argument("--split", default="test", choices=data.SPLITS)
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--median-width", type=int, default=1,
                        help="odd window count of the within-record median filter (1 = off)")
    parser.add_argument("--resamples", type=int, default=1000, help="group bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--threshold", type=float, default=None,
                        help="binary tasks: decide class 1 when its probability >= T, in (0, 1] "
                             "(e.g. tpw-cv's threshold.shipped), instead of tuning on val")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> None:
        if args.median_width < 1 or args.median_width % 2 == 0:
            raise TpwError(f"--median-width must be an odd positive int, got {args.median_width}")
        if args.resamples < 1:
            raise TpwError(f"--resamples must be >= 1, got {args.resamples}")
        if args.seed < 0:
            raise TpwError(f"--seed must be >= 0, got {args.seed}")
        if args.threshold is not None and not 0 < args.threshold <= 1:  # NaN fails too
            raise TpwError(f"--threshold must be a probability in (0, 1], got {args.threshold}")
        if args.json is not None:
            atomic.check_writable(args.json, "--json: ")
        checked_model(args.model)  # a bad file is refused before any data loads
        dataset = data.load(args.dataset, data_dir=args.data_dir, **parse_options(args.data_option))
        report = evaluate(args.model, dataset, split=args.split, median_width=args.median_width,
                          resamples=args.resamples, seed=args.seed, threshold=args.threshold)
        if args.json is not None:
            write_json(report, args.json)
        print(f"{report['model']} on {report['dataset']}/{report['split']}: {report['windows']} windows, "
              f"{report['groups']} groups, INT8")
        print(format_table(report))

    return run_command(body)

if __name__ == "__main__":
    sys.exit(main())
