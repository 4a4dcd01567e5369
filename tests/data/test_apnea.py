"""Apnea-ECG: real annotations with full-length synthesized signals, and the real first minutes.

The shared copy has no full ``.dat`` files, so the module fixture writes whole-night
records with ``wfdb.wrsamp`` beside the genuine ``.apn`` / ``.qrs`` files. Each
sample's digital value encodes where it sits: ``10 * minute + third of the
minute``, so a window's values say which minute (and which third) it came from.
"""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import wfdb

from tpw_tf.data import hrv, load
from tpw_tf.errors import DataError

GAIN = 200.0
RECORDS = {"a01": "train", "b01": "train", "c05": "val", "x01": "test"}
X01_MINUTES = 100  # x01 is written short so its annotations run past the signal's end


def _write(folder, name, length):
    t = np.arange(length)
    digital = (10 * (t // 6000) + (t % 6000) // 2000).astype(np.int16)[:, None]
    wfdb.wrsamp(name, fs=100, units=["mV"], sig_name=["ECG"], d_signal=digital, fmt=["16"],
                adc_gain=[GAIN], baseline=[0], write_dir=str(folder))


@pytest.fixture(scope="module")
def nights(shared, tmp_path_factory):
    folder = tmp_path_factory.mktemp("apnea-nights")
    (folder / "x-answers").mkdir()
    for name in RECORDS:
        if name.startswith("x"):
            shutil.copy(shared / f"apnea-ecg/x-answers/{name}.apn", folder / "x-answers")
            _write(folder, name, X01_MINUTES * 6000 + 3000)
        else:
            shutil.copy(shared / f"apnea-ecg/{name}.apn", folder)
            shutil.copy(shared / f"apnea-ecg/{name}.qrs", folder)
            _write(folder, name, wfdb.rdheader(str(shared / f"apnea-ecg/{name}")).sig_len)
    return folder


@pytest.fixture(scope="module")
def apnea(nights):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load("apnea", data_dir=nights, normalize=False, cache=False)
    return ds, [str(w.message) for w in caught]


def test_windows_and_labels_line_up_minute_by_minute(shared, apnea):
    ds, _ = apnea
    for name, split in RECORDS.items():
        stem = shared / "apnea-ecg" / ("x-answers" if name[0] == "x" else "") / name
        symbols = wfdb.rdann(str(stem), "apn").symbol
        part = ds.splits[split]
        x, y = part.x[part.groups == name], part.y[part.groups == name]
        codes = np.round(x[:, 0, :, 0] * GAIN).astype(int)
        assert (codes == codes[:, :1]).all()  # a window never straddles two minutes / thirds
        window_minute, third = np.divmod(codes[:, 0], 10)
        np.testing.assert_array_equal(window_minute, np.arange(len(x)) // 3)
        np.testing.assert_array_equal(third, np.arange(len(x)) % 3)
        np.testing.assert_array_equal(y, [symbols[m] == "A" for m in window_minute])


def test_annotations_past_the_signal_end_are_clipped_with_a_warning(shared, nights, apnea):
    ds, messages = apnea
    clipped = [m for m in messages if "run past the end of the signal" in m]
    # The genuine b01 and c05 annotations also end one minute after their signals.
    assert len(clipped) == 1 and "b01: 1 c05: 1 x01: 423" in clipped[0]
    assert ds.info["clipped_minutes"] == {"b01": 1, "c05": 1, "x01": 523 - X01_MINUTES}
    for name, split in RECORDS.items():  # exactly the windows wholly inside the signal
        stem = shared / "apnea-ecg" / ("x-answers" if name[0] == "x" else "") / name
        starts = np.add.outer(wfdb.rdann(str(stem), "apn").sample, [0, 2000, 4000])
        length = wfdb.rdheader(str(nights / name)).sig_len
        assert (ds.splits[split].groups == name).sum() == (starts + 1800 <= length).sum()
    # x01: 100 whole minutes plus the first window of the half minute after them.
    assert (ds.splits["test"].groups == "x01").sum() == 3 * X01_MINUTES + 1


def test_records_are_split_record_wise(apnea):
    ds, _ = apnea
    groups = {name: set(s.groups.tolist()) for name, s in ds.splits.items()}
    assert groups == {"train": {"a01", "b01"}, "val": {"c05"}, "test": {"x01"}}


def test_hrv_features_use_the_reference_qrs(shared, nights):
    ds = load("apnea", data_dir=nights, features="hrv", records=["a01"], cache=False)
    x = ds.splits["train"].x
    assert x.shape == (489 * 3, 1, 16, 1)
    qrs = wfdb.rdann(str(shared / "apnea-ecg/a01"), "qrs").sample
    for i in (0, 700, 1466):  # window i starts at minute i // 3, third i % 3
        start = (i // 3) * 6000 + (i % 3) * 2000
        peaks = qrs[(qrs >= start) & (qrs < start + 1800)]
        rr = np.diff(peaks) / 100.0
        assert x[i, 0, 0, 0] == pytest.approx(len(peaks) / 18.0)
        assert x[i, 0, 1, 0] == pytest.approx(rr.mean())
        assert x[i, 0, 8, 0] == pytest.approx(np.sqrt(np.mean(np.diff(rr) ** 2)), rel=1e-5)
    assert hrv.FEATURE_NAMES[1] == "rr_mean" and hrv.FEATURE_NAMES[8] == "rmssd"


def test_real_first_minutes_give_three_windows_each(shared):
    folder = shared / "apnea-ecg-first-minute"
    with pytest.warns(UserWarning, match="run past the end of the signal"):
        ds = load("apnea", data_dir=folder, cache=False)
    assert [len(s) for s in ds.splits.values()] == [29 * 3, 6 * 3, 35 * 3]
    signal = wfdb.rdrecord(str(folder / "a01")).p_signal[:, 0].astype(np.float32)
    rows = ds.splits["train"].x[ds.splits["train"].groups == "a01"][:, 0, :, 0]
    for k in range(3):
        window = signal[2000 * k: 2000 * k + 1800]
        np.testing.assert_allclose(rows[k], (window - window.mean()) / (window.std() + 1e-6),
                                   atol=1e-5)


def test_missing_signal_and_labels_are_named(shared, nights, tmp_path):
    with pytest.raises(DataError, match=r"apnea-ecg/a01\.dat: signal file missing"):
        load("apnea", data_dir=shared / "apnea-ecg", records=["a01"], cache=False)
    for ext in ("hea", "dat"):
        shutil.copy(nights / f"b01.{ext}", tmp_path)
    with pytest.raises(DataError, match=r"b01\.apn: annotation file missing"):
        load("apnea", data_dir=tmp_path, records=["b01"], cache=False)
    with pytest.raises(DataError, match="window \\* per_minute <= 6000"):
        load("apnea", data_dir=tmp_path, window=2500, per_minute=3)
