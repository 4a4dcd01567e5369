"""R-peaks and 16 RR-interval (heart-rate-variability) features per window, for ``hrv_featnet``.

``hrv_featnet`` reads a window as 16 numbers instead of raw samples, shaped
``(1, 16, 1)`` like every zoo input. The features come from the R-peaks inside
the window: reference beat annotations where the database has them (MIT-BIH
``.atr``, Apnea-ECG ``.qrs``; the loaders pass them with ``features="hrv"``),
otherwise the GQRS detector of ``wfdb.processing``.

Units keep every feature near 1 so an int8 input scale resolves them all:
intervals in seconds, rates in beats per second, fractions in [0, 1].
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import wfdb.processing

from tpw_tf.data.base import Dataset, Split
from tpw_tf.errors import DataError

FEATURE_NAMES = (
    "beat_rate",    # beats in the window per second of window
    "rr_mean", "rr_median", "rr_min", "rr_max", "rr_range", "rr_iqr",  # RR intervals, s
    "sdnn",         # standard deviation of RR, s
    "rmssd",        # root mean square of successive RR differences, s
    "sdsd",         # standard deviation of successive RR differences, s
    "pnn20", "pnn50",  # fraction of successive differences above 20 / 50 ms
    "hr_mean", "hr_std",  # instantaneous heart rate 1/RR, beats/s
    "cv_rr",        # sdnn / rr_mean
    "sd2",          # Poincare SD2, long-term variability, s
)
N_FEATURES = len(FEATURE_NAMES)


def detect_peaks(signal: np.ndarray, fs: float) -> np.ndarray:
    """R-peak sample indices of a 1-D ECG ``(L,)`` in mV, by ``wfdb.processing.gqrs_detect``."""
    signal = np.asarray(signal, np.float64).reshape(-1)
    if len(signal) == 0 or not np.any(signal):
        return np.zeros(0, np.int64)
    return np.asarray(wfdb.processing.gqrs_detect(sig=signal, fs=fs), np.int64)


def window_peaks(peaks: np.ndarray, starts: np.ndarray, length: int) -> list[np.ndarray]:
    """Split record-level ``peaks`` (sorted samples) into per-window offsets.

    Returns one int64 array per start: the peaks in ``[start, start + length)``,
    relative to ``start``.
    """
    peaks = np.asarray(peaks, np.int64)
    lo = np.searchsorted(peaks, starts, side="left")
    hi = np.searchsorted(peaks, np.asarray(starts) + length, side="left")
    return [peaks[a:b] - s for a, b, s in zip(lo, hi, starts)]


def features_from_peaks(peaks: list[np.ndarray], length: int, fs: float) -> np.ndarray:
    """The 16 :data:`FEATURE_NAMES` of each window, float32 ``(N, 1, 16, 1)``.

    Args:
        peaks: per window, the R-peak offsets (samples from the window start).
        length: window length in samples; fs: samples per second.

    Features needing two (or three) peaks are 0 when a window has fewer. All
    windows are computed at once on a NaN-padded ``(N, max peaks)`` table.
    """
    n = len(peaks)
    width = max([len(p) for p in peaks] + [3])
    table = np.full((n, width), np.nan)
    for row, p in enumerate(peaks):
        table[row, :len(p)] = p
    rr = np.diff(table, axis=1) / fs             # (N, width - 1), NaN past each row's end
    diffs = np.diff(rr, axis=1)                   # successive differences
    out = np.zeros((n, N_FEATURES))
    out[:, 0] = np.sum(~np.isnan(table), axis=1) * fs / length
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: windows with < 2 peaks
        q25, median, q75 = np.nanpercentile(rr, [25, 50, 75], axis=1)
        mean, sdnn, hr = np.nanmean(rr, axis=1), np.nanstd(rr, axis=1), 1.0 / rr
        sdsd = np.nanstd(diffs, axis=1)
        has_diffs = ~np.isnan(diffs)
        columns = [
            mean, median, np.nanmin(rr, axis=1), np.nanmax(rr, axis=1),
            np.nanmax(rr, axis=1) - np.nanmin(rr, axis=1), q75 - q25, sdnn,
            np.sqrt(np.nanmean(diffs ** 2, axis=1)), sdsd,
            np.sum(np.abs(np.nan_to_num(diffs)) > 0.020, axis=1) / has_diffs.sum(axis=1),
            np.sum(np.abs(np.nan_to_num(diffs)) > 0.050, axis=1) / has_diffs.sum(axis=1),
            np.nanmean(hr, axis=1), np.nanstd(hr, axis=1), sdnn / mean,
            np.sqrt(np.maximum(2 * sdnn ** 2 - 0.5 * sdsd ** 2, 0.0)),
        ]
    out[:, 1:] = np.nan_to_num(np.stack(columns, axis=1), nan=0.0, posinf=0.0)
    return out.astype(np.float32).reshape(n, 1, N_FEATURES, 1)


def rr_features(peaks: np.ndarray, length: int, fs: float) -> np.ndarray:
    """:func:`features_from_peaks` of one window, float32 ``(16,)``."""
    return features_from_peaks([np.asarray(peaks)], length, fs).reshape(N_FEATURES)


def _split_features(split: Split, fs: float, peaks) -> Split:
    x = split.x
    if peaks is None:
        peaks = [detect_peaks(w[0, :, 0], fs) for w in x]
    if len(peaks) != len(x):
        raise DataError(f"hrv_features: {len(peaks)} peak lists for {len(x)} windows")
    return Split(features_from_peaks(peaks, x.shape[2], fs), split.y, split.groups)


def hrv_features(data, sample_rate: float | None = None, peaks=None):
    """HRV features of windows, in the shape ``hrv_featnet`` takes.

    Args:
        data: a :class:`Dataset` (every split converted, detector peaks), a
            :class:`Split`, or an array ``(N, 1, T, C)`` of ECG windows (channel 0
            is used). GQRS thresholds are in mV; z-scored windows, whose QRS
            peaks stand several units high, are detected too. Detection inside
            short windows misses beats in GQRS's first second of learning: the
            loaders' ``features="hrv"`` (reference beats, or detection over the
            whole record) are more faithful than detection window by window.
        sample_rate: samples per second of ``T``; required unless ``data`` is a Dataset.
        peaks: for a Split or array, optional reference R-peaks, one int array
            of offsets within each window (skips the detector).

    Returns:
        Same kind as ``data``: a Dataset / Split whose ``x`` is float32
        ``(N, 1, 16, 1)``, or that array. Feature order: :data:`FEATURE_NAMES`.
    """
    if isinstance(data, Dataset):
        splits = {name: _split_features(s, data.sample_rate, None)
                  for name, s in data.splits.items()}
        return dataclasses.replace(data, splits=splits, info={
            **data.info, "features": "hrv", "window_samples": data.input_shape[1]})
    if sample_rate is None:
        raise DataError("hrv_features: sample_rate is required for a Split or an array")
    if isinstance(data, Split):
        return _split_features(data, sample_rate, peaks)
    x = np.asarray(data, np.float32)
    if x.ndim != 4 or x.shape[1] != 1:
        raise DataError(f"hrv_features: windows must be (N, 1, T, C), got {x.shape}")
    dummy = np.zeros(len(x), np.int64)
    return _split_features(Split(x, dummy, dummy.astype(str)), sample_rate, peaks).x


RR_CONTEXT_NAMES = ("pre_over_local", "post_over_local", "pre_over_post", "local_rr")
LOCAL_BEATS = 8  # RR intervals averaged for the local rhythm


def rr_context(beats: np.ndarray, fs: float) -> np.ndarray:
    """Each beat's RR context, float32 ``(n, 4)``: :data:`RR_CONTEXT_NAMES`.

    The RR features that carry a ventricular beat across patients (de Chazal et
    al., IEEE TBME 51(7), 2004: pre-RR, post-RR and the local average RR),
    expressed as ratios to the patient's local rhythm so a premature beat reads
    below 1 and its compensatory pause above 1 at any heart rate:

    * ``pre_over_local``: interval from the previous beat / local RR;
    * ``post_over_local``: interval to the next beat / local RR;
    * ``pre_over_post``: the two intervals' ratio (the prematurity index);
    * ``local_rr``: the mean of the last :data:`LOCAL_BEATS` pre-RR intervals
      (this one included), in seconds; causal, so a device computes it as beats come.

    The first beat's pre-RR is its post-RR and the last's post-RR its pre-RR.
    Every value is clipped to [0, 4] (a gap in the annotations otherwise
    dominates the input scale).

    Args:
        beats: ``(n,)`` increasing sample indices of every beat of one record (n >= 2).
        fs: samples per second.

    Raises:
        DataError: fewer than two beats, or beats not strictly increasing.
    """
    beats = np.asarray(beats, np.float64)
    rr = np.diff(beats) / fs
    if len(beats) < 2 or np.any(rr <= 0):
        raise DataError(f"rr_context: needs two or more strictly increasing beats, got {len(beats)}")
    pre, post = np.concatenate([rr[:1], rr]), np.concatenate([rr, rr[-1:]])
    total = np.concatenate([[0.0], np.cumsum(pre)])
    index = np.arange(len(pre))
    first = np.maximum(index - LOCAL_BEATS + 1, 0)
    local = (total[index + 1] - total[first]) / (index + 1 - first)
    context = np.stack([pre / local, post / local, pre / post, local], axis=1)
    return np.clip(context, 0.0, 4.0).astype(np.float32)
