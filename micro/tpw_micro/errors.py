"""The device side's one error family."""
from __future__ import annotations

from tpw_tf.errors import TpwError


class MicroError(TpwError):
    """The runtime or firmware cannot be built or run, or refuses a model or its inputs."""


class UnsupportedModel(MicroError):
    """A well-formed model that uses an op, type or shape the runtime does not run: its
    bounds-checked reader went through the whole file first, so TFLM may safely try it."""
