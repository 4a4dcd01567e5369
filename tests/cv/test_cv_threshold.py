"""The binary decision threshold of a real cross-validation (three folds trained, exported and run as INT8
files) is the pooled out-of-fold one: recomputed here from the fold files by brute force with
scikit-learn's F1, it matches what ``cv.json`` stores, and so do the per-fold scores."""
import dataclasses
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score

from tpw_eval import cross_validation as cv
from tpw_tf import data

SMALL_CNN = dict(width=8, depth=2, stem_filters=8)
FOLDS = 3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """``(out folder, report)`` of a 3-fold run on synthetic rhythms folded to regular vs abnormal."""
    dataset = data.load("synthetic", per_subject=12)
    splits = {name: data.Split(s.x, (s.y != 0).astype(np.int64), s.groups) for name, s in dataset.splits.items()}
    dataset = dataclasses.replace(dataset, splits=splits, class_names=("regular", "abnormal"))
    out = tmp_path_factory.mktemp("cv")
    report = cv.cross_validate(dataset, out, folds=FOLDS, model_name="tiny_separable_cnn", model_config=SMALL_CNN,
                               epochs=1, resamples=50, progress=False, log=lambda line: None)
    return out, report


def best_threshold(y, scores):
    """Max macro-F1 over every distinct score as ``score >= t``, ties to the one nearest 0.5: by brute force."""
    candidates = np.unique(scores)
    f1 = np.array([f1_score(y, (scores >= t).astype(int), average="macro", zero_division=0) for t in candidates])
    best = candidates[np.isclose(f1, f1.max(), rtol=0, atol=1e-12)]
    return float(best[np.argmin(np.abs(best - 0.5))])


def test_thresholds_are_the_pooled_out_of_fold_ones(run):
    out, report = run
    folds = [json.loads((out / f"fold-{f}.json").read_text()) for f in range(FOLDS)]
    assert json.loads((out / "cv.json").read_text())["threshold"] == report["threshold"]
    for f, fold in enumerate(folds):
        # The validation folds used are every fold's but the one that validated on fold f's test groups.
        used = [g for g in range(FOLDS) if g != (f - 1) % FOLDS]
        assert all(not set(folds[g]["groups"]["val"]) & set(fold["groups"]["test"]) for g in used)
        y = np.concatenate([folds[g]["val"]["y"] for g in used])
        scores = np.concatenate([np.asarray(folds[g]["val"]["scores"])[:, 1] for g in used])
        assert len(set(np.concatenate([folds[g]["val"]["groups"] for g in used]))) == 24  # 2 of 3 folds' subjects
        assert report["threshold"]["per_fold"][f] == best_threshold(y, scores)
    everything = np.concatenate([fold["val"]["y"] for fold in folds])
    assert report["threshold"]["shipped"] == best_threshold(
        everything, np.concatenate([np.asarray(fold["val"]["scores"])[:, 1] for fold in folds]))
    assert "pooled out-of-fold validation" in report["threshold"]["rule"]


def test_fold_scores_are_the_int8_files_at_those_thresholds(run):
    out, report = run
    values = []
    for f, row in enumerate(report["per_fold"]):
        test = json.loads((out / f"fold-{f}.json").read_text())["test"]
        y, scores = np.asarray(test["y"]), np.asarray(test["scores"])[:, 1]
        expected = f1_score(y, (scores >= row["threshold"]).astype(int), average="macro", zero_division=0)
        assert row["macro_f1"]["value"] == pytest.approx(expected, abs=1e-12)
        assert row["file_bytes"] == (out / f"fold-{f}.tflite").stat().st_size
        # INT8 softmax outputs step in 1/256: the scores are the file's, not the float model's.
        np.testing.assert_allclose(scores * 256, np.round(scores * 256), atol=1e-9)
        values.append(expected)
    summary = report["summary"]["macro_f1"]
    assert summary["mean"] == pytest.approx(np.mean(values)) and summary["worst"] == pytest.approx(min(values))
