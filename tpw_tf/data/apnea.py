"""Apnea-ECG Database: single-lead 100 Hz ECG, one apnea (A) / normal (N) label per minute.

Each labelled minute gives ``per_minute`` windows of ``window`` samples, spaced
``60 s / per_minute`` apart from the minute's start (the paper: three 18 s
windows of 1,800 samples). Minutes whose annotation runs past the end of the
signal are clipped (only windows wholly inside the signal are kept), with a
warning naming the record.

Records: the 35 released ones (a01-a20, b01-b05, c01-c10, labels in
``<rec>.apn``) and the 35 test records x01-x35 where their answers are present
(``<rec>.apn`` or ``x-answers/<rec>.apn``). Splits are record-wise:

* ``split="released-x"`` (default): train = released minus :data:`VAL`, val =
  :data:`VAL`, test = the x records with answers;
* ``split="released"``: released records only, test = :data:`RELEASED_TEST`.
"""
from __future__ import annotations

import warnings

import numpy as np

from tpw_tf.data import hrv, windows
from tpw_tf.data.base import Dataset
from tpw_tf.data.checksums import verify_files
from tpw_tf.data.fetch import PhysioNetSource, locate
from tpw_tf.data.loading import (cached_or_built, hours_per_split, join, plan_files,
                                 planned, warn_absent, window_inputs)
from tpw_tf.data.options import as_records, check_choice, flag, integer, optional_text
from tpw_tf.data.records import has_record, read_annotation, read_signal
from tpw_tf.errors import DataError

RATE = 100.0
MINUTE = 6000  # samples per labelled minute at 100 Hz
RELEASED = tuple([f"a{i:02d}" for i in range(1, 21)] + [f"b{i:02d}" for i in range(1, 6)]
                 + [f"c{i:02d}" for i in range(1, 11)])
TEST = tuple(f"x{i:02d}" for i in range(1, 36))
# Record-wise validation / test parts holding all three groups (a: apnoea, b: borderline,
# c: control) in proportion.
VAL = ("a04", "a12", "a18", "b03", "c05", "c09")
RELEASED_TEST = ("a02", "a09", "a15", "b02", "c03", "c07")
SPLIT_PLANS = {
    "released-x": {"train": tuple(r for r in RELEASED if r not in VAL), "val": VAL,
                   "test": TEST},
    "released": {"train": tuple(r for r in RELEASED if r not in VAL + RELEASED_TEST),
                 "val": VAL, "test": RELEASED_TEST},
}
CLASS_NAMES = ("N", "A")


def _files(folder, records) -> list[str]:
    listed = [r for r in (folder / "RECORDS").read_text().split() if r in RELEASED + TEST]
    wanted = [r for r in listed if records is None or r in records]
    return [f"{r}.{ext}" for r in wanted for ext in ("hea", "dat", "apn", "qrs")]


def source() -> PhysioNetSource:
    return PhysioNetSource("apnea-ecg", "https://physionet.org/files/apnea-ecg/1.0.0/",
                           ("RECORDS",), _files)


def _answers(folder, name):
    """Path stem of the record's ``.apn`` (beside it, else under ``x-answers/``), or None."""
    for stem in (folder / name, folder / "x-answers" / name):
        if stem.with_name(stem.name + ".apn").exists():
            return stem
    return None


def _record_windows(folder, name, *, window, per_minute, normalize, features):
    """Windows ``(n, T, 1)`` (or HRV ``(n, 16, 1)``), labels ``(n,)``, seconds of signal and
    the number of labelled minutes running past the signal's end."""
    path = folder / name
    signal = read_signal(path, leads=0, fs=RATE)
    minutes, symbols = read_annotation(_answers(folder, name), "apn")
    unknown = sorted(set(symbols) - set(CLASS_NAMES))
    if unknown:
        raise DataError(f"{_answers(folder, name)}.apn: labels {unknown}, expected A or N")
    starts = (minutes[:, None] + np.arange(per_minute) * (MINUTE // per_minute)).reshape(-1)
    labels = np.repeat((symbols == "A").astype(np.int64), per_minute)
    inside = windows.fits(starts, window, len(signal))
    clipped = int(np.sum((minutes < 0) | (minutes + MINUTE > len(signal))))
    starts, labels = starts[inside], labels[inside]
    peaks = None
    if features == "hrv":
        peaks = (read_annotation(path, "qrs")[0] if path.with_name(name + ".qrs").exists()
                 else hrv.detect_peaks(signal[:, 0], RATE))
    x = window_inputs(signal, starts, window, RATE, normalize=normalize, peaks=peaks)
    return x, labels, len(signal) / RATE, clipped


def load(*, data_dir=None, split: str = "released-x", window: int = 1800, per_minute: int = 3,
         normalize: bool = True, features: str = "raw", records=None, cache: bool = True,
         cache_dir=None, base_url: str | None = None) -> Dataset:
    """Load Apnea-ECG minute windows.

    Args:
        data_dir: folder with ``<rec>.hea/.dat/.apn`` (never downloads); None fetches.
        split: ``"released-x"`` or ``"released"`` (see module docstring).
        window: samples per window at 100 Hz (paper: 1,800 = 18 s).
        per_minute: windows per labelled minute; ``window * per_minute`` <= 6,000.
        normalize: z-score each window.
        features: ``"raw"`` -> x ``(N, 1, window, 1)``; ``"hrv"`` -> ``(N, 1, 16, 1)``
            from the ``.qrs`` reference beats (GQRS detector where ``.qrs`` is absent).
        records: restrict to these record names.
        cache, cache_dir, base_url: as for :func:`tpw_tf.data.mitdb.load`.

    Returns:
        Dataset ``apnea`` with classes ``("N", "A")``; ``groups`` are record names;
        ``info`` holds the split plan, absent records, x records without answers,
        labelled hours and hours of signal per split.
    """
    check_choice("apnea", "split", split, SPLIT_PLANS)
    check_choice("apnea", "features", features, ("raw", "hrv"))
    window = integer("apnea", "window", window, minimum=1)
    per_minute = integer("apnea", "per_minute", per_minute, minimum=1)
    if window * per_minute > MINUTE:
        raise DataError(f"apnea: need window * per_minute <= {MINUTE}, got window={window}, "
                        f"per_minute={per_minute}")
    normalize, cache = flag("apnea", "normalize", normalize), flag("apnea", "cache", cache)
    cache_dir = optional_text("apnea", "cache_dir", cache_dir)
    records = as_records("apnea", records)
    folder = locate("apnea", data_dir, base_url=optional_text("apnea", "base_url", base_url),
                    records=records)
    options = {"split": split, "window": window, "per_minute": per_minute,
               "normalize": normalize, "features": features,
               "records": None if records is None else sorted(records)}
    plan = planned(SPLIT_PLANS[split], records)
    files = plan_files(plan, ("hea", "dat", "apn", "qrs"))
    answers = [f"x-answers/{n}.apn" for names in plan.values() for n in names]

    def build() -> Dataset:
        verify_files(folder, files)
        absent, unanswered, clipped, pieces, seconds = [], [], {}, {}, {}
        for part, names in plan.items():
            pieces[part], seconds[part] = [], 0.0
            for name in names:
                if not has_record(folder / name):
                    absent.append(name)
                elif _answers(folder, name) is None:
                    if name in RELEASED:
                        raise DataError(f"{folder / name}.apn: annotation file missing")
                    unanswered.append(name)
                else:
                    x, y, duration, clipped[name] = _record_windows(
                        folder, name, window=window, per_minute=per_minute,
                        normalize=normalize, features=features)
                    pieces[part].append((x, y, name))
                    seconds[part] += duration
        warn_absent(folder, absent)
        clipped = {name: n for name, n in clipped.items() if n}
        if clipped:
            warnings.warn(f"{folder}: annotations run past the end of the signal, clipped "
                          f"(record: minutes): {' '.join(f'{r}: {n}' for r, n in clipped.items())}",
                          stacklevel=3)
        width = hrv.N_FEATURES if features == "hrv" else window
        splits = {part: join(p, width, 1) for part, p in pieces.items()}
        labelled = {part: len(s) / per_minute * 60.0 for part, s in splits.items()}
        return Dataset("apnea", splits, RATE, CLASS_NAMES, info={
            "split": split, "window": window, "per_minute": per_minute, "features": features,
            "records": plan, "absent_records": absent, "unanswered_records": unanswered,
            "clipped_minutes": clipped,
            "hours": hours_per_split(seconds), "labelled_hours": hours_per_split(labelled)})

    return cached_or_built("apnea", options, folder, files + answers, build, cache=cache,
                           cache_dir=cache_dir)
