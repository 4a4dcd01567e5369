"""Every WFDB storage format and header variant wfdb writes reads as ``wfdb.rdrecord`` reads it
(fast NumPy path or wfdb fallback); every bad header field is one DataError naming it."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import wfdb

from tpw_tf.data.records import read_annotation, read_signal
from tpw_tf.data.wfdb_header import WFDB_FORMATS
from tpw_tf.errors import DataError


def _digital(length: int, n_sig: int, seed: int = 0) -> np.ndarray:
    """A random walk within +-100 adu: in range of every format, small steps for format 8."""
    steps = np.random.default_rng(seed).integers(-3, 4, size=(length, n_sig))
    return np.clip(np.cumsum(steps, axis=0), -100, 100).astype(np.int32)


# Formats wfdb 4.3 writes; the others are written here as random bytes: whatever wfdb reads
# from them is the expected value.
WRITABLE = ("16", "24", "32", "80", "212", "508", "516", "524")
UNWRITABLE_BYTES = {"8": 1, "61": 2, "160": 2, "310": Fraction(4, 3), "311": Fraction(4, 3)}


def _write(folder, fmt: str, length: int, n_sig: int) -> str:
    """Record ``folder/rec``: ``n_sig`` signals of ``length`` samples in one ``rec.dat``."""
    gains, baselines = [200.0 + 7 * i for i in range(n_sig)], [3 * i - 4 for i in range(n_sig)]
    if fmt in WRITABLE:
        wfdb.wrsamp("rec", fs=360, units=["mV"] * n_sig,
                    sig_name=[f"s{i}" for i in range(n_sig)], d_signal=_digital(length, n_sig),
                    fmt=[fmt] * n_sig, adc_gain=gains, baseline=baselines,
                    write_dir=str(folder))
    else:
        # Whole 4-byte blocks: format 310 keeps a block's third sample in bytes 1 and 3.
        size = -(-math.ceil(length * n_sig * UNWRITABLE_BYTES[fmt]) // 4) * 4
        (folder / "rec.dat").write_bytes(np.random.default_rng(1).bytes(size))
        (folder / "rec.hea").write_text(f"rec {n_sig} 360 {length}\n" + "".join(
            f"rec.dat {fmt} {g}({b})/mV 10 0 0 0 0 s{i}\n"
            for i, (g, b) in enumerate(zip(gains, baselines))))
    return str(folder / "rec")


def _reference(record: str) -> np.ndarray:
    return np.nan_to_num(wfdb.rdrecord(record).p_signal).astype(np.float32)


def _assert_reads_as_wfdb(record: str):
    reference = _reference(record)
    ours = read_signal(record, leads=list(range(reference.shape[1])))
    np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("length", [1000, 1001])
@pytest.mark.parametrize("n_sig", [1, 2, 3])
@pytest.mark.parametrize("fmt", WFDB_FORMATS)
def test_every_format_and_sample_count_reads_as_wfdb(tmp_path, fmt, n_sig, length):
    _assert_reads_as_wfdb(_write(tmp_path, fmt, length, n_sig))


def test_several_samples_per_frame_read_as_wfdb_smooths_them(tmp_path):
    e_d = [_digital(2002, 1)[:, 0], _digital(1001, 1, seed=1)[:, 0]]
    wfdb.wrsamp("rec", fs=360, units=["mV", "mV"], sig_name=["fast", "slow"], e_d_signal=e_d,
                samps_per_frame=[2, 1], fmt=["16", "16"], adc_gain=[200.0, 100.0],
                baseline=[0, 5], write_dir=str(tmp_path))
    reference = np.nan_to_num(wfdb.rdrecord(str(tmp_path / "rec"), smooth_frames=True)
                              .p_signal).astype(np.float32)
    np.testing.assert_array_equal(read_signal(tmp_path / "rec", leads=["fast", "slow"]),
                                  reference)


def _edit_header(record: str, old: str, new: str):
    hea = f"{record}.hea"
    text = open(hea).read()
    assert old in text
    open(hea, "w").write(text.replace(old, new, 1))


def test_skew_is_read_by_wfdb(tmp_path):
    record = _write(tmp_path, "16", 1000, 2)
    _edit_header(record, "rec.dat 16 207.0", "rec.dat 16:3 207")
    _assert_reads_as_wfdb(record)


def test_header_without_a_length_is_read_by_wfdb(tmp_path):
    record = _write(tmp_path, "212", 1001, 3)
    _edit_header(record, "rec 3 360 1001", "rec 3 360")
    reference = _reference(record)
    assert len(reference) == 1001  # wfdb counts the frames of the file
    np.testing.assert_array_equal(read_signal(record, leads=[0, 1, 2]), reference)


def _two_files(folder, files: tuple[str, ...]) -> str:
    """Three format-16 signals named alike, stored in ``a.dat`` / ``b.dat`` as ``files`` says."""
    rng = np.random.default_rng(2)
    for name in set(files):
        (folder / f"{name}.dat").write_bytes(rng.bytes(999 * 2 * files.count(name)))
    (folder / "rec.hea").write_text("rec 3 500 999\n" + "".join(
        f"{f}.dat 16 {100 * (i + 1)}(0)/mV 16 0 0 0 0 ECG\n" for i, f in enumerate(files)))
    return str(folder / "rec")


def test_signals_in_two_files_are_found_by_position(tmp_path):
    _assert_reads_as_wfdb(_two_files(tmp_path, ("a", "a", "b")))


def test_signals_of_one_file_on_separate_lines_are_refused(tmp_path):
    record = _two_files(tmp_path, ("a", "b", "a"))
    with pytest.raises(Exception):  # wfdb fails too: header(5) wants them consecutive
        wfdb.rdrecord(record)
    with pytest.raises(DataError, match=r"rec\.hea: signal 2: file 'a\.dat' is not consecutive "
                                        r"with the other signal lines naming it"):
        read_signal(record, leads=0)


def test_byte_offset_on_the_fast_path(tmp_path):
    record = _write(tmp_path, "212", 1001, 1)
    dat = tmp_path / "rec.dat"
    dat.write_bytes(b"\x07" * 10 + dat.read_bytes())
    _edit_header(record, "rec.dat 212", "rec.dat 212+10")
    _assert_reads_as_wfdb(record)


def test_multi_segment_record_is_read_by_wfdb(tmp_path):
    for i, name in enumerate(("seg1", "seg2")):
        wfdb.wrsamp(name, fs=360, units=["mV"], sig_name=["ECG"],
                    d_signal=_digital(500, 1, seed=i), fmt=["16"], adc_gain=[200.0],
                    baseline=[0], write_dir=str(tmp_path))
    (tmp_path / "multi.hea").write_text("multi/2 1 360 1000\nseg1 500\nseg2 500\n")
    reference = _reference(str(tmp_path / "multi"))
    assert reference.shape == (1000, 1)
    np.testing.assert_array_equal(read_signal(tmp_path / "multi", leads="ECG", fs=360),
                                  reference)


def test_wfdb_exceptions_become_one_line_naming_the_header(tmp_path):
    record = _write(tmp_path, "310", 999, 3)
    (tmp_path / "rec.dat").unlink()
    with pytest.raises(DataError, match=r"rec\.hea: wfdb cannot read the record "
                                        r"\(FileNotFoundError: .*\)$"):
        read_signal(record, leads=0)


@pytest.mark.parametrize("old, new, message", [
    ("rec 2 360 1000", "rec two 360 1000", r"record line: number of signals 'two'"),
    ("rec 2 360 1000", "rec 2 0 1000", r"record line: sampling frequency '0' is not a number > 0"),
    ("rec 2 360 1000", "rec 2 nan 1000", r"record line: sampling frequency 'nan'"),
    ("rec 2 360 1000", "rec 2 360 -5", r"record line: signal length '-5'"),
    ("rec 2 360 1000", "rec 3 360 1000", r"record line declares 3 signals, 2 signal lines follow"),
    ("rec.dat 212 207.0", "rec.dat 999 207.0", r"signal 1: format '999' is not a WFDB storage"),
    ("rec.dat 212 207.0", "rec.dat 212x 207.0", r"signal 1: format field '212x'"),
    ("rec.dat 212 207.0", "rec.dat 212x0 207.0", r"signal 1: samples per frame '0'"),
    ("rec.dat 212 207.0", "rec.dat 16 207.0", r"signal 1: format '16' is not 212, the format of "
                                          r"the other signals in rec\.dat"),
    ("rec.dat 212 207.0(-1)", "rec.dat 212 abc(-1)", r"signal 1: gain field 'abc\(-1\)/mV'"),
    ("rec.dat 212 207.0(-1)", "rec.dat 212 1e999(-1)", r"signal 1: gain '1e999'"),
    ("rec.dat 212 207.0(-1)/mV 12 0", "rec.dat 212 207.0(-1)/mV 12 x",
     r"signal 1: ADC zero 'x'"),
])
def test_bad_header_field_is_named(tmp_path, old, new, message):
    record = _write(tmp_path, "212", 1000, 2)
    _edit_header(record, old, new)
    with pytest.raises(DataError, match=rf"rec\.hea: {message}"):
        read_signal(record, leads=0)


def test_tiny_gain_overflowing_float32_is_refused(tmp_path):
    record = _write(tmp_path, "16", 100, 1)
    _edit_header(record, "rec.dat 16 200.0", "rec.dat 16 1e-40")
    with pytest.raises(DataError, match=r"rec\.hea: physical values beyond float32 range"):
        read_signal(record, leads=0)


def _mitdb_records(shared):
    return [r for r in (shared / "mitdb/RECORDS").read_text().split()
            if (shared / f"mitdb/{r}.hea").exists()]


def test_every_shared_mitdb_record_and_its_beats_read_as_wfdb(shared):
    for name in _mitdb_records(shared):
        record = str(shared / "mitdb" / name)
        _assert_reads_as_wfdb(record)
        reference = wfdb.rdann(record, "atr")
        samples, symbols = read_annotation(record, "atr",
                                           length=wfdb.rdheader(record).sig_len)
        np.testing.assert_array_equal(samples, reference.sample)
        assert symbols.tolist() == list(reference.symbol)


def test_every_first_minute_apnea_record_reads_as_wfdb(shared):
    folder = shared / "apnea-ecg-first-minute"
    if not folder.is_dir():
        pytest.skip(f"{folder} not in the shared data")
    for hea in sorted(folder.glob("*.hea")):
        _assert_reads_as_wfdb(str(hea.with_suffix("")))
