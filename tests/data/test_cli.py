"""``tpw-data info`` / ``tpw-data fetch`` and their one-line errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tpw_tf.data import load
from tpw_tf.data.cli import main


def test_info_prints_counts_priors_and_hours_per_split(shared, capsys):
    options = ["-o", "split=ds1-patients", "-o", "records=106,115,119", "-o", "window_s=0.5"]
    assert main(["info", "mitdb", "--data-dir", str(shared / "mitdb"), *options]) == 0
    out = capsys.readouterr().out
    ds = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients",
              records=["106", "115", "119"], window_s=0.5)
    # the default inputs: the beat, its template difference and 4 RR channels, at 180 Hz
    assert out.startswith("dataset mitdb: input (1, 90, 6), 180 samples/s, 2 classes")
    for split, groups in (("train", 0), ("val", 1), ("test", 2)):
        part = ds.splits[split]
        counts = np.bincount(part.y, minlength=2)
        row = re.search(rf"^{split}\s+(\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s+(\d+)$", out, re.M)
        assert row, out
        assert [int(row[1]), int(row[2]), int(row[4]), int(row[5])] == [
            len(part), groups, *counts.tolist()]
        assert float(row[3]) == pytest.approx(0.5 * groups, abs=0.01)  # 30 min per record
    assert "0.869    0.131" in out  # test = 106 + 115: 520 of 3,980 beats are V


def test_info_names_a_missing_folder(capsys, tmp_path):
    assert main(["info", "ptbxl", "--data-dir", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: data dir {tmp_path / 'none'}: not a folder"


@pytest.mark.parametrize("argv, message", [
    (["info", "ecg5000"], "error: unknown dataset 'ecg5000': choose one of apnea, mitdb, ptbxl, "
                          "speech, synthetic"),
    (["info", "mitdb", "-o", "window"], "error: option 'window': expected KEY=VALUE"),
    (["info", "synthetic", "-o", "colour=red"],
     "error: dataset 'synthetic' has no option colour: it takes per_subject, seed"),
])
def test_bad_arguments_are_one_line_errors(argv, message, capsys):
    assert main(argv) == 1
    assert capsys.readouterr().err.strip() == message


@pytest.mark.parametrize("name, option, message", [
    ("synthetic", "seed=abc", "synthetic: option seed must be an integer >= 0, got 'abc'"),
    ("synthetic", "per_subject=-1",
     "synthetic: option per_subject must be an integer >= 1, got -1"),
    ("synthetic", "per_subject=1.5",
     "synthetic: option per_subject must be an integer >= 1, got 1.5"),
    ("mitdb", "window_s=0", "mitdb: option window_s must be a number > 0, got 0"),
    ("mitdb", "normalize=yes", "mitdb: unknown normalize 'yes': choose one of window, record, none"),
    ("mitdb", "rr=1", "mitdb: option rr must be true or false, got 1"),
    ("mitdb", "records=101,", "mitdb: option records must be record names, got ['101', '']"),
    ("mitdb", "records=1.5", "mitdb: option records must be record names, got 1.5"),
    ("mitdb", "lead=[1,true]", "mitdb: option lead must be lead names or channel indices, "
                               "got [1, True]"),
    ("mitdb", "split=[1]", "mitdb: unknown split '[1]': choose one of ds1ds2, ds1-patients"),
    ("apnea", "window=1.5", "apnea: option window must be an integer >= 1, got 1.5"),
    ("apnea", "cache_dir=5", "apnea: option cache_dir must be a path or text, got 5"),
    ("ptbxl", "folds=5", "ptbxl: option folds must be 'train/val/test' such as 1-8/9/10 or a "
                         "mapping, got 5"),
    ("ptbxl", 'folds={"train":[1],"val":"x","test":[3]}',
     "ptbxl: folds of val must be fold numbers, got 'x'"),
    ("ptbxl", "records=a01", "ptbxl: option records must be record numbers, got 'a01'"),
    ("speech", "seed=-2", "speech: option seed must be an integer >= 0, got -2"),
])
def test_bad_option_values_are_one_line_errors(name, option, message, capsys, tmp_path):
    # Options are checked before the data dir is read, so an empty folder will do.
    assert main(["info", name, "--data-dir", str(tmp_path), "-o", option]) == 1
    assert capsys.readouterr().err.strip() == f"error: {message}"


def test_a_number_or_a_single_name_is_one_record(shared, capsys):
    argv = ["info", "mitdb", "--data-dir", str(shared / "mitdb"), "-o", "split=ds1-patients",
            "-o", "window_s=0.5", "--no-cache"]
    for records in ("115", '"115"'):  # JSON number 115 and JSON string "115"
        assert main([*argv, "-o", f"records={records}"]) == 0
        test = re.search(r"^test\s+(\d+)\s+(\d+)", capsys.readouterr().out, re.M)
        assert (int(test[1]), int(test[2])) == (len(load(
            "mitdb", data_dir=shared / "mitdb", split="ds1-patients", window_s=0.5,
            records=["115"], cache=False).splits["test"]), 1)


def test_no_cache_is_accepted_by_a_loader_without_a_cache(capsys):
    assert main(["info", "synthetic", "--no-cache", "-o", "per_subject=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dataset synthetic: input (1, 512, 1)")
    assert re.search(r"^train\s+72\s+24\s", out, re.M), out  # 24 subjects x 3 windows


def test_fetch_prints_the_folder(shared, serve, tmp_path, capsys):
    url, _ = serve(shared)
    assert main(["fetch", "mitdb", "--root", str(tmp_path), "--base-url", url,
                 "--records", "115"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "mitdb")
    assert (tmp_path / "mitdb/115.dat").stat().st_size == (shared / "mitdb/115.dat").stat().st_size
