"""tpw-eval on real INT8 flatbuffers: scores come from the flatbuffer, t* from validation only."""
import dataclasses
import json

import numpy as np
import pytest

import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from tpw_eval import evaluate
from tpw_export.convert import convert
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_tf import data, metrics
from tpw_tf.data import Split
from tpw_tf.models import build_model
from tpw_tf.train import predict, seed_everything, train

SMALL_CNN = dict(width=8, depth=2, stem_filters=8)


def _binary(dataset):
    """Synthetic rhythm classes folded to 'regular' vs 'abnormal'."""
    splits = {name: Split(s.x, (s.y != 0).astype(np.int64), s.groups) for name, s in dataset.splits.items()}
    return dataclasses.replace(dataset, splits=splits, class_names=("regular", "abnormal"))


def _export(dataset, path):
    seed_everything(0)
    model = build_model("tiny_separable_cnn", dataset.input_shape, dataset.num_classes, **SMALL_CNN)
    train(model, dataset, epochs=2, seed=0, batch_size=32, progress=False)
    path.write_bytes(convert(model, dataset.splits["train"].x))
    return path, model


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    dataset = _binary(data.load("synthetic", per_subject=12))
    path, model = _export(dataset, tmp_path_factory.mktemp("binary") / "binary.tflite")
    return dataset, path, model


@pytest.fixture(scope="module")
def three_class(tmp_path_factory):
    dataset = data.load("synthetic")  # what `tpw-eval --dataset synthetic` loads
    path, _ = _export(dataset, tmp_path_factory.mktemp("three") / "three.tflite")
    return dataset, path


def test_scores_are_the_int8_flatbuffer_outputs(binary):
    dataset, path, model = binary
    x = dataset.splits["test"].x
    raw, probabilities = evaluate.run_int8(path, x)
    flatbuffer = path.read_bytes()
    np.testing.assert_array_equal(raw, run_tflm(flatbuffer, quantize_inputs(flatbuffer, x)))
    # INT8 softmax outputs step in 1/256 (zero point -128) and differ from the float model's.
    np.testing.assert_allclose(probabilities * 256, np.round(probabilities * 256), atol=1e-9)
    float_probabilities = predict(model, x)
    assert 0 < np.abs(probabilities - float_probabilities).max() < 0.1


def test_threshold_is_tuned_on_validation_and_ignores_test_labels(binary):
    dataset, path, _ = binary
    report = evaluate.evaluate(path, dataset, resamples=50)
    test = dataset.splits["test"]
    poisoned = dataclasses.replace(dataset, splits={**dataset.splits,
                                                    "test": Split(test.x, 1 - test.y, test.groups)})
    poisoned_report = evaluate.evaluate(path, poisoned, resamples=50)
    assert poisoned_report["threshold"] == report["threshold"]
    assert poisoned_report["macro_f1"]["value"] != report["macro_f1"]["value"]
    # and it is the best threshold for the INT8 validation scores, computed here independently
    flatbuffer = path.read_bytes()
    val = dataset.splits["val"]
    val_raw = run_tflm(flatbuffer, quantize_inputs(flatbuffer, val.x))
    val_scores = (val_raw.astype(np.float64) + 128) / 256
    assert report["threshold"] == metrics.tune_threshold(val.y, val_scores)
    assert report["threshold_tuned_on"] == "val"


def test_median_filter_smooths_validation_and_test_alike(binary):
    dataset, path, _ = binary
    report = evaluate.evaluate(path, dataset, median_width=5, resamples=20)
    _, probabilities = evaluate.run_int8(path, np.concatenate([dataset.splits["val"].x,
                                                               dataset.splits["test"].x]))
    val, test = dataset.splits["val"], dataset.splits["test"]
    t = metrics.tune_threshold(val.y, metrics.median_filter(probabilities[:len(val)], val.groups, 5))
    smoothed = metrics.median_filter(probabilities[len(val):], test.groups, 5)
    assert report["threshold"] == t
    assert report["macro_f1"]["value"] == metrics.macro_f1(test.y, metrics.decide(smoothed, t), 2)


def test_cli_prints_a_table_and_writes_the_json_report(three_class, tmp_path, capsys):
    _, path = three_class
    out = tmp_path / "report.json"
    assert evaluate.main([str(path), "--dataset", "synthetic", "--json", str(out), "--resamples", "100"]) == 0
    table = capsys.readouterr().out
    assert "| macro_f1 |" in table and "| threshold | argmax |" in table
    report = json.loads(out.read_text())
    for key in metrics.METRICS:
        assert set(report[key]) == {"value", "ci_low", "ci_high"}
        assert report[key]["ci_low"] <= report[key]["value"] <= report[key]["ci_high"]
    assert report["threshold"] is None and report["windows"] == 360 and report["groups"] == 6
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("args, message", [
    (["missing.tflite", "--dataset", "synthetic"],
     "error: missing.tflite: cannot read it (No such file or directory)"),
    (["MODEL", "--dataset", "nope"], "error: unknown dataset 'nope'"),
    (["MODEL", "--dataset", "synthetic", "--median-width", "4"], "error: --median-width must be an odd"),
    (["MODEL", "--dataset", "synthetic", "--json", "/nonexistent/r.json"],
     "error: --json: cannot write /nonexistent/r.json: No such file or directory"),
    (["MODEL", "--dataset", "synthetic", "--json", "."], "error: --json: cannot write .: it exists and is not a regular file"),
    (["TRUNCATED", "--dataset", "synthetic"], "error: truncated.tflite: micro runtime: malformed flatbuffer: "),
    (["MODEL", "--dataset", "synthetic", "--seed", "-1"], "error: --seed must be >= 0, got -1"),
    (["MODEL", "--dataset", "synthetic", "--threshold", "0"], "error: --threshold must be a probability in (0, 1], got 0.0"),
    (["MODEL", "--dataset", "synthetic", "--threshold", "nan"], "error: --threshold must be a probability in (0, 1], got nan"),
    (["MODEL", "--dataset", "synthetic", "--threshold", "0.4"],
     "error: --threshold: dataset 'synthetic' has 3 classes; a threshold decides two, more are decided by argmax"),
])
def test_cli_errors_are_one_line_and_leave_no_report(three_class, tmp_path, capsys, monkeypatch, args, message):
    _, path = three_class
    monkeypatch.chdir(tmp_path)
    flatbuffer = path.read_bytes()
    (tmp_path / "truncated.tflite").write_bytes(flatbuffer[:len(flatbuffer) // 2])
    args = [str(path) if a == "MODEL" else "truncated.tflite" if a == "TRUNCATED" else a for a in args]
    assert evaluate.main(args + ["--resamples", "10"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["truncated.tflite"]


def test_a_binary_val_split_is_refused_because_its_threshold_is_tuned_there(binary):
    dataset, path, _ = binary
    with pytest.raises(evaluate.ExportError, match="--split val: dataset 'synthetic' has two classes"):
        evaluate.evaluate(path, dataset, split="val", resamples=10)


def test_a_given_threshold_replaces_tuning_and_val_is_then_scored(binary):
    """``--threshold`` (e.g. tpw-cv's pooled out-of-fold one) decides alone: the validation labels do not
    reach it, so val itself may be scored."""
    dataset, path, _ = binary
    val = dataset.splits["val"]
    _, probabilities = evaluate.run_int8(path, val.x)
    for t in (0.25, 0.75):
        report = evaluate.evaluate(path, dataset, split="val", resamples=20, threshold=t)
        assert report["threshold"] == t and report["threshold_tuned_on"] == "given (--threshold)"
        assert report["macro_f1"]["value"] == metrics.macro_f1(val.y, metrics.decide(probabilities, t), 2)
    assert report["macro_f1"]["value"] != evaluate.evaluate(path, dataset, split="val", resamples=20,
                                                            threshold=0.25)["macro_f1"]["value"]


def test_a_crashed_interpreter_is_reported_with_its_signal(binary, monkeypatch):
    dataset, path, _ = binary
    # A child that dies the way tflite-runtime does on a model it cannot parse.
    monkeypatch.setattr(evaluate, "_CHILD", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(evaluate.ExportError, match=r"the INT8 interpreter crashed \(signal 11, SIGSEGV\)$"):
        evaluate.run_int8(path, dataset.splits["test"].x[:2])


def test_the_report_is_written_with_nan_as_null(tmp_path):
    # tpw-cv's per-fold rows are a list: a fold whose test groups hold one class has no AUC.
    evaluate.write_json({"auc": {"value": float("nan"), "ci_low": 0.5}, "per_fold": [{"auc": float("nan")}, 1.0]},
                        tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == {"auc": {"value": None, "ci_low": 0.5},
                                                             "per_fold": [{"auc": None}, 1.0]}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_model_for_another_dataset_is_refused(binary, three_class):
    dataset, _ = three_class
    _, binary_path, _ = binary
    with pytest.raises(evaluate.ExportError, match="has 2 outputs, the data has 3 classes"):
        evaluate.evaluate(binary_path, dataset, resamples=10)


def test_a_slimmed_file_is_scored_by_tflm(binary, tmp_path):
    """tpw-export writes slimmed files (one-entry zero points, which tflite-runtime refuses)."""
    from tpw_export.slim import slim

    dataset, path, _ = binary
    slimmed = tmp_path / "slim.tflite"
    slimmed.write_bytes(slim(path.read_bytes()))
    x = dataset.splits["test"].x[:32]
    np.testing.assert_array_equal(evaluate.run_int8(slimmed, x)[0], evaluate.run_int8(path, x)[0])
