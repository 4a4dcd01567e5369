"""The one exception family every tpw command turns into a one-line error.

The export side adds its own subclass, ``tpw_export.errors.ExportError``.
"""


class TpwError(Exception):
    """A problem with the user's input (data, model file, option, path)."""


class DataError(TpwError):
    """A dataset is unknown, missing, corrupt or inconsistent."""


def first_line(error: BaseException, default: str | None = None) -> str:
    """The first line of ``error``'s message, for one-line reports; ``default`` (or the
    exception's type name) when the message is empty."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else (default or type(error).__name__)
