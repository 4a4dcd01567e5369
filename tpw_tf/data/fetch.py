"""Downloading datasets into a local cache: PhysioNet databases and the Speech Commands archive.

Layout: ``<root>/<folder>/...`` with ``root`` = ``$TPW_DATA_DIR`` or
``~/.cache/tpw``, and folders named as PhysioNet / the archive lay them out
(``mitdb``, ``apnea-ecg``, ``ptbxl``, ``speech_commands``). A mirror given by
``base_url=`` or ``$TPW_DATA_URL`` must serve the same layout: PhysioNet
folders at ``<base_url>/<folder>/`` and archives at ``<base_url>/<archive name>``
(so a plain HTTP server over a folder of copies is a valid mirror).

Every file goes to ``<file>.part`` first and is renamed when complete and, where
the database's ``SHA256SUMS.txt`` lists it, verified; an interrupted download
resumes from the ``.part`` with an HTTP Range request. Files are fetched with
urllib rather than ``wfdb.dl_database`` because the latter neither resumes nor
verifies checksums; the files land in the layout wfdb reads.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tqdm import tqdm

from tpw_tf import atomic
from tpw_tf.data.checksums import SUMS_FILE, file_sha256, read_sums
from tpw_tf.errors import DataError

COMPLETE_MARKER = ".tpw-complete"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class PhysioNetSource:
    """A PhysioNet database folder.

    Attributes:
        folder: folder name locally and on a mirror.
        url: official folder URL (``https://physionet.org/files/<db>/<version>/``).
        index: files listing the records, fetched first (``RECORDS``, a CSV).
        files: ``files(folder, records) -> [relative path]`` the loader reads,
            computed from the fetched index; ``records`` (None: all) restricts it.
    """

    folder: str
    url: str
    index: tuple[str, ...]
    files: Callable[[Path, list | None], list[str]]


@dataclass(frozen=True)
class ArchiveSource:
    """A ``.tar.gz`` archive unpacked into ``folder``; ``sha256`` is its published digest."""

    folder: str
    url: str
    sha256: str


def data_root() -> Path:
    """``$TPW_DATA_DIR``, else ``~/.cache/tpw``."""
    return Path(os.environ.get("TPW_DATA_DIR") or Path.home() / ".cache" / "tpw")


def download(url: str, dest: Path, *, sha256: str | None = None, progress: bool = False) -> bool:
    """Fetch ``url`` into ``dest`` via ``dest.part``, resuming a previous partial download.

    Returns False when the server answers 404 (the file is not there); raises
    DataError on any other failure or on a digest mismatch (the bad part file is
    removed, ``dest`` is never written).
    """
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urlopen(request, timeout=60)
    except HTTPError as error:
        if error.code == 404:
            return False
        if error.code != 416 or not have:  # 416: the part already holds the whole file
            raise DataError(f"{url}: HTTP {error.code} {error.reason}") from None
        response = None
    except (URLError, OSError) as error:
        raise DataError(f"{url}: download failed ({getattr(error, 'reason', error)})") from None
    if response is not None:
        with response:
            resumed = response.status == 206
            length = response.headers.get("Content-Length")
            total = int(length) + (have if resumed else 0) if length else None
            with open(part, "ab" if resumed else "wb") as f, tqdm(
                    total=total, initial=have if resumed else 0, unit="B", unit_scale=True,
                    desc=dest.name, disable=not progress, leave=False) as bar:
                try:
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        f.write(block)
                        bar.update(len(block))
                except OSError as error:
                    raise DataError(f"{url}: interrupted after {f.tell()} bytes ({error}); "
                                    "run again to resume") from None
    if sha256 is not None and (actual := file_sha256(part)) != sha256:
        part.unlink()
        raise DataError(f"{url}: SHA-256 {actual[:16]}... does not match the published "
                        f"{sha256[:16]}...")
    os.replace(part, dest)
    return True


def _ensure(url: str, dest: Path, sha256: str | None) -> bool:
    """Download unless ``dest`` exists with the right digest; False if the server lacks it."""
    if dest.exists():
        if sha256 is None or file_sha256(dest) == sha256:
            return True
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    return download(url, dest, sha256=sha256)


def _complete(dest: Path, wanted: list[str]) -> bool:
    marker = dest / COMPLETE_MARKER
    if not marker.exists():
        return False
    return set(wanted) <= set(json.loads(marker.read_text()))


def _mark_complete(dest: Path, wanted: list[str]) -> None:
    marker = dest / COMPLETE_MARKER
    done = set(json.loads(marker.read_text())) if marker.exists() else set()
    # Staged under a unique name: concurrent fetches never share a temporary file.
    atomic.write(marker, json.dumps(sorted(done | set(wanted))))


def _fetch_physionet(source: PhysioNetSource, dest: Path, base: str, records, progress) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    _ensure(base + SUMS_FILE, dest / SUMS_FILE, None)  # optional: PTB-XL mirrors may lack it
    sums = read_sums(dest)
    for name in source.index:
        if not _ensure(base + name, dest / name, sums.get(name)):
            raise DataError(f"{base}{name}: index file not on the server")
    wanted = source.files(dest, records)
    if _complete(dest, wanted):
        return dest
    absent = [rel for rel in tqdm(wanted, desc=source.folder, unit="file", disable=not progress)
              if not _ensure(base + rel, dest / rel, sums.get(rel))]
    if absent:
        warnings.warn(f"{base}: {len(absent)} file(s) not on the server: "
                      f"{', '.join(absent[:8])}{' ...' if len(absent) > 8 else ''}", stacklevel=3)
    _mark_complete(dest, [rel for rel in wanted if rel not in absent])
    return dest


def _fetch_archive(source: ArchiveSource, dest: Path, url: str, sha256, progress) -> Path:
    if (dest / COMPLETE_MARKER).exists():
        return dest
    archive = dest.parent / url.rsplit("/", 1)[-1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not archive.exists() and not download(url, archive, sha256=sha256 or source.sha256,
                                             progress=progress):
        raise DataError(f"{url}: archive not on the server")
    unpack = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(unpack, filter="data")
        except (tarfile.TarError, OSError, EOFError) as error:
            raise DataError(f"{archive}: unreadable archive ({error})") from None
        (unpack / COMPLETE_MARKER).write_text("[]")
        if dest.exists():  # an older unpack without the marker: replace it whole
            shutil.rmtree(dest)
        os.replace(unpack, dest)
    finally:
        shutil.rmtree(unpack, ignore_errors=True)
    return dest


def fetch(name: str, *, root=None, base_url: str | None = None, records=None,
          sha256: str | None = None, progress: bool = True, **source_options) -> Path:
    """Download dataset ``name`` (what is not cached yet) and return its local folder.

    Args:
        name: registry name (``mitdb``, ``apnea``, ``ptbxl``, ``speech``).
        root: cache root (default :func:`data_root`).
        base_url: mirror URL (default ``$TPW_DATA_URL``, else the official site).
        records: PhysioNet record names to fetch (None: every record the index lists).
        sha256: digest to check an archive against instead of the published one
            (for a mirror serving a different archive).
        progress: show tqdm progress bars.
        source_options: passed to the loader's ``source()`` (e.g. ``archive="test"``).
    """
    from tpw_tf.data import _LOADERS

    if name not in _LOADERS or name == "synthetic":
        choices = ", ".join(n for n in sorted(_LOADERS) if n != "synthetic")
        raise DataError(f"unknown dataset '{name}' to fetch: choose one of {choices}")
    source = importlib.import_module(f"tpw_tf.data.{_LOADERS[name]}").source(**source_options)
    dest = Path(root or data_root()).expanduser() / source.folder
    base = (base_url or os.environ.get("TPW_DATA_URL") or "").rstrip("/")
    try:
        if isinstance(source, ArchiveSource):
            url = f"{base}/{source.url.rsplit('/', 1)[-1]}" if base else source.url
            return _fetch_archive(source, dest, url, sha256, progress)
        return _fetch_physionet(source, dest, f"{base}/{source.folder}/" if base else source.url,
                                records, progress)
    except OSError as error:  # local: the root cannot be created or written, the disk is full
        raise DataError(f"cannot write {error.filename or dest}: {error.strerror}") from None


def locate(name: str, data_dir, **fetch_options) -> Path:
    """The folder to read: ``data_dir`` as given (never downloads), else :func:`fetch`."""
    if data_dir is None:
        return fetch(name, **fetch_options)
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise DataError(f"data dir {path}: not a folder")
    return path
