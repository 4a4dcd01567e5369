"""``tpw-cv`` killed after its first fold resumes without redoing it and writes the fold files an
uninterrupted run writes: three real runs (killed, restarted, straight) of 3 folds on synthetic data."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ARGS = ["--dataset", "synthetic", "-o", "per_subject=6", "--folds", "3", "--epochs", "1", "--quiet",
        "--resamples", "50", "--model", "tiny_separable_cnn", "-m", "width=8", "-m", "depth=2", "-m", "stem_filters=8"]


TIMING = ("seconds", "cpu_seconds")  # what legitimately differs between two identical runs


def tpw_cv(out):
    return subprocess.Popen([sys.executable, "-m", "tpw_eval.cross_validation", *ARGS, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def fold_files(out):
    return sorted(out.glob("fold-*"))


def without_timing(path):
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in TIMING}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``(resumed folder, fold-0 files' bytes and mtimes before the restart, restart stderr, straight folder)``."""
    out, straight_out = tmp_path_factory.mktemp("resumed"), tmp_path_factory.mktemp("straight")
    straight = tpw_cv(straight_out)
    first = tpw_cv(out)
    while not (out / "fold-0.json").exists() and first.poll() is None:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    kept = fold_files(out)
    assert [p.name for p in kept] == ["fold-0.json", "fold-0.tflite"], "the run must be killed after fold 0"
    before = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in kept}
    second = tpw_cv(out)
    _, err = second.communicate()
    assert second.returncode == 0, err
    _, straight_err = straight.communicate()
    assert straight.returncode == 0, straight_err
    return out, before, err, straight_out


def test_finished_fold_is_skipped_and_untouched(runs):
    out, before, err, _ = runs
    assert "[fold 1/3] done before, skipped" in err
    assert "[fold 2/3] train" in err and "[fold 3/3] done in" in err
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data and os.stat(path).st_mtime_ns == mtime


def test_resumed_fold_files_equal_an_uninterrupted_run(runs):
    out, _, _, straight_out = runs
    assert [p.name for p in fold_files(out)] == [p.name for p in fold_files(straight_out)]
    for path in fold_files(out):
        twin = straight_out / path.name
        if path.suffix == ".tflite":
            assert path.read_bytes() == twin.read_bytes()
        else:
            assert without_timing(path) == without_timing(twin)
    resumed, straight = (json.loads((o / "cv.json").read_text()) for o in (out, straight_out))
    for report in (resumed, straight):
        for row in report["per_fold"]:
            row.pop("seconds")
    assert resumed == straight
