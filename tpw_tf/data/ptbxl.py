"""PTB-XL: 10 s 12-lead ECGs at 100 Hz, binary NORM vs diagnostic abnormality.

Label rule, per record, from the ``scp_codes`` of ``ptbxl_database.csv`` and the
``diagnostic`` column of ``scp_statements.csv`` (every likelihood counts, as in
the PTB-XL benchmark):

* 1 (``abnormal``) when any diagnostic statement other than ``NORM`` is present;
* 0 (``NORM``) when ``NORM`` is the only diagnostic statement;
* records with no diagnostic statement (only form / rhythm) are left out.

Splits follow ``strat_fold`` (patient-disjoint by construction); the default
folds are 1-8 / 9 / 10, configurable as ``folds="1-7/8/9"`` or a mapping.
Groups are ``patient_id``.
"""
from __future__ import annotations

import ast
import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tpw_tf.data import hrv
from tpw_tf.data.base import SPLITS, Dataset
from tpw_tf.data.checksums import verify_files
from tpw_tf.data.fetch import PhysioNetSource, locate
from tpw_tf.data.loading import (cached_or_built, hours_per_split, join, warn_absent,
                                 window_inputs)
from tpw_tf.data.options import as_leads, as_records, check_choice, flag, optional_text
from tpw_tf.data.records import has_record, read_signal
from tpw_tf.errors import DataError

RATE = 100.0
CLASS_NAMES = ("NORM", "abnormal")
DATABASE_CSV = "ptbxl_database.csv"
STATEMENTS_CSV = "scp_statements.csv"
DEFAULT_FOLDS = "1-8/9/10"
# Every lead, in the records' order: cross-validation over patients found them worth their
# 11 extra input channels (docs/results.md, "Generalization"; lead II alone was the old default).
LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")


def _fold_numbers(split: str, value) -> tuple[int, ...]:
    """The folds of one split of a mapping: a fold number or a list of them."""
    items = list(value) if isinstance(value, (list, tuple, range)) else [value]
    if any(isinstance(f, bool) or not isinstance(f, numbers.Integral) for f in items):
        raise DataError(f"ptbxl: folds of {split} must be fold numbers, got {value!r}")
    return tuple(int(f) for f in items)


def parse_folds(folds) -> dict[str, tuple[int, ...]]:
    """``"1-8/9/10"`` (train/val/test, ranges or comma lists) or a mapping -> folds per split."""
    if isinstance(folds, str):
        parts = folds.split("/")
        if len(parts) != 3:
            raise DataError(f"ptbxl: folds must be 'train/val/test' such as {DEFAULT_FOLDS}, "
                            f"got {folds!r}")
        parsed = {}
        for split, text in zip(SPLITS, parts):
            numbers = []
            for item in filter(None, text.split(",")):
                lo, _, hi = item.partition("-")
                try:
                    numbers += range(int(lo), int(hi or lo) + 1)
                except ValueError:
                    raise DataError(f"ptbxl: folds {folds!r}: '{item}' is not a fold "
                                    "number or range") from None
            parsed[split] = tuple(numbers)
        folds = parsed
    if not isinstance(folds, Mapping):
        raise DataError(f"ptbxl: option folds must be 'train/val/test' such as {DEFAULT_FOLDS} "
                        f"or a mapping, got {folds!r}")
    if set(folds) != set(SPLITS):
        raise DataError(f"ptbxl: folds need train, val and test, got {sorted(folds)}")
    result = {split: _fold_numbers(split, folds[split]) for split in SPLITS}
    shared = set(result["train"]) & set(result["val"]) | (
        set(result["train"]) | set(result["val"])) & set(result["test"])
    if shared:
        raise DataError(f"ptbxl: folds {sorted(shared)} are in two splits")
    return result


def _read_csv(path, columns) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: metadata file missing")
    try:
        table = pd.read_csv(path, index_col=0)
    except Exception as error:
        raise DataError(f"{path}: unreadable CSV ({error})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}")
    return table


def labels(database: pd.DataFrame, statements: pd.DataFrame) -> pd.Series:
    """0 / 1 per ``ecg_id`` by the module's rule; records without a diagnostic code dropped."""
    diagnostic = set(statements.index[statements["diagnostic"] == 1])

    def rule(codes: str) -> int:
        try:
            present = set(ast.literal_eval(codes)) & diagnostic
        except (ValueError, SyntaxError):
            raise DataError(f"{DATABASE_CSV}: unreadable scp_codes {codes!r}") from None
        if not present:
            return -1
        return int(bool(present - {"NORM"}))

    result = database["scp_codes"].map(rule)
    return result[result >= 0].astype(np.int64)


def _files(folder, records) -> list[str]:
    database = _read_csv(folder / DATABASE_CSV, ["filename_lr"])
    if records is not None:
        database = database[database.index.isin([int(r) for r in records])]
    return [DATABASE_CSV, STATEMENTS_CSV] + [
        f"{stem}.{ext}" for stem in database["filename_lr"] for ext in ("hea", "dat")]


def source() -> PhysioNetSource:
    return PhysioNetSource("ptbxl", "https://physionet.org/files/ptb-xl/1.0.3/",
                           (DATABASE_CSV, STATEMENTS_CSV), _files)


def load(*, data_dir=None, lead=LEADS, folds=DEFAULT_FOLDS, normalize: bool = True,
         features: str = "raw", records=None, cache: bool = True, cache_dir=None,
         base_url: str | None = None) -> Dataset:
    """Load PTB-XL 100 Hz records as whole 10 s windows.

    Args:
        data_dir: folder with the two CSVs and ``records100/`` (never downloads); None fetches.
        lead: lead name, or a list of names for multi-channel windows (C = len); default
            all 12 (:data:`LEADS`).
        folds: ``strat_fold`` per split, ``"1-8/9/10"`` or ``{"train": [...], ...}``.
        normalize: z-score each window per lead.
        features: ``"raw"`` -> x ``(N, 1, 1000, C)``; ``"hrv"`` -> ``(N, 1, 16, 1)`` from
            GQRS R-peaks on the first lead (PTB-XL has no beat annotations).
        records: restrict to these ``ecg_id`` values.
        cache, cache_dir, base_url: as for :func:`tpw_tf.data.mitdb.load`.

    Returns:
        Dataset ``ptbxl``; ``groups`` are patient ids; ``info`` holds the folds,
        absent records and folds, records without a diagnostic statement and hours.
    """
    leads = as_leads("ptbxl", lead)
    fold_plan = parse_folds(folds)
    check_choice("ptbxl", "features", features, ("raw", "hrv"))
    normalize, cache = flag("ptbxl", "normalize", normalize), flag("ptbxl", "cache", cache)
    cache_dir = optional_text("ptbxl", "cache_dir", cache_dir)
    records = as_records("ptbxl", records, numeric=True)
    folder = locate("ptbxl", data_dir, base_url=optional_text("ptbxl", "base_url", base_url),
                    records=records)
    options = {"leads": leads, "folds": fold_plan, "normalize": normalize, "features": features,
               "records": None if records is None else sorted(int(r) for r in records)}

    def build() -> Dataset:
        database = _read_csv(folder / DATABASE_CSV,
                             ["patient_id", "scp_codes", "strat_fold", "filename_lr"])
        statements = _read_csv(folder / STATEMENTS_CSV, ["diagnostic"])
        # A fold is absent when the metadata lacks it, not when `records` leaves it out.
        absent_folds = sorted(f for folds_ in fold_plan.values() for f in folds_
                              if not (database["strat_fold"] == f).any())
        if records is not None:
            database = database[database.index.isin([int(r) for r in records])]
        verify_files(folder, [f"{stem}.{ext}" for stem in database["filename_lr"]
                              for ext in ("hea", "dat")])
        y_all = labels(database, statements)
        absent, pieces, seconds = [], {}, {}
        for split, split_folds in fold_plan.items():
            pieces[split], seconds[split] = [], 0.0
            rows = database[database["strat_fold"].isin(split_folds)
                            & database.index.isin(y_all.index)]
            for ecg_id, row in rows.iterrows():
                path = folder / row["filename_lr"]
                if not has_record(path):
                    absent.append(str(row["filename_lr"]))
                    continue
                signal = read_signal(path, leads=leads, fs=RATE)
                if not len(signal):
                    raise DataError(f"{path}.hea: signal length 0, a record needs samples")
                peaks = hrv.detect_peaks(signal[:, 0], RATE) if features == "hrv" else None
                x = window_inputs(signal, np.zeros(1, np.int64), len(signal), RATE,
                                  normalize=normalize, peaks=peaks)
                pieces[split].append((x, [y_all[ecg_id]], str(int(row["patient_id"]))))
                seconds[split] += len(signal) / RATE
        if absent_folds:
            warnings.warn(f"{folder / DATABASE_CSV}: no records in strat_fold "
                          f"{', '.join(map(str, absent_folds))}; their splits "
                          "are smaller or empty", stacklevel=3)
        warn_absent(folder, absent)
        lengths = {len(p[0][0]) for part in pieces.values() for p in part}
        if len(lengths) > 1:
            raise DataError(f"{folder}: records of different lengths {sorted(lengths)} samples")
        width = hrv.N_FEATURES if features == "hrv" else (lengths.pop() if lengths else 1000)
        channels = 1 if features == "hrv" else len(leads)
        splits = {split: join(p, width, channels) for split, p in pieces.items()}
        return Dataset("ptbxl", splits, RATE, CLASS_NAMES, info={
            "leads": leads, "folds": fold_plan, "features": features,
            "absent_folds": absent_folds, "absent_records": absent,
            "no_diagnostic_statement": int(len(database) - len(y_all)),
            "hours": hours_per_split(seconds)})

    return cached_or_built("ptbxl", options, folder, _files(folder, records), build,
                           cache=cache, cache_dir=cache_dir)

