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
import warnings


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


def quiet_tensorflow():
    """Import TensorFlow with its native start-up chatter on fd 2 discarded.

    TensorFlow's C++ log (CUDA probing on a machine without a GPU, oneDNN
    notices) would bury the one-line errors this command promises; failures
    still surface as Python exceptions.
    """
    warnings.filterwarnings("ignore", module=r"tensorflow\.lite\..*")
    warnings.filterwarnings("ignore", message=r".*Statistics for quantized inputs.*")
    with captured_fd(2):
        import tensorflow as tf

        tf.zeros(1) + 1  # the first op probes for devices (and logs a failed CUDA init)
