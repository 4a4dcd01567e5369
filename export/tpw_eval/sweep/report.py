"""Sweep reports: the results table (CSV, JSON, Markdown) and the Pareto plot of macro-F1 against shipped flash."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tpw_eval.sweep.spec import GENERATED_MODELS, SCHEDULES, config_label
from tpw_tf import atomic
from tpw_tf.metrics import METRICS


def atomic_write(path: Path, data: bytes) -> None:
    """``data`` to ``path`` (whole or absent), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write(path, data)


def metric_text(m: dict | None) -> str:
    if m is None or m["value"] is None:
        return "n/a"
    return f"{m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"


def flash_text(result: dict) -> str:
    return f"baked {flash(result, 'baked'):,} B, boot/lazy {flash(result, 'boot'):,} B"


def flash(result: dict, schedule: str) -> int:
    """The bytes of the file that ships ``schedule`` (boot and lazy ship one file)."""
    return result["schedules"][schedule]["flash_bytes"]


def counted(result: dict, schedule: str) -> int:
    """The ledger's Eq. 6 count for ``schedule`` (packed parameters plus the slimmed file's structure)."""
    return result["schedules"][schedule].get("counted_flash_bytes", flash(result, schedule))


def score(result: dict, schedule: str) -> float:
    """Macro-F1 of the file ``schedule`` ships. Results of ``RESULT_VERSION`` 2 (the published
    paper sweep) carry ``boot_metrics``: a generator's boot file was then baked on the device's
    INT8 grid apart from its baked file, and scored on its own; since then both are one bake."""
    metrics = result.get("boot_metrics") if schedule != "baked" else None
    return (metrics or result["metrics"])["macro_f1"]["value"]


def smallest_flash(result: dict) -> int:
    """The bytes of the run's smallest shipped file."""
    return min(flash(result, s) for s in SCHEDULES)


def pareto_front(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The non-dominated ``(bytes, score)`` points: fewer bytes or a higher score than every other, by bytes."""
    front = []
    for size, score in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or score > front[-1][1]:
            front.append((size, score))
    return front


def smallest_matching(results: list[dict]) -> dict:
    """Per dataset: the best comparator, and the smallest generated file reaching its macro-F1.

    ``match`` is ``(run, schedule)``: the generated run's shipped file of fewest bytes
    whose own macro-F1 reaches the best comparator's; ``within_ci`` the same for the
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
            reaching = [(r, s) for r in generated for s in SCHEDULES if score(r, s) >= bar]
            return min(reaching, key=lambda pair: flash(*pair), default=None)

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
        row["boot_macro_f1"] = score(r, "boot")
        for s in SCHEDULES:
            row[f"{s}_flash_bytes"] = flash(r, s)
            row[f"{s}_counted_flash_bytes"] = counted(r, s)
            row[f"{s}_sram_bytes"] = r["schedules"][s]["sram_bytes"]
        row["converter_bytes"] = r["converter_bytes"]
        row["decode_tensors"] = len(r["boot_file"]["decode_tensors"])
        row["seconds"] = r["seconds"]
        rows.append(row)
    return rows


def markdown(results: list[dict], spec_arg: str) -> str:
    """The results as Markdown: one table per dataset, then the smallest-match summary."""
    lines = [f"# Sweep results (`{spec_arg}`)", "",
             "Metrics of the INT8 flatbuffer on the test split with 95% group-bootstrap CIs. Flash is the "
             "**shipped file**: `baked` the slimmed file `tpw-export` writes, `boot/lazy` the file "
             "`tpw-export --schedule boot` writes (DECODE-compressed tensors where smaller; a generator's "
             "kernels as synthesized DECODEs, its lazy file one header byte apart); `counted` is the ledger's "
             "Eq. 6 figure for boot / lazy; `converter` the converter's baked file before slimming. `boot F1`: "
             "the boot file's own macro-F1 where a result holds one (sweeps before the baked file was baked on "
             "the device's INT8 grid), `=` where it gives the baked file's outputs. SRAM: each schedule's arena. "
             f"Reproduce a row with `tpw-sweep {spec_arg} --only KEY` (plus `--data-root DIR` for downloaded data).", ""]
    for dataset in dict.fromkeys(r["run"]["dataset"] for r in results):
        lines += [f"## {dataset}", "",
                  "| key | model | config | macro-F1 [95% CI] | accuracy [95% CI] | bal. acc. | AUC | boot F1 "
                  "| shipped baked | shipped boot/lazy | counted boot/lazy | converter | SRAM boot | SRAM lazy |",
                  "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in sorted((r for r in results if r["run"]["dataset"] == dataset), key=smallest_flash):
            m = r["metrics"]
            boot_f1 = "=" if r.get("boot_metrics") is None else format(score(r, "boot"), ".3f")
            lines.append(
                f"| `{r['key']}` | {r['run']['model']} | {config_label(r['run'])} | {metric_text(m['macro_f1'])} "
                f"| {metric_text(m['accuracy'])} | {m['balanced_accuracy']['value']:.3f} "
                f"| {'n/a' if m['auc'] is None else format(m['auc']['value'], '.3f')} | {boot_f1} "
                f"| {flash(r, 'baked'):,} | {flash(r, 'boot'):,} | {counted(r, 'boot'):,} "
                f"| {r['converter_bytes']:,} | {r['schedules']['boot']['sram_bytes']:,} "
                f"| {r['schedules']['lazy']['sram_bytes']:,} |")
        lines.append("")
    summary = smallest_matching(results)
    if summary:
        lines += ["## Smallest generated file reaching the best comparator", ""]
        for dataset, s in summary.items():
            best = s["best_comparator"]
            lines.append(f"- **{dataset}**: best comparator `{best['key']}` {best['run']['model']} "
                         f"({config_label(best['run'])}), macro-F1 {metric_text(best['metrics']['macro_f1'])}, "
                         f"shipped {flash_text(best)}.")
            for label, match in (("reaches it", s["match"]), ("reaches its CI lower bound", s["within_ci"])):
                lines.append(f"  - {label}: " + ("none" if match is None else
                             f"`{match[0]['key']}` {config_label(match[0]['run'])}, its {match[1]} file: "
                             f"macro-F1 {score(*match):.3f}, {flash(*match):,} B (shipped {flash_text(match[0])})"))
        lines.append("")
    return "\n".join(lines)


def pareto_png(results: list[dict]) -> bytes:
    """Macro-F1 against shipped flash bytes, one panel per dataset; PNG bytes.

    Two fronts of shipped files, ``baked`` and ``boot/lazy`` (one file for both, scored
    by its own macro-F1), and, lighter, the ledger's counted boot / lazy bytes as before
    shipped files existed.
    """
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    datasets = list(dict.fromkeys(r["run"]["dataset"] for r in results))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.8), squeeze=False)
    markers = {"hypertinypw": "o", "tiny_separable_cnn": "s", "ternary_cnn": "^"}
    # label -> (bytes of a result, schedule scored, colour, line style, alpha)
    fronts = {"baked, shipped": (lambda r: flash(r, "baked"), "baked", "tab:blue", "-", 0.45),
              "boot/lazy, shipped": (lambda r: flash(r, "boot"), "boot", "tab:orange", "--", 0.45),
              "boot/lazy, counted": (lambda r: counted(r, "boot"), "boot", "silver", ":", 0.25)}
    for ax, dataset in zip(axes[0], datasets):
        rows = [r for r in results if r["run"]["dataset"] == dataset]
        for size_of, schedule, color, style, alpha in fronts.values():
            points = [(size_of(r), score(r, schedule)) for r in rows]
            for r, (size, value) in zip(rows, points):
                ax.scatter(size, value, color=color, alpha=alpha, s=16, marker=markers.get(r["run"]["model"], "D"))
            ax.step(*zip(*pareto_front(points)), where="post", color=color, linestyle=style, linewidth=1.6)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g} kB"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(dataset)
        ax.set_xlabel("flash bytes, log scale")
        ax.set_ylabel("macro-F1 (INT8 file, test)")
        ax.grid(alpha=0.3, which="both")
    handles = [Line2D([], [], color=c, linestyle=st, label=label) for label, (_, _, c, st, _) in fronts.items()]
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
