"""``tpw-cv``: grouped k-fold cross-validation over patients / speakers, scored on the INT8 file that ships.

    tpw-cv --dataset D [--folds 5] [--out DIR] [--model M] [-m KEY=VALUE] [-o KEY=VALUE] [-t KEY=VALUE]
           [--data-dir DIR] [--epochs N] [--seed 0] [--bits 8] [--resamples 1000] [--quiet]

Epochs, model config and training options default to the dataset's, as ``tpw-export``'s do
(:data:`tpw_tf.train.recipe.DATASET_DEFAULTS`).

Protocol (issue 14):

* **Pool.** Every window the loader returns (all its splits) is pooled; for
  ``mitdb`` the default is ``-o split=ds1-patients``, i.e. DS1's 22 records, so
  DS2 stays untouched. Groups are the loader's: MIT-BIH records, PTB-XL
  patients, Speech Commands speakers.
* **Folds.** scikit-learn's ``StratifiedGroupKFold(K, shuffle=True,
  random_state=seed)`` gives each group one fold, keeping the class mix of the
  folds close. Fold ``f`` tests on fold ``f``, validates on fold ``(f+1) mod K``
  and trains on the other ``K-2`` folds, so a group is never in two roles of one
  fold, and over the K folds every group is tested once and validated once.
* **Per fold** the model is trained (:func:`tpw_tf.train.train`), exported by
  :func:`tpw_export.pipeline.export_model` (the slimmed INT8 file ``tpw-export``
  writes) and that file is run through TFLM on the fold's validation and test
  windows (:func:`tpw_eval.evaluate.run_int8`).
* **Decision threshold** (binary tasks). The validation predictions of all folds
  are out-of-fold (each from a model that never trained on that group). Fold
  ``f``'s threshold is tuned (:func:`tpw_tf.metrics.tune_threshold`, max macro-F1)
  on the pooled validation predictions of every group outside fold ``f``'s test
  groups — ``K-1`` folds' worth of groups, not the few of one validation fold —
  so no test label reaches it. The threshold for the shipped model is tuned on
  all pooled validation predictions. For comparison each fold also reports the
  old rule (tuned on its own validation fold only). More classes: argmax.
* **Summary.** Per fold: every metric of :data:`tpw_tf.metrics.METRICS` with a
  95% bootstrap interval over the fold's test groups. Over folds: mean, worst
  fold (minimum) and a 95% Student-t interval ``mean ± t(0.975, K-1)·s/√K``
  (cut to [0, 1], where every metric lies).
  The folds share training groups, so they are not independent and this interval
  is too narrow (Bengio & Grandvalet, JMLR 2004); the worst fold is the figure
  the targets use.

Files in ``OUT``: ``plan.json`` (the configuration's key and the fold of every
group), per fold ``fold-<f>.tflite`` (the INT8 file) then ``fold-<f>.json`` (its
groups, the INT8 scores of its validation and test windows, the ledger, wall
and CPU seconds), each written atomically, the JSON last; and ``cv.json`` (the summary,
with the thresholds and how they were chosen). A killed run restarted with the
same arguments skips the finished folds; a folder holding another
configuration's plan is refused.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tpw_eval.evaluate import run_int8, write_json
from tpw_tf import atomic, data, metrics
from tpw_tf.console import run_command
from tpw_tf.data.options import parse_options
from tpw_tf.errors import TpwError

# Bump when a change alters what a fold computes, so old fold files are not reused.
CV_VERSION = 1
MIN_FOLDS = 3  # a fold needs test, validation and training groups
ROLES = ("train", "val", "test")
# Loader options the pool uses unless given: MIT-BIH pools DS1 (22 records) and leaves DS2 alone.
POOL_OPTIONS = {"mitdb": {"split": "ds1-patients"}}
THRESHOLD_RULE = ("tuned for max macro-F1 on the pooled out-of-fold validation predictions of every group "
                  "outside the fold's test groups (K-1 folds of groups); shipped: on all of them")


def pooled(dataset: data.Dataset) -> data.Split:
    """Every window of ``dataset`` (train, val and test) as one Split."""
    parts = [dataset.splits[name] for name in data.SPLITS if len(dataset.splits[name])]
    if not parts:
        raise TpwError(f"dataset '{dataset.name}': no windows to cross-validate")
    return data.Split(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]),
                      np.concatenate([p.groups for p in parts]))


def assign_folds(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> dict[str, int]:
    """The fold of every group, ``{group: fold}``, by scikit-learn's ``StratifiedGroupKFold``.

    Args:
        labels: ``(N,)`` classes of the windows (stratification keeps the folds' class mix close).
        groups: ``(N,)`` group of each window; a group's windows all land in one fold.
        folds: K, from :data:`MIN_FOLDS` to the number of groups.
        seed: shuffles the groups before assignment.

    Raises:
        TpwError: K below :data:`MIN_FOLDS` or above the number of groups, or a fold left without groups.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    check_folds(folds, len(np.unique(groups)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_of = {}
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        fold_of.update(dict.fromkeys(np.unique(groups[test]).tolist(), fold))
    empty = sorted(set(range(folds)) - set(fold_of.values()))
    if empty:
        raise TpwError(f"--folds {folds}: folds {empty} got no group; use fewer folds")
    return dict(sorted(fold_of.items()))


def check_folds(folds, groups: int | None = None) -> None:
    """Raise TpwError unless ``folds`` is an int from :data:`MIN_FOLDS` to ``groups`` (when known)."""
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < MIN_FOLDS:
        raise TpwError(f"--folds must be an int >= {MIN_FOLDS} (each fold needs test, validation and "
                       f"training groups), got {folds!r}")
    if groups is not None and folds > groups:
        raise TpwError(f"--folds {folds}: the data has only {groups} groups (records / patients / "
                       "speakers); every fold needs at least one")


def roles(fold: int, folds: int) -> dict[str, list[int]]:
    """Which folds fold ``fold`` trains, validates and tests on: test ``fold``, val ``fold+1 mod K``, train the rest."""
    val = (fold + 1) % folds
    return {"train": [f for f in range(folds) if f not in (fold, val)], "val": [val], "test": [fold]}


def fold_dataset(dataset: data.Dataset, pool: data.Split, fold_of: dict[str, int], fold: int,
                 folds: int) -> data.Dataset:
    """``dataset`` with its splits replaced by fold ``fold``'s train / val / test groups of ``pool``."""
    window_fold = np.array([fold_of[g] for g in pool.groups.tolist()])
    splits = {}
    for role, members in roles(fold, folds).items():
        index = np.flatnonzero(np.isin(window_fold, members))
        splits[role] = data.Split(pool.x[index], pool.y[index], pool.groups[index])
    return dataclasses.replace(dataset, splits=splits)


def run_key(pool: data.Split, dataset_name: str, fold_of: dict[str, int], settings: dict) -> str:
    """16 hex digits of a hash of the pooled data, the folds and every setting that decides a fold."""
    digest = hashlib.sha256(json.dumps({"dataset": dataset_name, "folds": fold_of, "settings": settings,
                                        "version": CV_VERSION}, sort_keys=True).encode())
    for array in (pool.x, pool.y):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _fold_paths(out: Path, fold: int) -> tuple[Path, Path]:
    return out / f"fold-{fold}.tflite", out / f"fold-{fold}.json"


def load_fold(out: Path, fold: int, key: str) -> dict | None:
    """Fold ``fold``'s finished result in ``out`` for configuration ``key``, or None (absent or another key)."""
    model_path, result_path = _fold_paths(out, fold)
    result = atomic.read_json(result_path, "fold file ({msg}); delete it to rerun the fold")
    if result is None or result.get("key") != key or not model_path.is_file() or model_path.stat().st_size != result["file_bytes"]:
        return None
    return result


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's threads and its finished children (the INT8 runs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_fold(dataset: data.Dataset, out: Path, fold: int, folds: int, key: str, *, model_name: str,
             model_config: dict, epochs: int, seed: int, bits: int, progress: bool,
             recipe: dict | None = None) -> dict:
    """Train, export and score fold ``fold`` (``dataset`` holds its splits); write its files; return its result.

    The INT8 file is written first, its JSON (the finished-fold marker) last, each atomically.
    """
    from tpw_export.pipeline import calibration_subset, export_model
    from tpw_tf import train
    from tpw_tf.models import build_model

    start, cpu_start = time.monotonic(), cpu_seconds()
    train.seed_everything(seed)
    model = build_model(model_name, dataset.input_shape, dataset.num_classes, **model_config)
    history = []
    train.train(model, dataset, epochs=epochs, seed=seed, progress=progress, history=history, **(recipe or {}))
    exported = export_model(model, calibration_subset(dataset.splits["train"], seed), bits=bits)
    model_path, result_path = _fold_paths(out, fold)
    atomic.write(model_path, exported.file)
    val, test = dataset.splits["val"], dataset.splits["test"]
    _, probabilities = run_int8(model_path, np.concatenate([val.x, test.x]), classes=dataset.num_classes)
    result = {"key": key, "fold": fold, "folds": folds,
              "groups": {role: sorted(np.unique(dataset.splits[role].groups).tolist()) for role in ROLES},
              "windows": {role: len(dataset.splits[role]) for role in ROLES},
              "file_bytes": len(exported.file), "ledger": exported.ledger, "history": history,
              "val": {"y": val.y.tolist(), "groups": val.groups.tolist(),
                      "scores": probabilities[:len(val)].tolist()},
              "test": {"y": test.y.tolist(), "groups": test.groups.tolist(),
                       "scores": probabilities[len(val):].tolist()},
              "seconds": round(time.monotonic() - start, 1),
              "cpu_seconds": round(cpu_seconds() - cpu_start, 1)}
    atomic.write(result_path, json.dumps(result, allow_nan=False) + "\n")
    return result


def oof_thresholds(results: list[dict]) -> tuple[list[float], float]:
    """Binary decision thresholds from the folds' out-of-fold validation predictions.

    Fold ``f``'s threshold: :func:`tpw_tf.metrics.tune_threshold` on the pooled
    validation windows of every fold whose validation groups are not fold ``f``'s
    test groups. The shipped threshold: on all pooled validation windows.

    Returns:
        ``(per-fold thresholds, shipped threshold)``.
    """
    def tuned(parts):
        return metrics.tune_threshold(np.concatenate([np.asarray(p["val"]["y"]) for p in parts]),
                                      np.concatenate([np.asarray(p["val"]["scores"]) for p in parts]))

    per_fold = []
    for result in results:
        test = set(result["groups"]["test"])
        per_fold.append(tuned([r for r in results if not test & set(r["groups"]["val"])]))
    return per_fold, tuned(results)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """``mean ± t((1+level)/2, K-1)·s/√K`` of the K fold values (Student t, sample s.d.)."""
    from scipy import stats

    values = np.asarray(values, np.float64)
    half = stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def summarize(results: list[dict], *, num_classes: int, resamples: int, seed: int) -> dict:
    """Per-fold metrics (at each fold's out-of-fold threshold for binary tasks), mean, worst fold, t-interval."""
    binary = num_classes == 2
    thresholds, shipped = oof_thresholds(results) if binary else ([None] * len(results), None)
    per_fold = []
    for result, threshold in zip(results, thresholds):
        test = result["test"]
        y, scores, groups = np.asarray(test["y"]), np.asarray(test["scores"]), np.asarray(test["groups"])
        report = metrics.scores_report(y, scores, groups, threshold=threshold, resamples=resamples, seed=seed)
        row = {"fold": result["fold"], "test_groups": result["groups"]["test"], "test_windows": len(y),
               "file_bytes": result["file_bytes"], "seconds": result["seconds"],
               **{name: report[name] for name in metrics.METRICS}, "threshold": threshold}
        if binary:  # the old rule, for comparison: tuned on this fold's own validation groups only
            own = metrics.tune_threshold(np.asarray(result["val"]["y"]), np.asarray(result["val"]["scores"]))
            row["own_val_threshold"] = own
            row["own_val_macro_f1"] = metrics.macro_f1(y, metrics.decide(scores, own), num_classes)
        per_fold.append(row)
    summary = {}
    for name in metrics.METRICS + (("own_val_macro_f1",) if binary else ()):
        values = np.array([row[name]["value"] if isinstance(row[name], dict) else row[name] for row in per_fold])
        low, high = t_interval(values)
        summary[name] = {"mean": float(values.mean()), "worst": float(values.min()),  # every metric is in [0, 1]
                         "ci_low": max(low, 0.0), "ci_high": min(high, 1.0)}
    return {"folds": len(results), "per_fold": per_fold, "summary": summary,
            "file_bytes": max(r["file_bytes"] for r in results),
            "threshold": {"shipped": shipped, "per_fold": thresholds,
                          "rule": THRESHOLD_RULE if binary else "argmax (more than two classes)"}}


def cross_validate(dataset: data.Dataset, out: Path, *, folds: int = 5, model_name: str = "hypertinypw",
                   model_config: dict | None = None, epochs: int | None = None, seed: int = 0, bits: int = 8,
                   resamples: int = 1000, progress: bool = True, log=None, recipe: dict | None = None) -> dict:
    """Grouped k-fold cross-validation of ``model_name`` on ``dataset`` (every split pooled), resumable in ``out``.

    Returns the summary written to ``out/cv.json`` (see the module docstring).

    Raises:
        TpwError: bad ``folds`` (:func:`assign_folds`), ``out`` holding another configuration,
            a corrupt fold file, bad model or training options; ExportError from the export.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    from tpw_tf.data import hrv
    from tpw_tf.models import input_features
    from tpw_tf.train.recipe import dataset_model_config, dataset_recipe, defaults_for

    model_config = dataset_model_config(dataset.name, model_name, model_config)
    epochs = defaults_for(dataset.name).epochs if epochs is None else epochs
    if input_features(model_name) == "hrv" and dataset.info.get("features") != "hrv":
        dataset = hrv.hrv_features(dataset)  # as tpw_export.pipeline.run does for such a model
    pool = pooled(dataset)
    fold_of = assign_folds(pool.y, pool.groups, folds, seed)
    recipe = dataset_recipe(dataset.name, **(recipe or {}))
    settings = {"model": model_name, "config": model_config, "recipe": recipe, "epochs": epochs, "seed": seed,
                "bits": bits,
                "dataset_info": {k: v for k, v in dataset.info.items() if k != "records"}}
    key = run_key(pool, dataset.name, fold_of, json.loads(json.dumps(settings, default=str)))
    _claim(out, key, {"key": key, "dataset": dataset.name, "settings": settings, "fold_of": fold_of})
    results = []
    for fold in range(folds):
        head = f"[fold {fold + 1}/{folds}]"
        result = load_fold(out, fold, key)
        if result is not None:
            log(f"{head} done before, skipped")
        else:
            part = fold_dataset(dataset, pool, fold_of, fold, folds)
            counts = ", ".join(f"{role} {len(np.unique(part.splits[role].groups))} groups / "
                               f"{len(part.splits[role]):,} windows" for role in ROLES)
            log(f"{head} {counts}: training {epochs} epochs")
            result = run_fold(part, out, fold, folds, key, model_name=model_name, model_config=model_config,
                              epochs=epochs, seed=seed, bits=bits, progress=progress, recipe=recipe)
            log(f"{head} done in {result['seconds']:.0f} s ({result['cpu_seconds']:.0f} s of CPU): "
                f"INT8 file {result['file_bytes']:,} B")
        results.append(result)
    report = summarize(results, num_classes=dataset.num_classes, resamples=resamples, seed=seed)
    report.update(key=key, dataset=dataset.name, model=model_name, config=model_config, recipe=recipe, epochs=epochs,
                  seed=seed, bits=bits, resamples=resamples, fold_of=fold_of, protocol=
                  "StratifiedGroupKFold; fold f tests fold f, validates fold f+1 mod K, trains on the rest")
    write_json(report, out / "cv.json")
    return report


def _claim(out: Path, key: str, plan: dict) -> None:
    """Create ``out`` with its ``plan.json``, or accept it when its plan has the same key or no fold finished."""
    path = out / "plan.json"
    if path.is_file() and any(out.glob("fold-*.json")):
        try:
            found = json.loads(path.read_text()).get("key")
        except json.JSONDecodeError as error:
            raise TpwError(f"{path}: corrupt plan ({error.msg}); use a fresh --out") from None
        if found != key:
            raise TpwError(f"{out}: holds a cross-validation of another configuration (key {found}, this one "
                           f"{key}); use a fresh --out or delete it")
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TpwError(f"--out {out}: cannot create it ({error.strerror})") from None
    atomic.write(path, json.dumps(plan, indent=1, default=str) + "\n")


def format_table(report: dict) -> str:
    """The per-fold and summary rows as Markdown: macro-F1, accuracy, AUC, threshold, file bytes."""
    rows = ["| fold | test groups | macro-F1 [95% CI] | accuracy | AUC | threshold | file B |",
            "|---|---:|---|---:|---:|---:|---:|"]

    def number(value):
        return "-" if value is None else f"{value:.3f}"

    for row in report["per_fold"]:
        f1 = row["macro_f1"]
        rows.append(f"| {row['fold'] + 1} | {len(row['test_groups'])} | {f1['value']:.3f} "
                    f"[{f1['ci_low']:.3f}, {f1['ci_high']:.3f}] | {row['accuracy']['value']:.3f} | "
                    f"{number(row['auc']['value'])} | {number(row['threshold'])} | {row['file_bytes']:,} |")
    s = report["summary"]
    for label, field in (("mean", "mean"), ("worst", "worst")):
        rows.append(f"| {label} | | {s['macro_f1'][field]:.3f} | {s['accuracy'][field]:.3f} | "
                    f"{number(s['auc'][field])} | {number(report['threshold']['shipped'])} | "
                    f"{report['file_bytes']:,} |")
    rows.append(f"| 95% t-interval of the mean | | [{s['macro_f1']['ci_low']:.3f}, {s['macro_f1']['ci_high']:.3f}]"
                f" | [{s['accuracy']['ci_low']:.3f}, {s['accuracy']['ci_high']:.3f}] | | | |")
    return "\n".join(rows)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tpw-cv", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help=f"one of {', '.join(data.names())}")
    parser.add_argument("--folds", type=int, default=5, help=f"K, >= {MIN_FOLDS} (default 5)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: cv-<dataset>-<model>)")
    parser.add_argument("--model", default="hypertinypw", help="zoo model (default: hypertinypw)")
    parser.add_argument("-m", "--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a config value of the model (repeatable), as for tpw-export")
    parser.add_argument("-o", "--data-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a dataset loader option (repeatable); mitdb defaults to split=ds1-patients")
    parser.add_argument("--data-dir", type=Path, default=None, help="an existing copy of the dataset")
    parser.add_argument("-t", "--train-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a training recipe option (repeatable), as for tpw-export, e.g. -t augment=true")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs per fold (default: the dataset's, "
                                                                  "as for tpw-export)")
    parser.add_argument("--seed", type=int, default=0, help="training, fold and bootstrap seed (default 0)")
    parser.add_argument("--bits", type=int, default=8, help="packing bits of the generator side (4, 6, 8)")
    parser.add_argument("--resamples", type=int, default=1000, help="group bootstrap resamples per fold")
    parser.add_argument("--quiet", action="store_true", help="no per-step progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> None:
        from tpw_export.packing import PACKING_BITS

        if args.epochs is not None and args.epochs < 1:
            raise TpwError(f"--epochs must be >= 1, got {args.epochs}")
        if args.seed < 0 or args.resamples < 1:
            raise TpwError(f"--seed must be >= 0 and --resamples >= 1, got {args.seed} and {args.resamples}")
        if args.bits not in PACKING_BITS:
            raise TpwError(f"--bits must be one of {', '.join(map(str, PACKING_BITS))}, got {args.bits}")
        check_folds(args.folds)  # before the data loads; the group count is checked after
        options = {**POOL_OPTIONS.get(args.dataset, {}), **parse_options(args.data_option)}
        model_config = parse_options(args.model_option)
        from tpw_tf.models import check_config_keys
        check_config_keys(args.model, model_config)
        from tpw_tf.train.recipe import dataset_recipe
        recipe = parse_options(args.train_option)
        dataset_recipe(args.dataset, **recipe)  # a bad option is refused before the data loads
        out = args.out or Path(f"cv-{args.dataset}-{args.model}")
        from tpw_export.native_io import quiet_tensorflow
        quiet_tensorflow()
        from tpw_export.pipeline import loader_options
        dataset = data.load(args.dataset, data_dir=args.data_dir, **loader_options(args.dataset, args.model, options))
        report = cross_validate(dataset, out, folds=args.folds, model_name=args.model, model_config=model_config,
                                epochs=args.epochs, seed=args.seed, bits=args.bits, resamples=args.resamples,
                                progress=not args.quiet, recipe=recipe)
        print(f"{args.model} on {args.dataset}: {args.folds}-fold grouped cross-validation, INT8 files; "
              f"summary in {out}/cv.json")
        print(format_table(report))

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
