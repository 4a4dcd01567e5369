"""The one exception family every tpw command turns into a one-line error."""


class TpwError(Exception):
    """A problem with the user's input (data, model file, option, path)."""


class DataError(TpwError):
    """A dataset is unknown, missing, corrupt or inconsistent."""


class ExportError(TpwError):
    """A model cannot be baked, converted or checked as asked."""
