"""The preprocessed-array cache: hits, keys, and no partial entries."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from tpw_tf.data import array_cache, load, mitdb
from tpw_tf.data.base import Dataset, Split
from tpw_tf.data.cli import main
from tpw_tf.errors import DataError


def _tiny(value: float) -> Dataset:
    split = Split(np.full((2, 1, 3, 1), value, np.float32), np.array([0, 1]),
                  np.array(["p1", "p2"]))
    return Dataset("tiny", {"train": split, "val": split, "test": split}, 10.0, ("a", "b"),
                   info={"hours": {"train": 1.5}, "records": ("p1", "p2")})


def test_hit_returns_what_the_miss_built(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    built = array_cache.cached("tiny", {"k": 1}, source, [], lambda: _tiny(1.0), root=root)
    read = array_cache.cached("tiny", {"k": 1}, source, [], lambda: pytest.fail("rebuilt"),
                              root=root)
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(built.splits[name].x, read.splits[name].x)
        np.testing.assert_array_equal(built.splits[name].groups, read.splits[name].groups)
    assert built.info == read.info == {"hours": {"train": 1.5}, "records": ["p1", "p2"]}
    assert [p.suffix for p in root.iterdir()] == [".npz"]


def test_options_and_planned_files_are_the_key(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "a.hea").write_text("one")

    def key(options):
        return array_cache.entry_path("tiny", options, source, ["a.hea", "b.hea"], root)

    first = key({"k": 1})
    assert key({"k": 2}) != first
    (source / "notes.txt").write_text("not in the plan")
    assert key({"k": 1}) == first
    (source / "a.hea").write_text("two!")
    second = key({"k": 1})
    assert second != first
    (source / "b.hea").write_text("a planned record arrives")
    assert key({"k": 1}) != second


@pytest.mark.parametrize("damage", ["truncated", "array missing"])
def test_damaged_entry_is_a_miss_and_is_rebuilt(tmp_path, damage):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    array_cache.cached("tiny", {}, source, [], lambda: _tiny(1.0), root=root)
    (entry,) = root.iterdir()
    if damage == "truncated":  # as a full disk or a killed copy leaves it
        entry.write_bytes(entry.read_bytes()[:300])
    else:
        with np.load(entry) as data:
            np.savez(entry, **{k: data[k] for k in data.files if k != "val.x"})
    rebuilt = array_cache.cached("tiny", {}, source, [], lambda: _tiny(2.0), root=root)
    assert rebuilt.splits["val"].x[0, 0, 0, 0] == 2.0
    read = array_cache.cached("tiny", {}, source, [], lambda: pytest.fail("rebuilt twice"),
                              root=root)
    np.testing.assert_array_equal(read.splits["val"].x, rebuilt.splits["val"].x)
    assert list(root.iterdir()) == [entry]


def test_dangling_symlinks_in_the_data_dir_are_absent_records(tmp_path, capsys):
    folder = tmp_path / "apnea"
    folder.mkdir()
    (folder / "a01.hea").symlink_to(tmp_path / "gone.hea")  # planned, dangling
    (folder / "junk").symlink_to(tmp_path / "gone")  # not planned, dangling
    assert main(["info", "apnea", "--data-dir", str(folder), "-o", "records=a01"]) == 0
    out, err = capsys.readouterr()
    assert "absent records: a01" in out
    assert "1 record(s) absent" in err


def test_failed_build_leaves_no_entry(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()

    def broken():
        raise DataError("record 101.dat: truncated")

    with pytest.raises(DataError):
        array_cache.cached("tiny", {}, source, [], broken, root=root)
    assert not root.exists() or list(root.iterdir()) == []


def test_second_load_does_not_read_wfdb(shared, tmp_path, monkeypatch):
    options = dict(data_dir=shared / "mitdb", split="ds1-patients", window_s=0.5,
                   records=["115", "119"], cache_dir=tmp_path)
    first = load("mitdb", **options)

    def no_reading(*args, **kwargs):
        raise AssertionError("WFDB read on a cache hit")

    monkeypatch.setattr(mitdb, "read_signal", no_reading)
    second = load("mitdb", **options)
    np.testing.assert_array_equal(first.splits["val"].x, second.splits["val"].x)
    assert first.info == second.info


def test_bad_record_leaves_no_cache_entry(shared, tmp_path):
    folder, root = tmp_path / "mitdb", tmp_path / "cache"
    folder.mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared / f"mitdb/115.{ext}", folder)
    (folder / "115.dat").write_bytes(b"\0" * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=r"115\.dat: truncated"):
            load("mitdb", data_dir=folder, split="ds1-patients", cache_dir=root)
    assert not root.exists() or list(root.iterdir()) == []
