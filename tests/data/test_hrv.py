"""R-peaks and the 16 RR features."""
from __future__ import annotations

import numpy as np
import pytest
import wfdb

from tpw_tf.data import hrv
from tpw_tf.data.base import Split
from tpw_tf.errors import DataError


def test_features_of_a_known_peak_train():
    # Peaks at 0, 1.0, 2.0, 3.1, 4.3 s in a 5 s window at 100 Hz: RR = 1.0 1.0 1.1 1.2 s.
    f = dict(zip(hrv.FEATURE_NAMES, hrv.rr_features(np.array([0, 100, 200, 310, 430]), 500,
                                                     100.0)))
    rr = np.array([1.0, 1.0, 1.1, 1.2])
    d = np.array([0.0, 0.1, 0.1])
    expected = {
        "beat_rate": 1.0, "rr_mean": 1.075, "rr_median": 1.05, "rr_min": 1.0, "rr_max": 1.2,
        "rr_range": 0.2, "rr_iqr": 1.125 - 1.0, "sdnn": rr.std(),
        "rmssd": np.sqrt(0.02 / 3), "sdsd": d.std(), "pnn20": 2 / 3, "pnn50": 2 / 3,
        "hr_mean": np.mean(1 / rr), "hr_std": np.std(1 / rr), "cv_rr": rr.std() / 1.075,
        "sd2": np.sqrt(2 * rr.var() - 0.5 * d.var()),
    }
    assert f == pytest.approx(expected, rel=1e-5)


def test_too_few_peaks_give_zeros_not_nans():
    assert hrv.rr_features(np.array([40]), 500, 100.0) == pytest.approx([0.2] + [0.0] * 15)
    two = hrv.rr_features(np.array([40, 140]), 500, 100.0)
    assert two[1] == pytest.approx(1.0) and two[8] == 0.0 and np.isfinite(two).all()


def test_window_peaks_are_offsets_inside_each_window():
    peaks = np.array([5, 50, 120, 199, 200, 390])
    got = hrv.window_peaks(peaks, np.array([0, 100, 300]), 100)
    assert [g.tolist() for g in got] == [[5, 50], [20, 99], [90]]


def test_detector_finds_the_reference_beats(shared):
    """GQRS on 5 minutes of MIT-BIH record 115 (sinus rhythm): >= 98 % within 100 ms."""
    record = str(shared / "mitdb/115")
    signal = wfdb.rdrecord(record, sampto=108_000, channels=[0]).p_signal[:, 0]
    reference = wfdb.rdann(record, "atr", sampto=108_000)
    beats = reference.sample[np.isin(reference.symbol, list("NLRejAaJSVEF/fQ"))]
    found = hrv.detect_peaks(signal, 360.0)
    nearest = np.min(np.abs(beats[:, None] - found[None, :]), axis=1)
    assert np.mean(nearest <= 36) >= 0.98
    assert abs(len(found) - len(beats)) <= 0.02 * len(beats)


def test_hrv_features_of_windows_and_splits(shared):
    signal = wfdb.rdrecord(str(shared / "mitdb/115"), sampto=36_000, channels=[0]).p_signal
    x = signal[:, 0].reshape(20, 1, 1800, 1).astype(np.float32)  # twenty 5 s windows
    features = hrv.hrv_features(x, sample_rate=360.0)
    assert features.shape == (20, 1, 16, 1) and features.dtype == np.float32
    assert 0.75 < np.median(features[:, 0, 1, 0]) < 1.05  # sinus RR of record 115
    split = hrv.hrv_features(Split(x, np.zeros(20, np.int64), np.array(["115"] * 20)),
                             sample_rate=360.0)
    np.testing.assert_array_equal(split.x, features)
    with pytest.raises(DataError, match="sample_rate is required"):
        hrv.hrv_features(x)
    with pytest.raises(DataError, match=r"windows must be \(N, 1, T, C\), got \(20, 1800\)"):
        hrv.hrv_features(x[:, 0, :, 0], sample_rate=360.0)
