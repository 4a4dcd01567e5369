"""The preprocessed-array cache: hits, keys, and no partial entries."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from tpw_tf.data import array_cache, load, mitdb
from tpw_tf.data.base import Dataset, Split
from tpw_tf.errors import DataError


def _tiny(value: float) -> Dataset:
    split = Split(np.full((2, 1, 3, 1), value, np.float32), np.array([0, 1]),
                  np.array(["p1", "p2"]))
    return Dataset("tiny", {"train": split, "val": split, "test": split}, 10.0, ("a", "b"),
                   info={"hours": {"train": 1.5}, "records": ("p1", "p2")})


def test_hit_returns_what_the_miss_built(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    built = array_cache.cached("tiny", {"k": 1}, source, lambda: _tiny(1.0), root=root)
    read = array_cache.cached("tiny", {"k": 1}, source, lambda: pytest.fail("rebuilt"),
                              root=root)
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(built.splits[name].x, read.splits[name].x)
        np.testing.assert_array_equal(built.splits[name].groups, read.splits[name].groups)
    assert built.info == read.info == {"hours": {"train": 1.5}, "records": ["p1", "p2"]}
    assert [p.suffix for p in root.iterdir()] == [".npz"]


def test_options_and_source_files_are_part_of_the_key(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "a.hea").write_text("one")
    first = array_cache.entry_path("tiny", {"k": 1}, source, root)
    assert array_cache.entry_path("tiny", {"k": 2}, source, root) != first
    (source / "a.hea").write_text("two!")
    assert array_cache.entry_path("tiny", {"k": 1}, source, root) != first


def test_failed_build_leaves_no_entry(tmp_path):
    source, root = tmp_path / "src", tmp_path / "cache"
    source.mkdir()

    def broken():
        raise DataError("record 101.dat: truncated")

    with pytest.raises(DataError):
        array_cache.cached("tiny", {}, source, broken, root=root)
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
