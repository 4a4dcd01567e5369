"""Write a set of output files all at once or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tpw_tf.errors import TpwError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Artifacts:
    """Stage files beside their destinations; ``commit`` renames them in place.

    Used as a context manager: leaving the block without ``commit`` (an error,
    Ctrl-C) deletes every staged file, so no half-written output is left.
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
        try:
            fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=final.suffix, dir=final.parent)
        except OSError as error:
            raise TpwError(f"cannot write to {final.parent}: {error.strerror}") from error
        os.close(fd)
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the user's usual mode
        self._staged.append((Path(name), final))
        return Path(name)

    def write(self, final: Path, data: bytes | str) -> None:
        path = self.stage(final)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    def commit(self) -> None:
        for temporary, final in self._staged:
            os.replace(temporary, final)
        self._staged.clear()
