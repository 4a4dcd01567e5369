"""PTB-XL on the shared 3,149-record subset (folds 1-9)."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from tpw_tf.data import load
from tpw_tf.data import ptbxl as ptbxl_module
from tpw_tf.data.ptbxl import parse_folds
from tpw_tf.data.records import read_signal
from tpw_tf.errors import DataError

# Read by hand from ptbxl_database.csv / scp_statements.csv:
# ecg_id: (patient_id, scp_codes, label; None = no diagnostic statement)
HAND_READ = {
    1: ("15709", "NORM 100, LVOLT 0 (form), SR 0 (rhythm)", 0),
    2: ("13243", "NORM 80, SBRAD 0 (rhythm)", 0),
    8: ("11275", "IMI 35 (diagnostic), ABQRS 0, SR 0", 1),
    17: ("13619", "AFLT, AFIB (rhythm), ABQRS (form): no diagnostic", None),
    22: ("20978", "NDT 100 (diagnostic, STTC), SR 0", 1),
    235: ("15405", "NORM 100 and LAFB 100 (diagnostic)", 1),
    236: ("19277", "NORM 80 and IRBBB 100 (diagnostic)", 1),
}


@pytest.fixture(scope="module")
def ptbxl(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fold 10 is absent from the subset
        return load("ptbxl", data_dir=shared / "ptbxl", folds="1-7/8/9", cache=False)


def test_label_rule_on_hand_read_records(shared):
    ds = load("ptbxl", data_dir=shared / "ptbxl", folds="1-3,5,7/4,6/8-9",
              records=list(HAND_READ), cache=False)
    got = {}
    for split in ds.splits.values():
        for group, y in zip(split.groups.tolist(), split.y.tolist()):
            got.setdefault(group, []).append(y)
    # Each hand-read record is its patient's only record in this selection.
    expected = {patient: [label] for patient, _, label in HAND_READ.values()
                if label is not None}
    assert got == expected  # record 17 (patient 13619) has no diagnostic statement: left out
    assert ds.info["no_diagnostic_statement"] == 1


def test_patients_are_disjoint_and_folds_followed(ptbxl):
    groups = {name: set(s.groups.tolist()) for name, s in ptbxl.splits.items()}
    assert not groups["train"] & groups["val"]
    assert not (groups["train"] | groups["val"]) & groups["test"]
    assert [len(s) for s in ptbxl.splits.values()] == [2375, 323, 357]
    assert ptbxl.input_shape == (1, 1000, 12)  # every lead by default


def test_window_is_every_lead_standardised_in_the_records_order(shared, ptbxl):
    # The first record of fold 1 in file order is ecg_id 32 (patient 11154).
    leads = read_signal(shared / "ptbxl/records100/00000/00032_lr", leads=list(ptbxl_module.LEADS))
    index = ptbxl.splits["train"].groups.tolist().index("11154")
    np.testing.assert_allclose(ptbxl.splits["train"].x[index, 0],
                               (leads - leads.mean(axis=0)) / (leads.std(axis=0) + 1e-6), atol=1e-5)
    lead_ii = load("ptbxl", data_dir=shared / "ptbxl", lead="II", records=[32], folds="1-7/8/9", cache=False)
    np.testing.assert_allclose(lead_ii.splits["train"].x[0, 0, :, 0], ptbxl.splits["train"].x[index, 0, :, 1], atol=1e-5)


def test_missing_fold_is_named_and_its_split_empty(shared):
    with pytest.warns(UserWarning, match=r"ptbxl_database\.csv: no records in strat_fold 10"):
        ds = load("ptbxl", data_dir=shared / "ptbxl", records=range(1, 60), cache=False)
    assert len(ds.splits["test"]) == 0 and ds.info["absent_folds"] == [10]


def test_missing_record_is_named_not_a_crash(shared, tmp_path):
    shutil.copy(shared / "ptbxl/ptbxl_database.csv", tmp_path)
    shutil.copy(shared / "ptbxl/scp_statements.csv", tmp_path)
    (tmp_path / "records100/00000").mkdir(parents=True)
    for ecg_id in (1, 2):
        for ext in ("hea", "dat"):
            shutil.copy(shared / f"ptbxl/records100/00000/{ecg_id:05d}_lr.{ext}",
                        tmp_path / "records100/00000")
    with pytest.warns(UserWarning, match=r"1 record\(s\) absent.*records100/00000/00008_lr"):
        ds = load("ptbxl", data_dir=tmp_path, folds="1-3/4-8/9", records=[1, 2, 8],
                  cache=False)
    assert len(ds.splits["train"]) == 2 and ds.info["absent_records"] == [
        "records100/00000/00008_lr"]


def test_leads_are_configurable(shared):
    ds = load("ptbxl", data_dir=shared / "ptbxl", lead=["I", "V5"], folds="1-7/8/9",
              records=range(1, 40), cache=False)
    assert ds.input_shape == (1, 1000, 2)


def test_fold_option_errors_are_named():
    assert parse_folds("1-7/8/9") == {"train": tuple(range(1, 8)), "val": (8,), "test": (9,)}
    with pytest.raises(DataError, match="folds must be 'train/val/test'"):
        parse_folds("1-8/9")
    with pytest.raises(DataError, match=r"folds \[8\] are in two splits"):
        parse_folds("1-8/8/9")
    with pytest.raises(DataError, match="'x' is not a fold"):
        parse_folds("1-7/x/9")


def test_record_without_samples_is_named(shared, tmp_path):
    shutil.copy(shared / "ptbxl/ptbxl_database.csv", tmp_path)
    shutil.copy(shared / "ptbxl/scp_statements.csv", tmp_path)
    folder = tmp_path / "records100/00000"
    folder.mkdir(parents=True)
    shutil.copy(shared / "ptbxl/records100/00000/00001_lr.dat", folder)
    header = (shared / "ptbxl/records100/00000/00001_lr.hea").read_text().split("\n")
    header[0] = " ".join(header[0].split()[:3] + ["0"] + header[0].split()[4:])
    (folder / "00001_lr.hea").write_text("\n".join(header))
    with pytest.raises(DataError, match=r"00001_lr\.hea: signal length 0, a record needs samples"):
        load("ptbxl", data_dir=tmp_path, folds="1-3/4-8/9", records=[1], cache=False)
