"""Write a set of output files all at once or not at all."""
from __future__ import annotations

from pathlib import Path

from tpw_tf import atomic
from tpw_tf.errors import TpwError


class Artifacts:
    """Stage files beside their destinations; ``commit`` renames them in place.

    Used as a context manager: leaving the block without ``commit`` (an error,
    Ctrl-C) deletes every staged file. If a rename fails half way, the files
    already renamed are removed too, so no partial set is left.
    """

    def __init__(self):
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> "Artifacts":
        return self

    def __exit__(self, *exc) -> None:
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()

    def stage(self, final: Path) -> Path:
        """A fresh temporary path in ``final``'s folder, keeping its suffix (Keras checks it)."""
        if final.exists() and not final.is_file():
            raise TpwError(f"cannot write {final}: it exists and is not a regular file")
        temporary = atomic.stage(final)
        self._staged.append((temporary, final))
        return temporary

    def write(self, final: Path, data: bytes | str) -> None:
        self.stage(final).write_bytes(data.encode() if isinstance(data, str) else data)

    def commit(self) -> None:
        published = []
        try:
            for temporary, final in self._staged:
                atomic.publish(temporary, final)
                published.append(final)
        except TpwError:
            for final in published:
                final.unlink(missing_ok=True)
            raise
        self._staged.clear()
