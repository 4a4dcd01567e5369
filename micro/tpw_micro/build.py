"""Where the device sources are, where their builds go, and make as one-line errors.

The C++ runtime (``runtime/``), the STM32L4 harness (``firmware/``) and the QEMU plugin
(``sim/``) ship inside this package, so an installed wheel builds firmware as a checkout
does. Builds go to ``$TPW_MICRO_BUILD`` (default ``~/.cache/tpw/micro``): host runtime
binaries in ``host/``, shared firmware objects, the plugin and per-model firmware beside it.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

from tpw_micro.errors import MicroError

SOURCES = Path(__file__).resolve().parent
RUNTIME_SOURCES = SOURCES / "runtime"
BUILD_HELP = "see the firmware README in tpw_micro/firmware/stm32l4"


def build_dir() -> Path:
    """The one build folder, absolute because make runs in the source folders."""
    default = Path.home() / ".cache" / "tpw" / "micro"
    return Path(os.environ.get("TPW_MICRO_BUILD") or default).resolve()


def run_tool(cmd: list[str], what: str, timeout: float | None = None) -> str:
    """Run a build tool and return its stdout; any failure is one MicroError line naming ``what``."""
    if shutil.which(cmd[0]) is None:
        raise MicroError(f"{what}: '{cmd[0]}' is not installed ({BUILD_HELP})")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        # The first compiler/linker error says more than make's closing "Error 1".
        causes = [line for line in lines
                  if re.search(r"error|undefined reference|overflowed", line, re.I)
                  and not line.startswith(("make", "collect2"))]
        raise MicroError(f"{what} failed (exit {proc.returncode}): {(causes or lines[-1:])[0]}")
    return proc.stdout


def make(folder: Path, *targets: str, **variables: str | Path) -> None:
    """``make -C folder targets VAR=value ...`` on every core, as one-line errors.

    Processes sharing the build folder (two ``tpw-cv`` runs, parallel sweeps) take turns:
    make has no locking, and two makes of one target collide mid-link.
    """
    if not (folder / "Makefile").is_file():
        raise MicroError(f"device sources not found in {folder}")
    args = [f"{k}={v}" for k, v in variables.items()]
    lock_path = build_dir() / ".make.lock"
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path, "w")
    except OSError as error:
        raise MicroError(f"build folder {lock_path.parent}: {error.strerror} (set TPW_MICRO_BUILD)") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        run_tool(["make", "-s", f"-j{os.cpu_count() or 1}", "-C", str(folder), *targets, *args],
                 f"make {' '.join(targets)}")
