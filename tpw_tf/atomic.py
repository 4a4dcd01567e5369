"""Write a file completely or not at all.

Every command that writes a result stages it in a temporary file beside the
destination and renames it into place, so an error or Ctrl-C never leaves a
half-written file; failures to write become one-line TpwErrors.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from tpw_tf.errors import TpwError


def _umask() -> int:
    """The process umask, read without changing it (other threads may be creating files)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def stage(final: Path) -> Path:
    """A fresh empty file beside ``final`` (same suffix: Keras checks it), with the usual mode."""
    final = Path(final)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=final.suffix, dir=final.parent)
    except OSError as error:
        raise TpwError(f"cannot write {final}: {error.strerror}") from error
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600
    return Path(name)


def check_writable(final: Path, label: str = "") -> None:
    """Fail now, not after a long run, if ``final`` cannot be written (missing or
    read-only folder, or a folder in its place). ``label`` prefixes the message."""
    final = Path(final)
    try:
        if final.exists() and not final.is_file():
            raise TpwError(f"cannot write {final}: it exists and is not a regular file")
        stage(final).unlink()
    except TpwError as error:
        raise TpwError(f"{label}{error}") from None


def publish(temporary: Path, final: Path) -> None:
    """Rename a staged file into place."""
    try:
        os.replace(temporary, final)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise TpwError(f"cannot write {final}: {error.strerror}") from error


@contextlib.contextmanager
def staged(final: Path):
    """``with staged(path) as tmp:`` write ``tmp``; it replaces ``path`` only if the block succeeds."""
    final = Path(final)
    temporary = stage(final)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    publish(temporary, final)


def write(final: Path, data: bytes | str) -> None:
    """Write ``data`` to ``final`` atomically."""
    with staged(final) as temporary:
        temporary.write_bytes(data.encode() if isinstance(data, str) else data)


def read_json(path: Path, corrupt_hint: str) -> dict | None:
    """A finished result file that :func:`write` published: its JSON, or None where it is absent.

    Raises:
        TpwError: the file is not JSON; the one line names it and ends with ``corrupt_hint``
            (what it is and how to redo it).
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise TpwError(f"{path}: corrupt {corrupt_hint.format(msg=error.msg)}") from None
