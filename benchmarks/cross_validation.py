"""Cross-validated accuracy in shipped bytes: dataset × model × flash → mean, worst fold, CI, and the
miss against issue 14's targets.

Each row is one grouped k-fold cross-validation (:func:`tpw_eval.cross_validation.cross_validate`,
what ``tpw-cv`` runs: every fold trains, exports and scores its INT8 file), run or resumed in
``OUT/<dataset>-<recipe>-<model>-k<K>``; flash is the written file's size (the largest over the
folds). Recipes: ``now`` is ``tpw-export``'s defaults (the loader's default options and the
dataset's training defaults, :data:`tpw_tf.train.recipe.DATASET_DEFAULTS`); ``before`` is the
defaults before issue 14 (:data:`BEFORE`: 10 epochs, the zoo's config), so the two rows of a dataset
compare them. The model is ``hypertinypw`` (MIT-BIH pools DS1) unless ``--models`` says otherwise.
Targets (issue 14): MIT-BIH V vs rest macro-F1 >= 0.90 in the **worst** fold at <= 32 KiB; PTB-XL macro-F1 >= 0.88 (mean over folds) at
<= 32 KiB; Speech Commands accuracy >= 88% (mean over folds, speaker-disjoint) at <= 64 KiB.
"misses by" is the target minus the figure and the bytes over budget ("met" when reached).

    python benchmarks/cross_validation.py --data-root ../shared/data --datasets mitdb --recipes before now
    python benchmarks/cross_validation.py --print-only     # the table of the finished runs in OUT
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from tpw_tf.data import mitdb
from tpw_tf.train.recipe import DEFAULT_MODEL

REPO = Path(__file__).resolve().parents[1]
# dataset -> (shared-data folder, metric, judged on, target, flash budget in bytes)
TARGETS = {
    "mitdb": ("mitdb", "macro_f1", "worst", 0.90, 32 * 1024),
    "ptbxl": ("ptbxl", "macro_f1", "mean", 0.88, 32 * 1024),
    "speech": ("speech_commands", "accuracy", "mean", 0.88, 64 * 1024),
}

# The defaults before issue 14, spelled out per dataset: loader options, training options, the
# default model's config and epochs.
BEFORE = {
    "mitdb": {"options": mitdb.PAPER_INPUTS, "train": {"augment": False}, "model": {"width": 32}, "epochs": 10},
    "ptbxl": {"options": {"lead": "II"}, "train": {"augment": False}, "model": {"width": 32}, "epochs": 10},
    "speech": {"options": {}, "train": {"augment": False}, "model": {"width": 32}, "epochs": 10},
}
RECIPES = ("before", "now")


def folder(args, dataset_name: str, recipe: str, model: str) -> Path:
    return args.out / f"{dataset_name}-{recipe}-{model}-k{args.folds}"


def run_row(dataset_name: str, recipe: str, model: str, args) -> dict:
    """The cross-validation of one row, run or resumed in its folder (:func:`folder`)."""
    from tpw_eval.cross_validation import POOL_OPTIONS, cross_validate
    from tpw_export.native_io import quiet_tensorflow
    from tpw_tf import data

    quiet_tensorflow()
    before = BEFORE[dataset_name] if recipe == "before" else {}
    options, training = before.get("options", {}), before.get("train", {})
    epochs = before.get("epochs") if args.epochs is None else args.epochs
    config = before.get("model") if model == DEFAULT_MODEL else None
    dataset = data.load(dataset_name, data_dir=args.data_root / TARGETS[dataset_name][0],
                        **{**POOL_OPTIONS.get(dataset_name, {}), **options})
    report = cross_validate(dataset, folder(args, dataset_name, recipe, model), folds=args.folds,
                            model_name=model, model_config=config, epochs=epochs, seed=0, progress=False,
                            recipe=training)
    return {**report, "recipe_name": recipe}


def miss(value: float, target: float, flash: int, budget: int) -> str:
    gaps = ([f"{target - value:.3f} below"] if value < target else []) + (
        [f"{flash - budget:,} B over"] if flash > budget else [])
    return ", ".join(gaps) or "met"


def table(reports: list[dict]) -> str:
    rows = ["| dataset | recipe | model | folds | flash B | metric | mean | worst fold | 95% t-interval | target | "
            "misses by |", "|---|---|---|---:|---:|---|---:|---:|---|---|---|"]
    for report in reports:
        _, metric, judged, target, budget = TARGETS[report["dataset"]]
        s = report["summary"][metric]
        rows.append(f"| {report['dataset']} | {report['recipe_name']} | {report['model']} | {report['folds']} | "
                    f"{report['file_bytes']:,} | "
                    f"{metric} | {s['mean']:.3f} | {s['worst']:.3f} | [{s['ci_low']:.3f}, {s['ci_high']:.3f}] | "
                    f">= {target:.2f} ({judged}) at <= {budget:,} B | "
                    f"{miss(s[judged], target, report['file_bytes'], budget)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path,
                        default=Path(os.environ.get("TPW_SHARED_DATA") or REPO.parent / "shared" / "data"))
    parser.add_argument("--datasets", nargs="+", choices=sorted(TARGETS), default=sorted(TARGETS))
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    parser.add_argument("--models", nargs="+", default=[DEFAULT_MODEL])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="default: the dataset's (tpw-export's)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "cv-bench")
    parser.add_argument("--print-only", action="store_true", help="no training: the finished runs in OUT")
    args = parser.parse_args()
    reports = []
    for dataset_name in args.datasets:
        for recipe in args.recipes:
            for model in args.models:
                if args.print_only:
                    path = folder(args, dataset_name, recipe, model) / "cv.json"
                    if path.is_file():
                        reports.append({**json.loads(path.read_text()), "recipe_name": recipe})
                else:
                    reports.append(run_row(dataset_name, recipe, model, args))
    print(table(reports))


if __name__ == "__main__":
    main()
