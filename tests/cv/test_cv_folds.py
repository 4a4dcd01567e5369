"""Grouped folds: a group is in one role of each fold, tested once and validated once over the K folds;
bad K is one ``error:`` line before any work, and a folder of another configuration is refused."""
import json

import numpy as np
import pytest

from tpw_eval import cross_validation as cv
from tpw_eval.cross_validation import POOL_OPTIONS
from tpw_tf import data


def check_disjoint(dataset, folds):
    """Every fold's train / val / test groups are disjoint and together every group; over the folds each
    group is tested once and validated once. Returns the fold of every group."""
    pool = cv.pooled(dataset)
    everyone = set(pool.groups.tolist())
    fold_of = cv.assign_folds(pool.y, pool.groups, folds, seed=0)
    assert set(fold_of) == everyone and set(fold_of.values()) == set(range(folds))
    tested, validated = [], []
    for fold in range(folds):
        part = cv.fold_dataset(dataset, pool, fold_of, fold, folds)
        train, val, test = (set(part.splits[role].groups.tolist()) for role in cv.ROLES)
        assert train and val and test
        assert not train & val and not train & test and not val & test
        assert train | val | test == everyone
        assert sum(len(part.splits[role]) for role in cv.ROLES) == len(pool)
        tested += sorted(test)
        validated += sorted(val)
    assert sorted(tested) == sorted(everyone) and sorted(validated) == sorted(everyone)
    return fold_of


def test_synthetic_subjects_never_cross_folds():
    dataset = data.load("synthetic", per_subject=6)
    assert len(check_disjoint(dataset, 5)) == 36
    assert sorted(check_disjoint(dataset, 36).values()) == list(range(36))  # K = groups: one subject a fold


def test_mitdb_ds1_records_never_cross_folds(shared_folder):
    from tpw_tf.data.mitdb import DS1

    options = dict(POOL_OPTIONS["mitdb"], sample_rate=60.0, window_s=1.0, cache=False)
    fold_of = check_disjoint(data.load("mitdb", data_dir=shared_folder("mitdb"), **options), 5)
    assert sorted(fold_of) == sorted(DS1)  # DS1's 22 records, each one patient; DS2 left alone


def test_ptbxl_patients_never_cross_folds(shared_folder):
    dataset = data.load("ptbxl", data_dir=shared_folder("ptbxl"), cache=False)
    assert len(check_disjoint(dataset, 5)) > 1000


def test_speech_speakers_never_cross_folds(shared_folder):
    """The loader's own clip list (labels and speaker groups; MFCCs left out, they cost minutes)."""
    from tpw_tf.data.speech import _package_clips

    clips = _package_clips(shared_folder("speech_commands"))
    y, groups = np.array([c[1] for c in clips]), np.array([c[2] for c in clips])
    split = data.Split(np.zeros((len(y), 1, 1, 1), np.float32), y, groups)
    empty = data.Split.empty(1, 1)
    dataset = data.Dataset("speech", {"train": split, "val": empty, "test": empty}, 1.0, tuple(map(str, range(12))))
    assert len(check_disjoint(dataset, 5)) > 100


@pytest.mark.parametrize("folds, message", [
    (2, "error: --folds must be an int >= 3 (each fold needs test, validation and training groups), got 2"),
    (1, "error: --folds must be an int >= 3 (each fold needs test, validation and training groups), got 1"),
    (-4, "error: --folds must be an int >= 3 (each fold needs test, validation and training groups), got -4"),
    (37, "error: --folds 37: the data has only 36 groups (records / patients / speakers); "
         "every fold needs at least one"),
])
def test_bad_folds_are_one_line_and_write_nothing(tmp_path, capsys, folds, message):
    out = tmp_path / "cv"
    status = cv.main(["--dataset", "synthetic", "-o", "per_subject=3", "--folds", str(folds), "--out", str(out)])
    assert status == 1
    assert capsys.readouterr().err.strip().splitlines() == [message]
    assert not out.exists()


def test_a_bad_training_option_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "cv"
    status = cv.main(["--dataset", "synthetic", "-t", "kd_alpha=2", "--out", str(out)])
    assert status == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: training option kd_alpha must be in [0, 1], got 2"]
    assert not out.exists()


def test_a_folder_of_another_configuration_is_refused(tmp_path, capsys):
    out = tmp_path / "cv"
    out.mkdir()
    (out / "plan.json").write_text(json.dumps({"key": "0123456789abcdef"}))
    (out / "fold-0.json").write_text(json.dumps({"key": "0123456789abcdef"}))
    status = cv.main(["--dataset", "synthetic", "-o", "per_subject=3", "--folds", "3", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1
    assert err[0].startswith(f"error: {out}: holds a cross-validation of another configuration (key 0123456789abcdef")
    assert sorted(p.name for p in out.iterdir()) == ["fold-0.json", "plan.json"]


def test_a_bad_model_value_is_one_line_and_its_folder_is_reused(tmp_path, capsys):
    """The zoo checks values when the first fold builds its model: the plan is then all the folder holds,
    and a run with another configuration takes the folder over, since no fold finished."""
    out = tmp_path / "cv"
    args = ["--dataset", "synthetic", "-o", "per_subject=3", "--folds", "3", "--out", str(out), "--quiet"]
    assert cv.main(args + ["-m", "width=0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: model 'hypertinypw': width must be an int >= 1, got 0"
    assert [line for line in err if line.startswith("error")] == err[-1:]
    assert [p.name for p in out.iterdir()] == ["plan.json"]
    cv._claim(out, "fedcba9876543210", {"key": "fedcba9876543210"})
    assert json.loads((out / "plan.json").read_text()) == {"key": "fedcba9876543210"}


def test_t_interval_is_the_student_t_interval():
    # mean 0.9, s 0.1, K 3: t(0.975, 2) = 4.302653 -> half-width 0.1 * 4.302653 / sqrt(3) = 0.248414
    low, high = cv.t_interval(np.array([0.8, 0.9, 1.0]))
    assert low == pytest.approx(0.9 - 0.248414, abs=1e-6) and high == pytest.approx(0.9 + 0.248414, abs=1e-6)
