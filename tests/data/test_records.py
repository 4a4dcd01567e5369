"""WFDB decoding equals wfdb.rdrecord on real records; every bad record file is named."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import wfdb

from tpw_tf.data.checksums import verify_files
from tpw_tf.data.records import read_annotation, read_signal
from tpw_tf.errors import DataError


@pytest.mark.parametrize("record", [
    "mitdb/114",                          # format 212, MLII stored second
    "mitdb/208",                          # format 212
    "ptbxl/records100/00000/00001_lr",    # format 16, 12 leads
    "apnea-ecg-first-minute/x01",         # format 16, 1 lead
])
def test_decoding_equals_wfdb_bit_for_bit(shared, record):
    reference = wfdb.rdrecord(str(shared / record))
    ours = read_signal(shared / record, leads=list(range(reference.n_sig)))
    np.testing.assert_array_equal(ours, np.nan_to_num(reference.p_signal).astype(np.float32))


def test_lead_is_chosen_by_name(shared):
    by_name = read_signal(shared / "mitdb/114", leads="MLII")
    np.testing.assert_array_equal(by_name, read_signal(shared / "mitdb/114", leads=1))


@pytest.fixture
def record_101(shared, tmp_path):
    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared / f"mitdb/101.{ext}", tmp_path)
    shutil.copy(shared / "mitdb/SHA256SUMS.txt", tmp_path)
    return tmp_path / "101"


def test_truncated_signal_file_is_named(record_101):
    dat = record_101.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[:1_000_000])
    with pytest.raises(DataError, match=r"101\.dat: truncated, 1000000 bytes but the header "
                                        r"needs 1950000"):
        read_signal(record_101, leads="MLII")


def test_missing_signal_file_is_named(record_101):
    record_101.with_suffix(".dat").unlink()
    with pytest.raises(DataError, match=r"101\.dat: signal file missing"):
        read_signal(record_101, leads="MLII")


def test_wrong_sampling_rate_is_named(record_101):
    with pytest.raises(DataError, match=r"101\.hea: sampling rate 360 Hz, expected 250 Hz"):
        read_signal(record_101, leads="MLII", fs=250)


def test_absent_lead_is_named(record_101):
    with pytest.raises(DataError, match=r"101\.hea: no lead 'V5' \(leads: MLII, V1\)"):
        read_signal(record_101, leads="V5")


def test_malformed_header_is_named(record_101):
    record_101.with_suffix(".hea").write_text("101 two 360\n")
    with pytest.raises(DataError, match=r"101\.hea: record line: number of signals 'two' "
                                        r"is not a whole number"):
        read_signal(record_101, leads=0)


def test_missing_annotation_is_named(record_101):
    with pytest.raises(DataError, match=r"101\.qrs: annotation file missing"):
        read_annotation(record_101, "qrs")


def test_mismatched_file_fails_its_published_checksum(record_101):
    verify_files(record_101.parent, ["101.atr", "101.dat"])  # genuine files pass
    atr = record_101.with_suffix(".atr")
    atr.write_bytes(atr.read_bytes()[:100])  # wfdb would read this silently as 46 beats
    with pytest.raises(DataError, match=r"101\.atr: SHA-256 .* does not match the published"):
        verify_files(record_101.parent, ["101.atr"])
