"""One sweep run (train, export, evaluate, result file), the local engine and the resumable loop over runs.

An *engine* runs the unfinished runs and yields ``(run, outcome)`` as each one
ends, ``outcome`` being its result dict or its one-line error; the loop
(:func:`sweep`) logs, rebuilds the reports and names the failures, whatever the
engine. :func:`run_here` runs them one by one in this process (the default);
:mod:`tpw_eval.sweep.ray_engine` hands them to Ray. Both call :func:`execute`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

from tpw_eval.sweep.report import atomic_write, flash_text, metric_text, write_reports
from tpw_eval.sweep.spec import config_label, run_key
from tpw_tf import atomic
from tpw_tf.errors import TpwError, first_line
from tpw_tf.metrics import METRICS


def result_path(out: Path, run: dict) -> Path:
    return out / "runs" / f"{run['key']}.json"


def trained_path(out: Path, run: dict) -> Path:
    """The trained model ``run`` shares with every run of the sweep that differs from it only in bits
    or compression (``compress`` fine-tunes the trained model at export)."""
    return out / "models" / f"{run_key({**run, 'bits': None, 'compress': None})}.keras"


def boot_path(out: Path, run: dict) -> Path:
    """The boot / lazy file of ``run``: what ``tpw-export --schedule boot`` writes for it."""
    return out / "models" / f"{run['key']}-boot.tflite"


def failure_line(error: BaseException) -> str:
    """A failed run's one-line error: a TpwError's message; anything else (a bug) also names its type."""
    line = first_line(error)
    return line if isinstance(error, TpwError) else f"{type(error).__name__}: {line}"


def load_result(out: Path, run: dict) -> dict | None:
    """The finished result of ``run`` in ``out``, or None (absent, or written by another spec version)."""
    result = atomic.read_json(result_path(out, run), "result file ({msg}); delete it to rerun")
    return result if result is not None and result.get("key") == run["key"] else None


def execute(run: dict, out: Path, data_root: Path | None) -> dict:
    """Train, export and evaluate one run; write its files and result file; return the result.

    One trained model, one export (``schedule="boot"``), two files: the baked file
    (``OUT/models/KEY.tflite``, what ``tpw-export`` writes by default; it is scored) and
    the boot file (``OUT/models/KEY-boot.tflite``, what ``--schedule boot`` writes). A
    comparator's boot file DECODE-compresses the baked file's tensors where that is
    smaller (a plain CNN's is its baked file); a generated model's holds its kernels as
    synthesized DECODEs (its lazy file differs in one header byte). Both give the baked
    file's outputs on every test window (the export checks it), so the metrics are every
    schedule's. ``schedules`` hold the shipped files' bytes (``flash_bytes``) and arenas
    beside the ledger's Eq. 6 count (``counted_flash_bytes``).
    """
    from tpw_export import pipeline
    from tpw_eval.evaluate import evaluate, json_safe
    from tpw_tf import train

    start = time.monotonic()
    data_dir = str(data_root / run["folder"]) if data_root is not None and run["folder"] else None
    compress = run.get("compress")
    common = dict(dataset=run["dataset"], model_name=run["model"], epochs=run["epochs"], seed=run["seed"],
                  bits=run["bits"], data_dir=data_dir, progress=False, model_config=run["config"],
                  dataset_options=run["options"], recipe=run.get("train"))
    # Runs that differ only in bits or compression share one trained model: the first trains and saves it.
    trained = trained_path(out, run)
    if compress is not None and not trained.is_file():
        export_trained(run, out, pipeline.run(**common)[0])
    if trained.is_file():
        train.seed_everything(run["seed"])  # what a fresh run seeds before training, for compress's fine-tuning
    export, dataset = pipeline.run(**common, compress=compress, schedule="boot",
                                   checkpoint=trained if trained.is_file() else None)
    export_trained(run, out, export)
    model_path = out / "models" / f"{run['key']}.tflite"
    atomic_write(model_path, export.flatbuffer)
    atomic_write(boot_path(out, run), export.file)
    report = evaluate(model_path, dataset, resamples=run["resamples"], seed=run["seed"])
    ledger = export.ledger
    result = {
        "key": run["key"], "run": {k: v for k, v in run.items() if k != "key"},
        "metrics": {m: json_safe(report[m]) for m in METRICS},
        "threshold": report["threshold"], "test_windows": report["windows"], "test_groups": report["groups"],
        "parameters": int(export.model.count_params()),
        "schedules": {s: {**c, "counted_flash_bytes": c.get("counted_flash_bytes", c["flash_bytes"])}
                      for s, c in ledger["schedules"].items()},
        "flatbuffer_bytes": ledger["flatbuffer_bytes"], "converter_bytes": ledger["slimming"]["converter_bytes"],
        "boot_file": {"bytes": len(export.file), "synthesized": export.synthesized,
                      "decode_tensors": [c.as_dict() for c in export.decoded.kept],
                      "mismatched_windows": ledger["parity"]["decoded_mismatched_windows"]},
        "arena_bytes": ledger["arena_bytes"], "expanded_layers": ledger["expanded_layers"],
        "parity_mismatched_windows": ledger["parity"]["mismatched_windows"],
        "seconds": round(time.monotonic() - start, 1),
    }
    atomic_write(result_path(out, run), (json.dumps(result, indent=2, allow_nan=False) + "\n").encode())
    return result


def export_trained(run: dict, out: Path, export) -> None:
    """Save ``export``'s trained model as the one ``run`` shares, unless saved (or compressed: not the trained one)."""
    trained = trained_path(out, run)
    if trained.is_file() or export.compressed is not None:
        return
    trained.parent.mkdir(parents=True, exist_ok=True)
    with atomic.staged(trained) as tmp:  # same suffix: Keras picks the format from it
        export.model.save(tmp)


# ``engine(todo, out, data_root, started)`` yields ``(run, result dict | error line)`` for each run
# of ``todo`` as it ends, in any order, calling ``started(run)`` as it starts (or submits) one.
Engine = Callable[..., Iterator[tuple[dict, "dict | str"]]]


def run_here(todo: list[dict], out: Path, data_root: Path | None, started) -> Iterator[tuple[dict, dict | str]]:
    """The local engine: each run in turn in this process. A run's bad input (a TpwError) fails that run
    only; a bug keeps its traceback and stops the sweep, its finished runs kept."""
    for run in todo:
        started(run)
        try:
            yield run, execute(run, out, data_root)
        except TpwError as error:
            yield run, failure_line(error)


def sweep(runs: list[dict], out: Path, *, data_root: Path | None = None, spec_arg: str = "SPEC.json",
          log=None, engine: Engine = run_here) -> list[dict]:
    """Run every unfinished run of ``runs`` with ``engine``, rebuilding the reports as each one ends; return
    every result in spec order. Raises a TpwError naming the failed runs' keys once the others have ended.

    ``spec_arg`` is how ``tpw-sweep`` names the spec (``--preset NAME`` or a
    file path); the Markdown report quotes it in its reproduce commands.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    heads = {run["key"]: f"[{i}/{len(runs)}] {run['key']} {run['dataset']} {run['model']} {config_label(run)}"
             for i, run in enumerate(runs, start=1)}
    done = {}

    def report():
        write_reports([done[r["key"]] for r in runs if r["key"] in done], out, spec_arg)

    for run in runs:
        result = load_result(out, run)
        if result is not None:
            log(f"{heads[run['key']]}: done before, skipped")
            done[run["key"]] = result
    if done:
        report()
    failed = []
    todo = [run for run in runs if run["key"] not in done]
    for run, outcome in engine(todo, out, data_root, lambda started: log(f"{heads[started['key']]}: running")):
        if isinstance(outcome, str):
            log(f"{heads[run['key']]}: failed: {outcome}")
            failed.append(run["key"])
            continue
        log(f"{heads[run['key']]}: macro-F1 {metric_text(outcome['metrics']['macro_f1'])}, "
            f"flash {flash_text(outcome)} ({outcome['seconds']:.0f} s)")
        done[run["key"]] = outcome
        report()
    if failed:
        raise TpwError(f"{len(failed)} of {len(runs)} runs failed (errors above): {' '.join(failed)}")
    return [done[r["key"]] for r in runs]
