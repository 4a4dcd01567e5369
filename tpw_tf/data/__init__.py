"""Dataset loaders: ``load(name, ...)`` returns a :class:`Dataset`.

Each loader is one module; this registry maps the names users type to them.
"""
from __future__ import annotations

import importlib
import inspect

from tpw_tf.data.base import SPLITS, Dataset, Split
from tpw_tf.errors import DataError

# name -> module under tpw_tf.data exposing ``load(*, data_dir=None, **options) -> Dataset``
_LOADERS = {
    "synthetic": "synthetic",
    "apnea": "apnea",
    "mitdb": "mitdb",
    "ptbxl": "ptbxl",
    "speech": "speech",
}


def names() -> list[str]:
    return sorted(_LOADERS)


def _loader(name: str):
    if name not in _LOADERS:
        raise DataError(f"unknown dataset '{name}': choose one of {', '.join(names())}")
    return importlib.import_module(f"tpw_tf.data.{_LOADERS[name]}").load


def option_names(name: str) -> set[str]:
    """The options dataset ``name``'s loader takes (besides ``data_dir``)."""
    return set(inspect.signature(_loader(name)).parameters) - {"data_dir"}


def load(name: str, *, data_dir=None, **options) -> Dataset:
    """Load dataset ``name``; ``data_dir`` reads an existing copy and never downloads."""
    accepted = option_names(name)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DataError(f"dataset '{name}' has no option {', '.join(unknown)}: "
                        f"it takes {', '.join(sorted(accepted))}")
    return _loader(name)(data_dir=data_dir, **options)


__all__ = ["SPLITS", "Dataset", "Split", "DataError", "load", "names", "option_names"]
