"""Capture what native libraries write straight to a file descriptor.

TFLM's Python interpreter prints its arena report with C++ ``printf``, and
the TFLite converter logs to fd 2 from C++: neither goes through Python's
``sys.stdout``, so they are captured at the descriptor.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile


def _flush_all():
    """Flush Python's and C's buffered streams (C ``printf`` output sits in libc's buffer)."""
    sys.stdout.flush()
    sys.stderr.flush()
    ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def captured_fd(fd: int):
    """Redirect ``fd`` to a temporary file; yields a list that receives the text on exit."""
    _flush_all()
    text: list[str] = []
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield text
        finally:
            _flush_all()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode("utf-8", "replace"))
