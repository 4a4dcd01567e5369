"""MIT-BIH Arrhythmia Database: beat-centred windows, AAMI classes, inter-patient splits.

Every beat annotation of the AAMI classes becomes one window centred on it;
non-beat annotations (``+ ~ | " x [ ] !``) are not beats. A window is never made
from samples that do not exist: annotations outside the signal are dropped with
a warning naming them, and beats within half a window of a record's ends are
left out (counted in ``info["edge_beats"]``). Splits follow de Chazal et al. (2004):

* ``split="ds1ds2"`` (default): train = DS1 minus :data:`DS1_VAL`, val =
  :data:`DS1_VAL`, test = DS2;
* ``split="ds1-patients"``: DS1 only, patient-disjoint train / :data:`DS1_VAL` /
  :data:`DS1_TEST`, for copies without DS2 (such as the shared test data).

Paced records (102 104 107 217) are never used. Each MIT-BIH record is one
patient except 201/202 (one in DS1, one in DS2, as de Chazal split them).

The default inputs are the recipe that cross-validation over DS1's patients
supports (docs/results.md, "Generalization"): 1 s around each beat at 180 Hz,
baseline wander removed, the beat z-scored beside its difference from the
patient's recent median beat, and the beat's RR context as 4 channels:
x ``(N, 1, 180, 6)``. ``window_s=5, sample_rate=360, baseline=false,
template=0, rr=false`` is the paper's input (:data:`PAPER_INPUTS`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tpw_tf.data import hrv, windows
from tpw_tf.data.base import Dataset
from tpw_tf.data.checksums import verify_files
from tpw_tf.data.fetch import PhysioNetSource, locate
from tpw_tf.data.loading import (cached_or_built, hours_per_split, join, plan_files,
                                 planned, warn_absent, window_inputs)
from tpw_tf.data.options import (as_leads, as_records, check_choice, flag, integer,
                                 normalization, optional_text, positive_number)
from tpw_tf.data.records import has_record, read_annotation, read_signal
from tpw_tf.data.wfdb_header import read_header
from tpw_tf.errors import DataError

NATIVE_RATE = 360.0
DS1 = ("101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124",
       "201", "203", "205", "207", "208", "209", "215", "220", "223", "230")
DS2 = ("100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212",
       "213", "214", "219", "221", "222", "228", "231", "232", "233", "234")
PACED = ("102", "104", "107", "217")
# Patient-disjoint parts of DS1, chosen so each holds ventricular beats
# (119, 205 / 106, 201) and supraventricular ones (220 / 201, 209).
DS1_VAL = ("119", "122", "205", "220")
DS1_TEST = ("106", "115", "201", "209")
SPLIT_PLANS = {
    "ds1ds2": {"train": tuple(r for r in DS1 if r not in DS1_VAL), "val": DS1_VAL, "test": DS2},
    "ds1-patients": {"train": tuple(r for r in DS1 if r not in DS1_VAL + DS1_TEST),
                     "val": DS1_VAL, "test": DS1_TEST},
}
AAMI = {"N": "NLRej", "S": "AaJS", "V": "VE", "F": "F", "Q": "/fQ"}
_AAMI_OF_SYMBOL = {s: c for c, symbols in AAMI.items() for s in symbols}
TASKS = {"binary": ("non-V", "V"), "aami": tuple(AAMI)}
# The paper's input (5 s of z-scored MLII at 360 Hz around each beat), the default before issue 14.
PAPER_INPUTS = {"window_s": 5.0, "sample_rate": NATIVE_RATE, "lead": "MLII", "normalize": "window",
                "baseline": False, "template": 0, "rr": False}
# A lead name meaning "the record's other signal": V1 in most records, V2, V4 or V5 in a few
# (MIT-BIH's second leads differ; record 114 stores MLII second).
OTHER_LEAD = "other"


def _files(folder, records) -> list[str]:
    listed = (folder / "RECORDS").read_text().split()
    wanted = [r for r in listed if records is None or r in records]
    return [f"{r}.{ext}" for r in wanted for ext in ("hea", "dat", "atr")]


def source() -> PhysioNetSource:
    return PhysioNetSource("mitdb", "https://physionet.org/files/mitdb/1.0.0/",
                           ("RECORDS",), _files)


def _labels(aami: np.ndarray, task: str) -> np.ndarray:
    if task == "binary":
        return (aami == "V").astype(np.int64)
    return np.array([TASKS["aami"].index(c) for c in aami], np.int64)


def _resolve_leads(path, leads: list) -> list:
    """``leads`` with :data:`OTHER_LEAD` replaced by the record's first signal not named in ``leads``."""
    if OTHER_LEAD not in leads:
        return leads
    hea = Path(f"{path}.hea")
    others = [name for name in read_header(hea).names if name not in leads]
    if not others:
        named = ", ".join(str(lead) for lead in leads if lead != OTHER_LEAD)
        raise DataError(f"{hea}: no lead besides {named} for lead '{OTHER_LEAD}'")
    return [others[0] if lead == OTHER_LEAD else lead for lead in leads]


def _record_windows(path, *, lead, rate, length, normalize, baseline, template, rr, features):
    """Windows ``(n, T, C)`` (or HRV features ``(n, 16, 1)``), AAMI class per window,
    seconds of signal, and the AAMI class of each beat too near an end for a window.
    C is the leads, then (with ``template``) each lead's difference from its template, then
    (with ``rr``) the 4 :func:`tpw_tf.data.hrv.rr_context` channels."""
    signal = read_signal(path, leads=_resolve_leads(path, lead), fs=NATIVE_RATE)
    samples, symbols = read_annotation(path, "atr", length=len(signal))
    is_beat = np.isin(symbols, list(_AAMI_OF_SYMBOL))
    beats = np.round(samples[is_beat] * rate / NATIVE_RATE).astype(np.int64)
    aami = np.array([_AAMI_OF_SYMBOL[s] for s in symbols[is_beat]], dtype="<U1")
    if baseline:
        signal = windows.remove_baseline(signal, NATIVE_RATE)
    signal = windows.resample(signal, NATIVE_RATE, rate)
    if normalize == "record" and len(beats):
        signal = windows.scale_to_beats(signal, beats, rate)
    starts = beats - length // 2
    whole = windows.fits(starts, length, len(signal))
    if features == "hrv":
        x = window_inputs(signal, starts[whole], length, rate, normalize=False, peaks=beats)
        return x, aami[whole], len(signal) / rate, aami[~whole]
    x = windows.take(signal, starts[whole], length)
    parts = [x] + ([windows.template_difference(x, template)] if template else [])
    if normalize == "window":  # the template differences in units of their window's spread, so they compare
        parts = [windows.standardize(x, axis=1)] + [d / windows.spread(x, axis=1) for d in parts[1:]]
    if rr:
        if np.sum(is_beat) < 2:
            raise DataError(f"{path}.atr: {np.sum(is_beat)} beat(s), RR context needs two or more; "
                            "use -o rr=false")
        context = hrv.rr_context(samples[is_beat], NATIVE_RATE)[whole]  # (n, 4)
        parts.append(np.repeat(context[:, None, :], length, axis=1))
    return np.concatenate(parts, axis=2).astype(np.float32), aami[whole], len(signal) / rate, aami[~whole]


def load(*, data_dir=None, split: str = "ds1ds2", task: str = "binary", window_s: float | None = None,
         sample_rate: float = 180.0, lead="MLII", normalize="window", baseline: bool = True,
         template: int = 32, rr: bool = True, features: str = "raw", records=None, cache: bool = True,
         cache_dir=None, base_url: str | None = None) -> Dataset:
    """Load MIT-BIH beat windows.

    Args:
        data_dir: folder holding ``<record>.hea/.dat/.atr`` (never downloads);
            None fetches into the cache (:mod:`tpw_tf.data.fetch`).
        split: ``"ds1ds2"`` or ``"ds1-patients"`` (see module docstring).
        task: ``"binary"`` (V vs rest, the paper's task) or ``"aami"`` (N S V F Q).
        window_s: window length in seconds, centred on the beat (paper: 5 s). Default: 1 s,
            one beat, so the labelled beat is the one the model sees; 5 s with
            ``features="hrv"``, whose intervals need several beats.
        sample_rate: output rate in Hz; signals are resampled from 360 Hz.
        lead: signal name to read (``MLII``; record 114 stores it second), or a list of
            names for one channel each; ``"other"`` is the record's first signal not
            named in the list (``["MLII", "other"]``: both leads of every record).
        normalize: ``"window"`` z-scores each window and channel; ``"record"`` divides
            each record by its beats' median peak amplitude
            (:func:`tpw_tf.data.windows.scale_to_beats`); ``"none"`` keeps millivolts.
        baseline: remove baseline wander first (0.5 Hz zero-phase high-pass,
            :func:`tpw_tf.data.windows.remove_baseline`).
        template: with N >= 1, append each lead's difference from the median of its N
            previous beat windows (:func:`tpw_tf.data.windows.template_difference`); 0: none.
        rr: append the beat's 4 RR-context features (:func:`tpw_tf.data.hrv.rr_context`,
            from the reference beats) as 4 channels constant along T.
        features: ``"raw"`` -> x ``(N, 1, T, C)``, C = the leads, as many template
            differences with ``template``, 4 RR channels with ``rr``; ``"hrv"`` -> x
            ``(N, 1, 16, 1)`` of :mod:`tpw_tf.data.hrv` features from the reference ``.atr``
            beats.
        records: restrict to these record names.
        cache: reuse / store the arrays in :mod:`tpw_tf.data.array_cache`.
        cache_dir: cache folder (default ``$TPW_CACHE_DIR`` or ``~/.cache/tpw/arrays``).
        base_url: download mirror (see :func:`tpw_tf.data.fetch.fetch`).

    Returns:
        Dataset ``mitdb``; ``groups`` are record names; ``info`` holds the split
        plan, absent records, hours of recording per split, windowed beats per AAMI
        class (``aami_beats``) and beats too near a record's end for a window
        (``edge_beats``).
    """
    check_choice("mitdb", "split", split, SPLIT_PLANS)
    check_choice("mitdb", "task", task, TASKS)
    check_choice("mitdb", "features", features, ("raw", "hrv"))
    window_s = positive_number("mitdb", "window_s", (5.0 if features == "hrv" else 1.0) if window_s is None
                               else window_s)
    sample_rate = positive_number("mitdb", "sample_rate", sample_rate)
    leads = as_leads("mitdb", lead)
    normalize = normalization("mitdb", normalize)
    baseline, rr = flag("mitdb", "baseline", baseline), flag("mitdb", "rr", rr)
    template = integer("mitdb", "template", template, minimum=0)
    cache = flag("mitdb", "cache", cache)
    cache_dir = optional_text("mitdb", "cache_dir", cache_dir)
    records = as_records("mitdb", records)
    folder = locate("mitdb", data_dir, base_url=optional_text("mitdb", "base_url", base_url),
                    records=records)
    length = int(round(window_s * sample_rate))
    options = {"split": split, "task": task, "length": length, "sample_rate": sample_rate,
               "lead": leads, "normalize": normalize, "baseline": baseline, "template": template, "rr": rr,
               "features": features,
               "records": None if records is None else sorted(records)}
    plan = planned(SPLIT_PLANS[split], records)
    files = plan_files(plan, ("hea", "dat", "atr"))

    def build() -> Dataset:
        verify_files(folder, files)
        absent, pieces, seconds, beats, edge = [], {}, {}, {}, {}
        for part, names in plan.items():
            pieces[part], seconds[part] = [], 0.0
            beats[part], edge[part] = dict.fromkeys(AAMI, 0), dict.fromkeys(AAMI, 0)
            for name in names:
                path = folder / name
                if not has_record(path):
                    absent.append(name)
                    continue
                x, aami, duration, near_end = _record_windows(
                    path, lead=leads, rate=sample_rate, length=length, normalize=normalize,
                    baseline=baseline, template=template, rr=rr, features=features)
                pieces[part].append((x, _labels(aami, task), name))
                seconds[part] += duration
                for c in AAMI:
                    beats[part][c] += int(np.sum(aami == c))
                    edge[part][c] += int(np.sum(near_end == c))
        warn_absent(folder, absent)
        width = hrv.N_FEATURES if features == "hrv" else length
        signal_channels = len(leads) * (2 if template else 1)
        channels = 1 if features == "hrv" else signal_channels + rr * len(hrv.RR_CONTEXT_NAMES)
        splits = {part: join(p, width, channels) for part, p in pieces.items()}
        return Dataset("mitdb", splits, sample_rate, TASKS[task], info={
            "split": split, "task": task, "window_s": window_s, "lead": leads,
            "normalize": normalize, "baseline": baseline, "template": template, "rr": rr,
            "features": features, "signal_channels": signal_channels, "records": plan, "absent_records": absent,
            "hours": hours_per_split(seconds), "aami_beats": beats, "edge_beats": edge})

    return cached_or_built("mitdb", options, folder, files, build, cache=cache,
                           cache_dir=cache_dir)
