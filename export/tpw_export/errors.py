"""The export side's error: a model that cannot be baked, converted, checked or run as asked.

A ``TpwError`` (``tpw_tf.errors``), so every command reports it as one ``error:`` line.
"""
from tpw_tf.errors import TpwError


class ExportError(TpwError):
    """A model cannot be baked, converted or checked as asked."""
