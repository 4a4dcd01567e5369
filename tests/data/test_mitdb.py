"""MIT-BIH on the real DS1 + paced records of the shared data."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import wfdb

from tpw_tf.data import load, mitdb
from tpw_tf.data.records import read_signal
from tpw_tf.errors import DataError

# de Chazal et al. (2004), Table 1: DS1 beats per AAMI class.
PUBLISHED_DS1 = {"N": 45_866, "S": 944, "V": 3_788, "F": 415, "Q": 8}


@pytest.fixture(scope="module")
def aami(shared):
    """DS1 split patient-disjointly, 5 classes, 1 s windows (short for speed)."""
    return load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", task="aami",
                **{**mitdb.PAPER_INPUTS, "window_s": 1.0}, cache=False)


def test_ds1_aami_counts_equal_the_published_ones(aami):
    """Windows plus the beats within half a window of a record's end (no window is
    padded with samples that do not exist) are the published beats."""
    counts = sum(np.bincount(s.y, minlength=5) for s in aami.splits.values())
    parts = ("train", "val", "test")
    edge = {c: sum(aami.info["edge_beats"][s][c] for s in parts) for c in PUBLISHED_DS1}
    assert 0 < sum(edge.values()) <= 2 * 22  # a beat or so at either end of a record
    windowed = dict(zip(aami.class_names, counts.tolist()))
    assert {c: windowed[c] + edge[c] for c in PUBLISHED_DS1} == PUBLISHED_DS1
    assert {c: sum(aami.info["aami_beats"][s][c] for s in parts)
            for c in PUBLISHED_DS1} == windowed


def test_patients_are_disjoint_and_paced_records_unused(aami):
    groups = {name: set(s.groups.tolist()) for name, s in aami.splits.items()}
    assert not groups["train"] & groups["val"]
    assert not (groups["train"] | groups["val"]) & groups["test"]
    assert set().union(*groups.values()) == set(mitdb.DS1)
    assert groups["val"] == set(mitdb.DS1_VAL) and groups["test"] == set(mitdb.DS1_TEST)
    assert not set().union(*groups.values()) & set(mitdb.PACED)
    for name in ("train", "val", "test"):  # each part holds ventricular beats
        assert (aami.splits[name].y == aami.class_names.index("V")).any()


def test_window_is_centred_on_the_beat_of_the_mlii_lead(shared, aami):
    """Record 114 stores MLII second; its first V beat's window is that lead's samples."""
    ann = wfdb.rdann(str(shared / "mitdb/114"), "atr")
    beats = [(s, sym) for s, sym in zip(ann.sample, ann.symbol) if sym in "NLRejAaJSVEF/fQ"]
    k = next(i for i, (_, sym) in enumerate(beats) if sym == "V")
    signal = read_signal(shared / "mitdb/114", leads="MLII")[:, 0]
    window = signal[beats[k][0] - 180: beats[k][0] + 180]
    expected = (window - window.mean()) / (window.std() + 1e-6)
    mask = aami.splits["train"].groups == "114"
    np.testing.assert_allclose(aami.splits["train"].x[mask][k, 0, :, 0], expected, atol=1e-5)
    assert aami.splits["train"].y[mask][k] == aami.class_names.index("V")


def test_binary_task_marks_v_and_e_beats(shared):
    binary = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", window_s=0.5,
                  sample_rate=180.0, template=0, rr=False, records=["106", "119"], cache=False)
    assert binary.class_names == ("non-V", "V")
    assert binary.input_shape == (1, 90, 1)
    v_in_106 = sum(s in "VE" for s in wfdb.rdann(str(shared / "mitdb/106"), "atr").symbol)
    assert int(binary.splits["test"].y.sum()) == v_in_106 == 520


def test_default_split_names_absent_ds2_and_leaves_test_empty(shared):
    with pytest.warns(UserWarning, match="22 record.*absent.*: " + " ".join(mitdb.DS2)):
        ds = load("mitdb", data_dir=shared / "mitdb", window_s=0.5,
                  records=["101", *mitdb.DS2], cache=False)
    assert len(ds.splits["train"]) > 0 and len(ds.splits["test"]) == 0
    with pytest.raises(DataError, match="dataset 'mitdb': split 'test' is empty"):
        ds.require("test")


def test_hrv_features_come_from_reference_beats(shared):
    ds = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", features="hrv",
              records=["115"], cache=False)
    assert ds.input_shape == (1, 16, 1)
    assert ds.info["window_s"] == 5.0  # several beats by default, where raw windows hold one
    x = ds.splits["test"].x[:, 0, :, 0]  # 115 is in DS1_TEST
    # Record 115 is sinus rhythm around 60-75 bpm: mean RR about 0.8-1.0 s everywhere.
    assert 0.75 < np.median(x[:, 1]) < 1.05
    assert np.all(x[:, 0] > 0)


def test_option_errors_name_the_option(shared):
    with pytest.raises(DataError, match="mitdb: unknown split 'ds3'"):
        load("mitdb", data_dir=shared / "mitdb", split="ds3")
    with pytest.raises(DataError, match="mitdb: unknown task 'ten'"):
        load("mitdb", data_dir=shared / "mitdb", task="ten")


def test_truncated_record_in_folder_fails_naming_it(shared, tmp_path):
    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared / f"mitdb/101.{ext}", tmp_path)
    (tmp_path / "101.dat").write_bytes((shared / "mitdb/101.dat").read_bytes()[:5000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the other DS1 records are absent here
        with pytest.raises(DataError, match=r"101\.dat: truncated"):
            load("mitdb", data_dir=tmp_path, split="ds1-patients")
