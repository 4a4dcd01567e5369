"""The WFDB cases of ../shared/cases (issue 10): exact reading, channels by position,
annotations past the end dropped with a warning, no window from samples that do not exist.
wfdb's own reading is the expected value."""
from __future__ import annotations

import numpy as np
import pytest
import wfdb

from tpw_tf.data import load, mitdb, windows
from tpw_tf.data.cli import main
from tpw_tf.data.records import read_annotation, read_signal

# The paper's 5 s windows at 360 Hz, the inputs these cases were written against.
PAPER_OPTIONS = [arg for key, value in mitdb.PAPER_INPUTS.items()
                 for arg in ("-o", f"{key}={str(value).lower() if isinstance(value, bool) else value}")]


def _wfdb_signal(record) -> np.ndarray:
    return np.nan_to_num(wfdb.rdrecord(str(record)).p_signal).astype(np.float32)


def test_odd_212_reads_every_sample_as_wfdb(case):
    record = case("wfdb-odd-212") / "101"
    ours = read_signal(record, leads=0)
    assert ours.shape == (3601, 1)
    np.testing.assert_array_equal(ours, _wfdb_signal(record))


def test_odd_212_loads_through_the_command_line(case, capsys):
    argv = ["info", "mitdb", "--data-dir", str(case("wfdb-odd-212")), "-o", "split=ds1-patients",
            "-o", "records=101", "--no-cache", *PAPER_OPTIONS]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # 5 s windows: the beats at 1,080 ... 2,580 have 900 samples on both sides.
    assert "train          6       1" in out
    assert "beats within half a window of a record's end, without a window: 5" in out


def test_repeated_signal_lines_address_channels_by_position(case):
    record = case("wfdb-repeated-signal-lines") / "101"
    reference = _wfdb_signal(record)
    assert not np.array_equal(reference[:, 0], reference[:, 1])  # the case's point
    for channel in (0, 1):
        np.testing.assert_array_equal(read_signal(record, leads=channel)[:, 0],
                                      reference[:, channel])
    np.testing.assert_array_equal(read_signal(record, leads=[1, 0]), reference[:, ::-1])


@pytest.mark.parametrize("where, dropped", [("far", "N at 50000"), ("near", "V at 3700")])
def test_annotation_past_the_end_is_dropped_with_a_warning_naming_it(case, where, dropped):
    record = case(f"wfdb-annotation-past-end/{where}") / "101"
    reference = wfdb.rdann(str(record), "atr")
    with pytest.warns(UserWarning, match=rf"101\.atr: 1 annotation\(s\) outside the signal of "
                                         rf"3600 samples dropped: {dropped}$"):
        samples, symbols = read_annotation(record, "atr", length=3600)
    inside = reference.sample < 3600
    np.testing.assert_array_equal(samples, reference.sample[inside])
    assert symbols.tolist() == np.asarray(reference.symbol)[inside].tolist()


@pytest.mark.parametrize("where", ["far", "near"])
def test_no_window_is_made_past_the_end(case, where):
    folder = case(f"wfdb-annotation-past-end/{where}")
    with pytest.warns(UserWarning, match="outside the signal"):
        ds = load("mitdb", data_dir=folder, split="ds1-patients", records=["101"],
                  **{**mitdb.PAPER_INPUTS, "window_s": 0.5, "normalize": False}, cache=False)
    train = ds.splits["train"]
    signal = _wfdb_signal(folder / "101")[:, 0]
    reference = wfdb.rdann(str(folder / "101"), "atr")
    beats = reference.sample[reference.sample < len(signal)]
    assert len(train) == len(beats) == 3  # 180, 480 and 780 fit a 180-sample window
    for window, beat in zip(train.x[:, 0, :, 0], beats):
        np.testing.assert_array_equal(window, signal[beat - 90: beat + 90])
    assert train.y.tolist() == [int(s in "VE") for s in np.asarray(reference.symbol)[:3]]


def test_annotation_past_the_end_is_a_warning_on_the_command_line(case, capsys):
    folder = case("wfdb-annotation-past-end/near")
    assert main(["info", "mitdb", "--data-dir", str(folder), "-o", "split=ds1-patients",
                 "-o", "records=101", "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {folder / '101.atr'}: 1 annotation(s) outside the signal" in err
    assert "Traceback" not in err


def test_beats_too_near_an_end_for_a_window_are_counted_not_padded(case):
    ds = load("mitdb", data_dir=case("wfdb-odd-212"), split="ds1-patients", records=["101"],
              **mitdb.PAPER_INPUTS, cache=False)
    # Beats at 180 ... 3,180 of 3,601 samples, 900-sample half windows: 1,080 ... 2,580 fit.
    assert ds.info["aami_beats"]["train"] == {"N": 6, "S": 0, "V": 0, "F": 0, "Q": 0}
    assert ds.info["edge_beats"]["train"] == {"N": 4, "S": 0, "V": 1, "F": 0, "Q": 0}


def test_take_refuses_windows_that_overhang():
    signal = np.arange(10, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(windows.take(signal, np.array([0, 6]), 4)[:, :, 0],
                                  [[0, 1, 2, 3], [6, 7, 8, 9]])
    for starts in ([-1], [7]):
        with pytest.raises(ValueError, match="overhang a signal of 10 samples"):
            windows.take(signal, np.array(starts), 4)
    assert windows.fits(np.array([-1, 0, 6, 7]), 4, 10).tolist() == [False, True, True, False]
