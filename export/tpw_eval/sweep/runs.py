"""One sweep run (train, export, evaluate, result file) and the resumable loop over runs."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tpw_eval.sweep.report import atomic_write, flash_text, metric_text, write_reports
from tpw_eval.sweep.spec import config_label, run_key
from tpw_tf import atomic
from tpw_tf.errors import TpwError
from tpw_tf.metrics import METRICS


def result_path(out: Path, run: dict) -> Path:
    return out / "runs" / f"{run['key']}.json"


def load_result(out: Path, run: dict) -> dict | None:
    """The finished result of ``run`` in ``out``, or None (absent, or written by another spec version)."""
    path = result_path(out, run)
    if not path.is_file():
        return None
    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise TpwError(f"{path}: corrupt result file ({error.msg}); delete it to rerun") from None
    return result if result.get("key") == run["key"] else None


def execute(run: dict, out: Path, data_root: Path | None) -> dict:
    """Train, export and evaluate one run; write its flatbuffer and result file; return the result."""
    from tpw_export import pipeline
    from tpw_eval.evaluate import evaluate, json_safe

    start = time.monotonic()
    data_dir = str(data_root / run["folder"]) if data_root is not None and run["folder"] else None
    # Runs that differ only in packing bits share one trained model: the first trains and saves it.
    trained = out / "models" / f"{run_key({**run, 'bits': None})}.keras"
    export, dataset = pipeline.run(dataset=run["dataset"], model_name=run["model"], epochs=run["epochs"],
                                   seed=run["seed"], bits=run["bits"], data_dir=data_dir, progress=False,
                                   model_config=run["config"], dataset_options=run["options"],
                                   checkpoint=trained if trained.is_file() else None)
    if not trained.is_file():
        trained.parent.mkdir(parents=True, exist_ok=True)
        with atomic.staged(trained) as tmp:  # same suffix: Keras picks the format from it
            export.model.save(tmp)
    model_path = out / "models" / f"{run['key']}.tflite"
    atomic_write(model_path, export.flatbuffer)
    report = evaluate(model_path, dataset, resamples=run["resamples"], seed=run["seed"])
    ledger = export.ledger
    result = {
        "key": run["key"], "run": {k: v for k, v in run.items() if k != "key"},
        "metrics": {m: json_safe(report[m]) for m in METRICS},
        "threshold": report["threshold"], "test_windows": report["windows"], "test_groups": report["groups"],
        "parameters": int(export.model.count_params()),
        "schedules": ledger["schedules"], "flatbuffer_bytes": ledger["flatbuffer_bytes"],
        "arena_bytes": ledger["arena_bytes"], "expanded_layers": ledger["expanded_layers"],
        "parity_mismatched_windows": ledger["parity"]["mismatched_windows"],
        "seconds": round(time.monotonic() - start, 1),
    }
    atomic_write(result_path(out, run), (json.dumps(result, indent=2, allow_nan=False) + "\n").encode())
    return result


def sweep(runs: list[dict], out: Path, *, data_root: Path | None = None, spec_arg: str = "SPEC.json",
          log=None) -> list[dict]:
    """Run every unfinished run of ``runs`` in order, rebuilding the reports after each; return all results.

    ``spec_arg`` is how ``tpw-sweep`` names the spec (``--preset NAME`` or a
    file path); the Markdown report quotes it in its reproduce commands.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    results = []
    for i, run in enumerate(runs, start=1):
        head = f"[{i}/{len(runs)}] {run['key']} {run['dataset']} {run['model']} {config_label(run)}"
        result = load_result(out, run)
        if result is not None:
            log(f"{head}: done before, skipped")
        else:
            log(f"{head}: running")
            result = execute(run, out, data_root)
            log(f"{head}: macro-F1 {metric_text(result['metrics']['macro_f1'])}, "
                f"flash {flash_text(result)} ({result['seconds']:.0f} s)")
        results.append(result)
        write_reports(results, out, spec_arg)
    return results
