"""Preprocessed datasets cached as ``.npz`` files keyed by the loader's configuration.

A second ``load`` with the same options and the same source files reads one
file instead of re-reading WFDB records or WAVs. The key hashes the loader
name, its options, the source folder and the size / mtime of each file the
load plan names (not the whole folder, which may be large or hold unrelated
files), so editing, adding or replacing a planned file invalidates the entry.
An entry is staged beside its final name (:mod:`tpw_tf.atomic`), so an
interrupted or failed load never leaves a partial entry behind, and an entry
that cannot be read (truncated by a full disk, say) counts as a miss and is
rebuilt.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from tpw_tf import atomic
from tpw_tf.data.base import SPLITS, Dataset, Split
from tpw_tf.errors import DataError

# Bump when a loader's output changes for the same options, to retire old entries.
FORMAT_VERSION = 2
# What reading a damaged .npz raises: a short zip, a missing array, a bad header.
_UNREADABLE = (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError)


def cache_root() -> Path:
    """``$TPW_CACHE_DIR``, else ``~/.cache/tpw/arrays``."""
    return Path(os.environ.get("TPW_CACHE_DIR") or Path.home() / ".cache" / "tpw" / "arrays")


def source_fingerprint(folder: Path, files) -> str:
    """Hash of the relative path, size and mtime of each of ``files`` (relative to ``folder``).

    A file that is absent or unreadable (a dangling symlink) is hashed as absent,
    so its later arrival changes the fingerprint.
    """
    digest = hashlib.sha256()
    for rel in sorted(map(str, files)):
        try:
            stat = (Path(folder) / rel).stat()
            state = f"{stat.st_size}\0{stat.st_mtime_ns}"
        except OSError:
            state = "absent"
        digest.update(f"{rel}\0{state}\n".encode())
    return digest.hexdigest()


def entry_path(name: str, options: dict, source: Path, files, root: Path) -> Path:
    """Where the entry of this configuration lives (``files``: see :func:`cached`)."""
    key = {"dataset": name, "options": options, "source": str(Path(source).resolve()),
           "files": source_fingerprint(source, files), "version": FORMAT_VERSION}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return Path(root) / f"{name}-{digest[:24]}.npz"


def _save(dataset: Dataset, path: Path) -> None:
    arrays = {"meta": np.array(json.dumps({
        "name": dataset.name, "sample_rate": dataset.sample_rate,
        "class_names": list(dataset.class_names), "info": dataset.info}))}
    for split, part in dataset.splits.items():
        arrays.update({f"{split}.x": part.x, f"{split}.y": part.y, f"{split}.groups": part.groups})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"array cache {path.parent}: cannot create ({error.strerror})") from None
    with atomic.staged(path) as temporary, open(temporary, "wb") as f:
        np.savez(f, **arrays)


def _read(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        splits = {s: Split(data[f"{s}.x"], data[f"{s}.y"], data[f"{s}.groups"]) for s in SPLITS}
    return Dataset(meta["name"], splits, meta["sample_rate"], tuple(meta["class_names"]),
                   meta["info"])


def _read_or_discard(path: Path) -> Dataset | None:
    """The entry at ``path``; None when there is none or it is damaged (then it is deleted)."""
    if not path.exists():
        return None
    try:
        return _read(path)
    except _UNREADABLE:
        path.unlink(missing_ok=True)
        return None


def cached(name: str, options: dict, source: Path, files, build: Callable[[], Dataset],
           *, root: Path | None = None) -> Dataset:
    """Return the cached dataset for this configuration, building and storing it on a miss.

    Args:
        name: loader name.
        options: every option that changes the arrays (JSON-serialisable).
        source: folder the loader reads.
        files: paths relative to ``source`` of every file the load plan names (read or
            looked for); their sizes and mtimes are part of the key.
        build: makes the dataset on a miss; nothing is stored if it raises.
        root: cache folder (default :func:`cache_root`).
    """
    path = entry_path(name, options, source, files, Path(root) if root else cache_root())
    hit = _read_or_discard(path)
    if hit is not None:
        return hit
    dataset = build()
    # Round-trip info through JSON now, so a hit and a miss return identical info.
    dataset = dataclasses.replace(dataset, info=json.loads(json.dumps(dataset.info)))
    _save(dataset, path)
    return dataset
