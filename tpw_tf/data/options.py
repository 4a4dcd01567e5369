"""Loader options: parsed from ``-o KEY=VALUE`` and checked before a loader uses them.

Options reach a loader from Python or from a command line (:func:`parse_option`:
a JSON value, a comma list, else a string), so every loader checks each option
with these helpers first: a bad value is a DataError naming the option and the
value received, never a traceback later. This module imports nothing heavy, so
the command lines that parse options start fast.
"""
from __future__ import annotations

import json
import math
import numbers
import os
from typing import Iterable

from tpw_tf.errors import DataError, TpwError


def parse_options(texts: list[str]) -> dict:
    """Every ``-o KEY=VALUE`` of a command line, as loader options."""
    return dict(parse_option(text) for text in texts)


def parse_option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` -> (key, value); VALUE is JSON if it parses, a comma list, or a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise TpwError(f"option {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value.split(",") if "," in value else value


def _refuse(dataset: str, option: str, value, expected: str):
    raise DataError(f"{dataset}: option {option} must be {expected}, got {value!r}")


def integer(dataset: str, option: str, value, *, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (a bool or a float is refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        _refuse(dataset, option, value, f"an integer >= {minimum}")
    return int(value)


def positive_number(dataset: str, option: str, value) -> float:
    """``value`` as a finite float > 0."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        _refuse(dataset, option, value, "a number > 0")
    return float(value)


def flag(dataset: str, option: str, value) -> bool:
    """``value`` when it is True or False (``-o normalize=false``)."""
    if not isinstance(value, bool):
        _refuse(dataset, option, value, "true or false")
    return value


NORMALIZATIONS = ("window", "record", "none")


def normalization(dataset: str, value) -> str:
    """How a loader scales its samples: ``"window"`` (z-score each window), ``"record"``
    (the record's own scale) or ``"none"``; True and False, the old flag's values, mean
    ``"window"`` and ``"none"``."""
    if isinstance(value, bool):
        return "window" if value else "none"
    check_choice(dataset, "normalize", value, NORMALIZATIONS)
    return value


def optional_text(dataset: str, option: str, value) -> str | None:
    """``value`` as a str (a path or URL), or None."""
    if value is not None and not isinstance(value, (str, os.PathLike)):
        _refuse(dataset, option, value, "a path or text")
    return None if value is None else os.fspath(value)


def as_records(dataset: str, value, *, numeric: bool = False) -> list[str] | None:
    """Record names from None (all), a name, a comma list ``"101,106"``, a number or an
    iterable of names / numbers (a list, a ``range``).

    ``numeric``: every name must be a whole number (PTB-XL ``ecg_id``).
    """
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else (
        list(value) if isinstance(value, Iterable) else [value])
    names = [str(v).strip() for v in items
             if isinstance(v, (str, numbers.Integral)) and not isinstance(v, bool)]
    if (not names or len(names) != len(items) or not all(names)
            or numeric and not all(n.isdigit() for n in names)):
        _refuse(dataset, "records", value, "record numbers" if numeric else "record names")
    return names


def as_leads(dataset: str, value, *, single: bool = False) -> list:
    """Lead names or channel indices from one lead or a list of them (one only if ``single``)."""
    leads = list(value) if isinstance(value, (list, tuple)) and not single else [value]
    if not leads or any(isinstance(v, bool) or not isinstance(v, (str, numbers.Integral))
                        for v in leads):
        _refuse(dataset, "lead", value, "a lead name or channel index" if single
                else "lead names or channel indices")
    return leads


def check_choice(dataset: str, option: str, value, choices) -> None:
    """Raise DataError naming the option when ``value`` is not one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise DataError(f"{dataset}: unknown {option} '{value}': choose one of "
                        f"{', '.join(map(str, choices))}")
