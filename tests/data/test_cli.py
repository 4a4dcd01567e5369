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
    assert out.startswith("dataset mitdb: input (1, 180, 1), 360 samples/s, 2 classes")
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


def test_fetch_prints_the_folder(shared, serve, tmp_path, capsys):
    url, _ = serve(shared)
    assert main(["fetch", "mitdb", "--root", str(tmp_path), "--base-url", url,
                 "--records", "115"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "mitdb")
    assert (tmp_path / "mitdb/115.dat").stat().st_size == (shared / "mitdb/115.dat").stat().st_size
