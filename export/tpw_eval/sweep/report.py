"""Sweep reports: the results table (CSV, JSON, Markdown) and the Pareto plot of macro-F1 against flash."""
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
                f"| `{r['key']}` | {r['run']['model']} | {config_label(r['run'])} | {metric_text(m['macro_f1'])} "
                f"| {metric_text(m['accuracy'])} | {m['balanced_accuracy']['value']:.3f} "
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
                         f"({config_label(best['run'])}), macro-F1 {metric_text(best['metrics']['macro_f1'])}, "
                         f"flash {flash_text(best)}.")
            for label, match in (("reaches it", s["match"]), ("reaches its CI lower bound", s["within_ci"])):
                lines.append(f"  - {label}: " + ("none" if match is None else
                             f"`{match['key']}` {config_label(match['run'])}, macro-F1 "
                             f"{match['metrics']['macro_f1']['value']:.3f}, flash {flash_text(match)}"))
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
