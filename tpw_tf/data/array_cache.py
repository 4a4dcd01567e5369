"""Preprocessed datasets cached as ``.npz`` files keyed by the loader's configuration.

A second ``load`` with the same options and the same source files reads one
file instead of re-reading WFDB records or WAVs. The key hashes the loader
name, its options, the source folder and the size / mtime of every file in it,
so editing or replacing a source file invalidates the entry. An entry is
written to a temporary file in the cache folder and renamed into place, so an
interrupted or failed load never leaves a partial entry behind.
"""
from __future__ import annotations

import hashlib
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from tpw_tf.data.base import SPLITS, Dataset, Split

# Bump when a loader's output changes for the same options, to retire old entries.
FORMAT_VERSION = 1


def cache_root() -> Path:
    """``$TPW_CACHE_DIR``, else ``~/.cache/tpw/arrays``."""
    return Path(os.environ.get("TPW_CACHE_DIR") or Path.home() / ".cache" / "tpw" / "arrays")


def source_fingerprint(folder: Path) -> str:
    """Hash of the relative path, size and mtime of every file under ``folder``."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
                          .encode())
    return digest.hexdigest()


def entry_path(name: str, options: dict, source: Path, root: Path) -> Path:
    key = {"dataset": name, "options": options, "source": str(Path(source).resolve()),
           "files": source_fingerprint(source), "version": FORMAT_VERSION}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return Path(root) / f"{name}-{digest[:24]}.npz"


def _save(dataset: Dataset, path: Path) -> None:
    arrays = {"meta": np.array(json.dumps({
        "name": dataset.name, "sample_rate": dataset.sample_rate,
        "class_names": list(dataset.class_names), "info": dataset.info}))}
    for split, part in dataset.splits.items():
        arrays.update({f"{split}.x": part.x, f"{split}.y": part.y, f"{split}.groups": part.groups})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _read(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        splits = {s: Split(data[f"{s}.x"], data[f"{s}.y"], data[f"{s}.groups"]) for s in SPLITS}
    return Dataset(meta["name"], splits, meta["sample_rate"], tuple(meta["class_names"]),
                   meta["info"])


def cached(name: str, options: dict, source: Path, build: Callable[[], Dataset],
           *, root: Path | None = None) -> Dataset:
    """Return the cached dataset for this configuration, building and storing it on a miss.

    Args:
        name: loader name.
        options: every option that changes the arrays (JSON-serialisable).
        source: folder the loader reads.
        build: makes the dataset on a miss; nothing is stored if it raises.
        root: cache folder (default :func:`cache_root`).
    """
    path = entry_path(name, options, source, Path(root) if root else cache_root())
    if path.exists():
        return _read(path)
    dataset = build()
    # Round-trip info through JSON now, so a hit and a miss return identical info.
    dataset = dataclasses.replace(dataset, info=json.loads(json.dumps(dataset.info)))
    _save(dataset, path)
    return dataset
