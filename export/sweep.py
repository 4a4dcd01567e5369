"""``tpw-sweep``: models x configurations x datasets -> results table and Pareto plot.

    tpw-sweep (SPEC.json | --preset NAME) [--out DIR] [--data-root DIR] [--only KEY ...] [--list]

A spec (a JSON file or a named preset of :data:`PRESETS`) lists datasets and
model entries; each model entry's ``grid`` is expanded as a Cartesian product
over its base ``config`` (the grid key ``bits`` is the packing precision, every
other key a model config key)::

    {"seed": 0, "resamples": 1000,
     "datasets": [{"name": "ptbxl", "folder": "ptbxl", "epochs": 3,
                   "options": {"folds": "1-7/8/9"}}],
     "models": [{"model": "hypertinypw", "config": {"width": 64},
                 "grid": {"d_z": [4, 8], "bits": [4, 8]}, "datasets": ["ptbxl"]}]}

Every run trains with :func:`tpw_export.pipeline.run` (train, bake, convert,
TFLM parity, ledger), then scores the INT8 flatbuffer with the evaluation
protocol (:func:`tpw_export.evaluate.evaluate`: validation-tuned threshold,
group-bootstrap 95% CIs). A run's result is ``OUT/runs/<key>.json``, ``key`` a
hash of everything that decides it, written atomically when the run finishes:
an interrupted sweep restarted with the same spec skips finished runs. After
each run ``OUT/results.{csv,json,md}`` and ``OUT/pareto.png`` (macro-F1 against
flash bytes, one line per ledger schedule) are rebuilt from the run files.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import os
import sys
import time
from pathlib import Path

from tpw_export.packing import PACKING_BITS
from tpw_tf import atomic
from tpw_tf.data import names as dataset_names
from tpw_tf.models import names as model_names
from tpw_tf.errors import TpwError

METRICS = ("macro_f1", "accuracy", "balanced_accuracy", "auc")
SCHEDULES = ("baked", "boot", "lazy")
# Models whose pointwise kernels are generated; every other model is a comparator.
GENERATED_MODELS = ("hypertinypw",)
# Bump when a change alters what a run computes, so old result files are not reused.
RESULT_VERSION = 1

_SMALL_SKELETON = dict(width=8, depth=4, stem_filters=4, kernel_size=5, downsample_blocks=2)
_PAPER_SKELETON = dict(depth=7, stem_filters=16, kernel_size=7, downsample_blocks=3)

PRESETS = {
    # Two tiny runs on synthetic data: what the tests and the notebook sweep.
    "smoke": {
        "seed": 0, "resamples": 100,
        "datasets": [{"name": "synthetic", "epochs": 1}],
        "models": [
            {"model": "hypertinypw", "config": dict(_SMALL_SKELETON, d_z=3, d_h=5, hidden_units=6, rank=2)},
            {"model": "tiny_separable_cnn", "config": dict(_SMALL_SKELETON)},
        ],
    },
    # The shared data (see /work/shared/data/README.md), sized for about an hour on 2 shared CPU
    # cores (measured: one MIT-BIH epoch at 120 Hz takes about a minute, a PTB-XL or Speech Commands
    # epoch a few seconds). MIT-BIH beats are resampled to 120 Hz in 3 s windows with the loader's own
    # options (the paper's 5 s at 360 Hz costs 5x the compute); every training window is used.
    # Runs that differ only in ``bits`` share one trained model (see :func:`execute`).
    "paper": {
        "seed": 0, "resamples": 1000,
        "datasets": [
            {"name": "ptbxl", "folder": "ptbxl", "epochs": 6, "options": {"folds": "1-7/8/9"}},
            {"name": "speech", "folder": "speech_commands", "epochs": 12},
            {"name": "mitdb", "folder": "mitdb", "epochs": 2,
             "options": {"split": "ds1-patients", "sample_rate": 120.0, "window_s": 3.0}},
        ],
        "models": [
            {"model": "tiny_separable_cnn", "config": dict(_PAPER_SKELETON), "grid": {"width": [16, 46, 64]}},
            {"model": "ternary_cnn", "config": dict(_PAPER_SKELETON, width=64)},
            {"model": "hypertinypw", "config": dict(_PAPER_SKELETON, d_z=8, d_h=8, head="shared_basis", rank=4),
             "grid": {"width": [32, 64], "bits": [4, 6, 8]}},
            {"model": "hypertinypw", "config": dict(_PAPER_SKELETON, width=64, d_z=4, d_h=8),
             "grid": {"head": ["factorized", "full"]}},
            # A shared basis costs d_h * Cin * Cout against (depth - 1) * Cin * Cout stored: below
            # d_h = depth - 1 (at 8 bits) generation stores fewer bytes than the kernels it makes.
            {"model": "hypertinypw", "config": dict(_PAPER_SKELETON, width=64, d_z=4, head="shared_basis"),
             "grid": {"d_h": [2, 4], "bits": [4, 8]}},
            # Deeper: ten 64x64 mixers share one basis, the regime where generation should pay most.
            {"model": "tiny_separable_cnn", "config": dict(_PAPER_SKELETON, width=64, depth=11)},
            {"model": "hypertinypw", "config": dict(_PAPER_SKELETON, width=64, depth=11, d_z=4, d_h=4,
                                                    head="shared_basis"), "grid": {"bits": [4, 8]}},
        ],
    },
}


# --------------------------------------------------------------------------- spec


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TpwError(message)


def load_spec(source: str) -> tuple[str, dict]:
    """A preset name or a JSON file path -> ``(name, spec)``."""
    if source in PRESETS:
        return source, json.loads(json.dumps(PRESETS[source]))
    path = Path(source)
    _require(path.suffix == ".json", f"spec {source}: not a preset ({', '.join(PRESETS)}) nor a .json file")
    try:
        spec = json.loads(path.read_text())
    except OSError as error:
        raise TpwError(f"spec {path}: cannot read it ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise TpwError(f"spec {path}: invalid JSON at line {error.lineno}: {error.msg}") from None
    return path.stem, spec


def expand(spec: dict) -> list[dict]:
    """The spec's runs, in order: one dict per (dataset, model entry, grid point), each with its ``key``."""
    _require(isinstance(spec, dict), f"spec must be a JSON object, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"seed", "resamples", "datasets", "models"})
    _require(not unknown, f"spec: unknown keys {unknown}")
    seed, resamples = spec.get("seed", 0), spec.get("resamples", 1000)
    _require(isinstance(seed, int) and seed >= 0, f"spec seed must be an int >= 0, got {seed!r}")
    _require(isinstance(resamples, int) and resamples >= 1, f"spec resamples must be an int >= 1, got {resamples!r}")
    datasets, models = spec.get("datasets") or [], spec.get("models") or []
    _require(bool(datasets) and bool(models), "spec needs non-empty 'datasets' and 'models' lists")
    runs = []
    for d in datasets:
        _require(isinstance(d, dict) and isinstance(d.get("name"), str), f"spec dataset needs a 'name': {d!r}")
        _require(d["name"] in dataset_names(),
                 f"spec dataset {d['name']!r} is unknown: choose one of {', '.join(dataset_names())}")
        epochs = d.get("epochs", 10)
        _require(isinstance(epochs, int) and epochs >= 1,
                 f"spec dataset {d['name']}: epochs must be an int >= 1, got {epochs!r}")
        for m in models:
            _require(isinstance(m, dict) and isinstance(m.get("model"), str), f"spec model needs a 'model': {m!r}")
            _require(m["model"] in model_names(),
                     f"spec model {m['model']!r} is unknown: choose one of {', '.join(model_names())}")
            if "datasets" in m and d["name"] not in m["datasets"]:
                continue
            grid = m.get("grid") or {}
            _require(all(isinstance(v, list) and v for v in grid.values()),
                     f"spec model {m['model']}: every grid value must be a non-empty list, got {grid!r}")
            for point in itertools.product(*grid.values()):
                config = {**m.get("config", {}), **dict(zip(grid, point))}
                bits = config.pop("bits", 8)
                _require(bits in PACKING_BITS, f"spec model {m['model']}: bits must be one of "
                                               f"{', '.join(map(str, PACKING_BITS))}, got {bits!r}")
                run = {"dataset": d["name"], "folder": d.get("folder"), "options": d.get("options", {}),
                       "epochs": epochs, "seed": seed, "resamples": resamples,
                       "model": m["model"], "config": config, "bits": bits}
                runs.append({**run, "key": run_key(run)})
    return runs


def run_key(run: dict) -> str:
    """12 hex digits of a hash of what decides a run's result (not where the data lives)."""
    decided = {k: v for k, v in run.items() if k not in ("folder", "key")}
    text = json.dumps({**decided, "version": RESULT_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def config_label(run: dict) -> str:
    """``k=v`` pairs of a run's model config and bits, for tables and legends."""
    return " ".join(f"{k}={v}" for k, v in sorted(run["config"].items())) + f" bits={run['bits']}"


# --------------------------------------------------------------------------- runs


def atomic_write(path: Path, data: bytes) -> None:
    """``data`` to ``path`` (whole or absent), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write(path, data)


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
    from tpw_export.evaluate import evaluate, json_safe

    start = time.monotonic()
    data_dir = str(data_root / run["folder"]) if data_root is not None and run["folder"] else None
    # Runs that differ only in packing bits share one trained model: the first trains and saves it.
    trained = out / "models" / f"{run_key({**run, 'bits': None})}.keras"
    export = pipeline.run(dataset=run["dataset"], model_name=run["model"], epochs=run["epochs"],
                          seed=run["seed"], bits=run["bits"], data_dir=data_dir, progress=False,
                          model_config=run["config"], dataset_options=run["options"],
                          checkpoint=trained if trained.is_file() else None)
    if not trained.is_file():
        trained.parent.mkdir(parents=True, exist_ok=True)
        with atomic.staged(trained) as tmp:  # same suffix: Keras picks the format from it
            export.model.save(tmp)
    model_path = out / "models" / f"{run['key']}.tflite"
    atomic_write(model_path, export.flatbuffer)
    report = evaluate(model_path, export.dataset, resamples=run["resamples"], seed=run["seed"])
    ledger = export.ledger
    result = {
        "key": run["key"], "run": {k: v for k, v in run.items() if k != "key"},
        "metrics": {m: json_safe(report[m]) for m in METRICS},
        "threshold": report["threshold"], "test_windows": report["windows"], "test_groups": report["groups"],
        "parameters": int(export.model.count_params()),
        "schedules": ledger["schedules"], "flatbuffer_bytes": ledger["flatbuffer_bytes"],
        "arena_bytes": ledger["arena_bytes"], "expanded_layers": ledger["expanded_layers"],
        "parity_mismatched_windows": export.parity["mismatched_windows"],
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
            log(f"{head}: macro-F1 {_metric_text(result['metrics']['macro_f1'])}, "
                f"flash {_flash_text(result)} ({result['seconds']:.0f} s)")
        results.append(result)
        write_reports(results, out, spec_arg)
    return results


# --------------------------------------------------------------------------- reports


def _metric_text(m: dict | None) -> str:
    if m is None or m["value"] is None:
        return "n/a"
    return f"{m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"


def _flash_text(result: dict) -> str:
    return ", ".join(f"{s} {flash(result, s):,} B" for s in SCHEDULES)


def flash(result: dict, schedule: str) -> int:
    return result["schedules"][schedule]["flash_bytes"]


def smallest_flash(result: dict) -> int:
    """The flash of the run's cheapest schedule."""
    return min(flash(result, s) for s in SCHEDULES)


def pareto_front(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The non-dominated ``(bytes, score)`` points: fewer bytes or a higher score than every other, by bytes."""
    front = []
    for size, score in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or score > front[-1][1]:
            front.append((size, score))
    return front


def smallest_matching(results: list[dict]) -> dict:
    """Per dataset: the best comparator, and the smallest generated model reaching its macro-F1.

    ``match`` is the generated run of least flash (over its schedules) whose
    macro-F1 reaches the best comparator's value; ``within_ci`` the same for the
    comparator's 95% lower bound (a tie the test set cannot separate); each None if none does.
    """
    summary = {}
    for dataset in dict.fromkeys(r["run"]["dataset"] for r in results):
        rows = [r for r in results if r["run"]["dataset"] == dataset]
        comparators = [r for r in rows if r["run"]["model"] not in GENERATED_MODELS]
        generated = [r for r in rows if r["run"]["model"] in GENERATED_MODELS]
        if not comparators or not generated:
            continue
        best = max(comparators, key=lambda r: (r["metrics"]["macro_f1"]["value"], -smallest_flash(r)))
        target = best["metrics"]["macro_f1"]

        def smallest(bar):
            reaching = [r for r in generated if r["metrics"]["macro_f1"]["value"] >= bar]
            return min(reaching, key=smallest_flash, default=None)

        summary[dataset] = {"best_comparator": best, "match": smallest(target["value"]),
                            "within_ci": smallest(target["ci_low"])}
    return summary


def table_rows(results: list[dict]) -> list[dict]:
    """One flat dict per result (the CSV rows)."""
    rows = []
    for r in results:
        run = r["run"]
        row = {"key": r["key"], "dataset": run["dataset"], "model": run["model"], "config": config_label(run),
               "epochs": run["epochs"], "parameters": r["parameters"]}
        for m in METRICS:
            value = r["metrics"][m] or {"value": None, "ci_low": None, "ci_high": None}
            row.update({m: value["value"], f"{m}_ci_low": value["ci_low"], f"{m}_ci_high": value["ci_high"]})
        for s in SCHEDULES:
            row[f"{s}_flash_bytes"] = flash(r, s)
            row[f"{s}_sram_bytes"] = r["schedules"][s]["sram_bytes"]
        row["seconds"] = r["seconds"]
        rows.append(row)
    return rows


def markdown(results: list[dict], spec_arg: str) -> str:
    """The results as Markdown: one table per dataset, then the smallest-match summary."""
    lines = [f"# Sweep results (`{spec_arg}`)", "",
             "Metrics of the INT8 flatbuffer on the test split with 95% group-bootstrap CIs; "
             "flash and SRAM bytes from the ledger. Reproduce a row with "
             f"`tpw-sweep {spec_arg} --only KEY` (plus `--data-root DIR` for downloaded data).", ""]
    for dataset in dict.fromkeys(r["run"]["dataset"] for r in results):
        lines += [f"## {dataset}", "",
                  "| key | model | config | macro-F1 [95% CI] | accuracy [95% CI] | bal. acc. | AUC "
                  "| flash baked | flash boot | flash lazy | SRAM lazy |",
                  "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in sorted((r for r in results if r["run"]["dataset"] == dataset), key=smallest_flash):
            m = r["metrics"]
            lines.append(
                f"| `{r['key']}` | {r['run']['model']} | {config_label(r['run'])} | {_metric_text(m['macro_f1'])} "
                f"| {_metric_text(m['accuracy'])} | {m['balanced_accuracy']['value']:.3f} "
                f"| {'n/a' if m['auc'] is None else format(m['auc']['value'], '.3f')} "
                + " ".join(f"| {flash(r, s):,}" for s in SCHEDULES)
                + f" | {r['schedules']['lazy']['sram_bytes']:,} |")
        lines.append("")
    summary = smallest_matching(results)
    if summary:
        lines += ["## Smallest generated model reaching the best comparator", ""]
        for dataset, s in summary.items():
            best = s["best_comparator"]
            lines.append(f"- **{dataset}**: best comparator `{best['key']}` {best['run']['model']} "
                         f"({config_label(best['run'])}), macro-F1 {_metric_text(best['metrics']['macro_f1'])}, "
                         f"flash {_flash_text(best)}.")
            for label, match in (("reaches it", s["match"]), ("reaches its CI lower bound", s["within_ci"])):
                lines.append(f"  - {label}: " + ("none" if match is None else
                             f"`{match['key']}` {config_label(match['run'])}, macro-F1 "
                             f"{match['metrics']['macro_f1']['value']:.3f}, flash {_flash_text(match)}"))
        lines.append("")
    return "\n".join(lines)


def pareto_png(results: list[dict]) -> bytes:
    """Macro-F1 against flash bytes, one panel per dataset, one front line per schedule; PNG bytes.

    Boot and lazy store the same flash (they differ in SRAM), so their lines
    coincide: they are drawn dashed and dotted over each other.
    """
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    datasets = list(dict.fromkeys(r["run"]["dataset"] for r in results))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.8), squeeze=False)
    markers = {"hypertinypw": "o", "tiny_separable_cnn": "s", "ternary_cnn": "^"}
    styles = {"baked": ("tab:blue", "-"), "boot": ("tab:orange", "--"), "lazy": ("tab:green", ":")}
    for ax, dataset in zip(axes[0], datasets):
        rows = [r for r in results if r["run"]["dataset"] == dataset]
        for schedule, (color, style) in styles.items():
            points = [(flash(r, schedule), r["metrics"]["macro_f1"]["value"]) for r in rows]
            for r, (size, score) in zip(rows, points):
                ax.scatter(size, score, color=color, alpha=0.4, s=16, marker=markers.get(r["run"]["model"], "D"))
            ax.step(*zip(*pareto_front(points)), where="post", color=color, linestyle=style, linewidth=1.6)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g} kB"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(dataset)
        ax.set_xlabel("flash bytes (ledger), log scale")
        ax.set_ylabel("macro-F1 (INT8 flatbuffer, test)")
        ax.grid(alpha=0.3, which="both")
    handles = [Line2D([], [], color=c, linestyle=st, label=f"{s} front") for s, (c, st) in styles.items()]
    handles += [Line2D([], [], color="gray", marker=m, linestyle="", label=name) for name, m in markers.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def write_reports(results: list[dict], out: Path, spec_arg: str) -> None:
    """``results.csv``, ``results.json``, ``results.md`` and ``pareto.png`` in ``out``, each written atomically."""
    rows = table_rows(results)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(out / "results.csv", text.getvalue().encode())
    atomic_write(out / "results.json", (json.dumps(results, indent=1, allow_nan=False) + "\n").encode())
    atomic_write(out / "results.md", markdown(results, spec_arg).encode())
    atomic_write(out / "pareto.png", pareto_png(results))


# --------------------------------------------------------------------------- CLI


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tpw-sweep", description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", help="a sweep spec .json file")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a named spec instead of a file")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: sweep-<spec name>)")
    parser.add_argument("--data-root", type=Path, default=os.environ.get("TPW_DATA_DIR"),
                        help="folder holding each dataset's 'folder' (default: $TPW_DATA_DIR; "
                             "unset = the loaders download)")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run only these keys (or key prefixes)")
    parser.add_argument("--list", action="store_true", help="print the runs and their keys, run nothing")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        _require((args.spec is None) != (args.preset is None), "give either a spec .json file or --preset NAME")
        name, spec = load_spec(args.preset or args.spec)
        runs = expand(spec)
        if args.only:
            runs = [r for r in runs if any(r["key"].startswith(k) for k in args.only)]
            _require(bool(runs), f"--only {' '.join(args.only)}: no run of spec '{name}' has such a key")
        out = args.out or Path(f"sweep-{name}")
        if args.list:
            for run in runs:
                done = "done" if load_result(out, run) else "todo"
                print(f"{run['key']} {done} {run['dataset']} {run['model']} {config_label(run)}")
            return 0
        if args.data_root is not None:
            _require(args.data_root.is_dir(), f"--data-root {args.data_root}: no such folder")
        from tpw_export.native_io import quiet_tensorflow
        quiet_tensorflow()
        results = sweep(runs, out, data_root=args.data_root,
                        spec_arg=f"--preset {args.preset}" if args.preset else args.spec)
    except TpwError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(results)} runs; results in {out}/results.md, plot {out}/pareto.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
