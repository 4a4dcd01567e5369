"""The one way every tpw console script ends: a result, one ``error:`` line, or Ctrl-C;
and :func:`crash_reason`, how a native child process ended, for such a line.

Each command's ``main(argv)`` parses its arguments and hands its body to
:func:`run_command`, which maps what the body raises to the exit statuses the
README promises:

* ``0`` - the body returned (or returned 0);
* ``error_status`` - a :class:`~tpw_tf.errors.TpwError`, printed as one line
  ``error: <message>`` on stderr (``tpw-export`` uses 2, every other command 1);
* ``130`` - Ctrl-C (128 + SIGINT, as a shell reports it), with one ``error:`` line; every
  command stages its outputs (:mod:`tpw_tf.atomic`), so an interrupted one wrote nothing.

Anything else is a bug in tpw and keeps its traceback.
"""
from __future__ import annotations

import signal
import sys
from typing import Callable

from tpw_tf.errors import TpwError

INTERRUPTED = 130


def run_command(body: Callable[[], int | None], *, error_status: int = 1) -> int:
    """Run ``body`` and return the process exit status (see the module docstring)."""
    try:
        return body() or 0
    except TpwError as error:
        print(f"error: {error}", file=sys.stderr)
        return error_status
    except KeyboardInterrupt:
        print("error: interrupted; no output written", file=sys.stderr)
        return INTERRUPTED


def crash_reason(returncode: int) -> str:
    """How a child that ``subprocess`` reports as ``returncode`` ended, for a one-line error:
    ``"signal 11, SIGSEGV"`` for a negative code (killed by a signal), else ``"exit N"``."""
    if returncode >= 0:
        return f"exit {returncode}"
    try:
        return f"signal {-returncode}, {signal.Signals(-returncode).name}"
    except ValueError:  # a real-time or unnamed signal
        return f"signal {-returncode}"
