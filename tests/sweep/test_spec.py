"""Spec expansion, run keys and the CLI's argument errors (no training)."""
import json
from pathlib import Path

import pytest

from tpw_eval.sweep import cli, runs, spec as sweep_spec
from tpw_tf.errors import TpwError


def spec(**changes):
    base = {"seed": 0, "resamples": 10,
            "datasets": [{"name": "synthetic", "epochs": 1}, {"name": "ptbxl", "folder": "ptbxl", "epochs": 2}],
            "models": [{"model": "hypertinypw", "config": {"width": 8},
                        "grid": {"d_z": [2, 4], "bits": [4, 6, 8]}},
                       {"model": "tiny_separable_cnn", "datasets": ["ptbxl"]}]}
    return {**base, **changes}


def test_grid_is_a_cartesian_product_with_bits_taken_out_of_the_config():
    runs = sweep_spec.expand(spec())
    hyper = [r for r in runs if r["model"] == "hypertinypw"]
    assert len(hyper) == 2 * 2 * 3  # datasets x d_z x bits
    assert {(r["config"]["d_z"], r["bits"]) for r in hyper if r["dataset"] == "ptbxl"} == \
        {(d, b) for d in (2, 4) for b in (4, 6, 8)}
    assert all("bits" not in r["config"] and r["config"]["width"] == 8 for r in hyper)
    # The model entry restricted to ptbxl runs only there, with that dataset's epochs.
    plain = [r for r in runs if r["model"] == "tiny_separable_cnn"]
    assert [(r["dataset"], r["epochs"], r["bits"]) for r in plain] == [("ptbxl", 2, 8)]
    assert len({r["key"] for r in runs}) == len(runs)


def test_key_depends_on_what_decides_the_result_not_on_where_data_lives():
    run = sweep_spec.expand(spec())[0]
    assert sweep_spec.run_key({**run, "folder": "elsewhere"}) == run["key"]
    for change in ({"epochs": 3}, {"seed": 1}, {"bits": 6}, {"options": {"folds": "1-8/9/10"}},
                   {"config": {**run["config"], "d_z": 3}}, {"resamples": 11}, {"compress": "prune"},
                   {"train": {"augment": False}}):
        assert sweep_spec.run_key({**run, **change}) != run["key"], change


def test_training_options_of_a_dataset_reach_its_runs_only():
    datasets = [{"name": "synthetic", "epochs": 1, "train": {"augment": True}}, {"name": "ptbxl", "epochs": 2}]
    runs = sweep_spec.expand(spec(datasets=datasets))
    assert {r["dataset"]: r.get("train") for r in runs} == {"synthetic": {"augment": True}, "ptbxl": None}
    # a run without training options keeps the key it had before they existed
    assert [r["key"] for r in runs if r["dataset"] == "ptbxl"] == [
        r["key"] for r in sweep_spec.expand(spec()) if r["dataset"] == "ptbxl"]


def test_presets_expand():
    smoke = sweep_spec.expand(sweep_spec.PRESETS["smoke"])
    assert [(r["dataset"], r["epochs"]) for r in smoke] == [("synthetic", 1)] * 2
    paper = sweep_spec.expand(sweep_spec.PRESETS["paper"])
    assert {r["dataset"] for r in paper} == {"mitdb", "ptbxl", "speech"}
    assert {r["bits"] for r in paper if r["model"] == "hypertinypw"} == {4, 6, 8}
    # Clustered and pruned width-64 CNNs on every dataset, fine-tuned from the plain width-64 model.
    for dataset in ("mitdb", "ptbxl", "speech"):
        w64 = [r for r in paper if r["dataset"] == dataset and r["model"] == "tiny_separable_cnn"
               and r["config"]["width"] == 64 and r["config"]["depth"] == 7]
        assert [r["compress"] for r in w64] == [None, "cluster", "prune"]
        assert len({runs.trained_path(Path("out"), r) for r in w64}) == 1


@pytest.mark.parametrize("changes, message", [
    ({"colour": 1}, "unknown keys ['colour']"),
    ({"seed": -1}, "seed must be an int >= 0, got -1"),
    ({"models": []}, "non-empty 'datasets' and 'models'"),
    ({"datasets": [{"name": "synthetic", "epochs": 0}]}, "synthetic: epochs must be an int >= 1, got 0"),
    ({"datasets": [{"name": "synthetic", "train": [1]}]}, "synthetic: train must be an object of training options"),
    ({"models": [{"model": "hypertinypw", "grid": {"d_z": 4}}]}, "every grid value must be a non-empty list"),
    ({"datasets": [{"name": "ecg", "epochs": 1}]}, "spec dataset 'ecg' is unknown"),
    ({"models": [{"model": "mobilenet"}]}, "spec model 'mobilenet' is unknown"),
    ({"models": [{"model": "hypertinypw", "grid": {"bits": [5]}}]}, "bits must be one of 4, 6, 8, got 5"),
    ({"models": [{"model": "tiny_separable_cnn", "compress": "zip"}]},
     "tiny_separable_cnn: compress must be one of cluster, prune, got 'zip'"),
])
def test_bad_spec_is_named(changes, message):
    with pytest.raises(TpwError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        sweep_spec.expand(spec(**changes))


def test_spec_file(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(spec()))
    name, loaded = sweep_spec.load_spec(str(path))
    assert (name, loaded) == ("mine", spec())
    path.write_text("{\n  nope")
    with pytest.raises(TpwError, match=f"spec {path}: invalid JSON at line 2"):
        sweep_spec.load_spec(str(path))
    with pytest.raises(TpwError, match="not a preset"):
        sweep_spec.load_spec(str(tmp_path / "mine.yaml"))


def test_cli_lists_runs_and_names_errors(tmp_path, capsys):
    assert cli.main(["--preset", "smoke", "--list", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    keys = [r["key"] for r in sweep_spec.expand(sweep_spec.PRESETS["smoke"])]
    assert [line.split()[:2] for line in lines] == [[k, "todo"] for k in keys]
    assert cli.main(["--preset", "smoke", "--only", "zz", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "error: --only zz: no run of spec 'smoke' has such a key\n"
    assert cli.main(["--preset", "smoke", str(tmp_path / "x.json")]) == 1
    assert capsys.readouterr().err == "error: give either a spec .json file or --preset NAME\n"
