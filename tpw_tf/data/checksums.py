"""SHA-256 checks against a database's published ``SHA256SUMS.txt``.

PhysioNet publishes one ``SHA256SUMS.txt`` per database folder, one
``<hex digest> <relative path>`` line per file. A file the list names must match
it; a file it does not name (or a folder without the list) is not checked.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from tpw_tf.errors import DataError

SUMS_FILE = "SHA256SUMS.txt"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    """``{relative path: hex digest}`` from ``folder/SHA256SUMS.txt``; empty when absent."""
    path = Path(folder) / SUMS_FILE
    if not path.exists():
        return {}
    sums = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{path}: line {number} is not '<sha256> <file>': {line!r}")
        sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums


def verify(path: Path, expected: str | None) -> None:
    """Raise DataError naming ``path`` when its digest differs from ``expected`` (None: skip)."""
    if expected is None:
        return
    actual = file_sha256(path)
    if actual != expected:
        raise DataError(f"{path}: SHA-256 {actual[:16]}... does not match the published "
                        f"{expected[:16]}...")


def verify_files(folder: Path, relpaths) -> None:
    """Check each existing file of ``relpaths`` under ``folder`` that ``SHA256SUMS.txt`` lists."""
    sums = read_sums(folder)
    for rel in relpaths:
        path = Path(folder) / rel
        if rel in sums and path.exists():
            verify(path, sums[rel])
