"""WFDB header files (``<record>.hea``) parsed and validated field by field.

A header is a record line ``name[/segments] signals [fs[/counter[(base)]] [length ...]]``
followed, for a single-segment record, by one line per signal:
``file format[xframe][:skew][+offset] [gain[(baseline)][/units] [resolution [zero
[initial [checksum [block [description]]]]]]]`` (WFDB's header(5) page). Every
value a reader relies on is checked here, so a bad header is one DataError
``<file>.hea: <field> ...`` instead of a wrong signal or a traceback later.
Multi-segment records keep only their record line: wfdb reads them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from tpw_tf.errors import DataError

# Every storage format WFDB defines (signal(5)); wfdb 4.3 reads them all.
WFDB_FORMATS = ("8", "16", "24", "32", "61", "80", "160", "212", "310", "311",
                "508", "516", "524")
DEFAULT_FS = 250.0    # WFDB's sampling frequency when the record line omits it
DEFAULT_GAIN = 200.0  # adu per physical unit when the gain is absent or 0
_FORMAT_FIELD = re.compile(
    r"^(?P<fmt>\d+)(?:x(?P<spf>\d+))?(?::(?P<skew>\d+))?(?:\+(?P<offset>\d+))?$")
_GAIN_FIELD = re.compile(
    r"^(?P<gain>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:\((?P<baseline>[-+]?\d+)\))?"
    r"(?:/(?P<units>.*))?$")


@dataclass(frozen=True)
class Channel:
    """One signal line of a header: where its samples are and how to scale them."""

    file: str
    fmt: str
    samples_per_frame: int
    skew: int
    byte_offset: int
    gain: float       # adu per physical unit (never 0)
    baseline: int     # adu at 0 physical units
    name: str


@dataclass(frozen=True)
class Header:
    """A parsed header.

    Attributes:
        fs: samples per second per signal (Hz).
        sig_len: samples per signal, or None when the record line omits it.
        segments: 0 for a single-segment record, else the number of segments
            (``channels`` is then empty: the segments' own headers hold them).
        channels: the signal lines, in header order (a channel *is* its position).
    """

    path: Path
    fs: float
    sig_len: int | None
    segments: int
    channels: tuple[Channel, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]


def _bad(hea: Path, where: str, field: str, value: str, expected: str) -> DataError:
    return DataError(f"{hea}: {where}{field} {value!r} is not {expected}")


def _count(hea: Path, where: str, field: str, text: str) -> int:
    """A non-negative integer field."""
    if not text.isdigit():
        raise _bad(hea, where, field, text, "a whole number >= 0")
    return int(text)


def _integer(hea: Path, where: str, field: str, text: str) -> int:
    """A signed integer field (baselines, ADC zero)."""
    try:
        return int(text)
    except ValueError:
        raise _bad(hea, where, field, text, "an integer") from None


def _record_line(hea: Path, line: str) -> tuple[int, int, float, int | None]:
    """``(segments, signals, fs, length or None)`` of the record line."""
    fields = line.split()
    if len(fields) < 2:
        raise _bad(hea, "record line: ", "fields", line, "'name signals [fs [length]]'")
    _, _, segments = fields[0].partition("/")
    segments = _count(hea, "record line: ", "number of segments", segments) if segments else 0
    n_sig = _count(hea, "record line: ", "number of signals", fields[1])
    fs = DEFAULT_FS
    if len(fields) > 2:
        text = fields[2].split("/")[0]  # "360/1000(0)": counter frequency and base follow
        try:
            fs = float(text)
        except ValueError:
            fs = math.nan
        if not math.isfinite(fs) or fs <= 0:
            raise _bad(hea, "record line: ", "sampling frequency", fields[2], "a number > 0")
    sig_len = (_count(hea, "record line: ", "signal length", fields[3])
               if len(fields) > 3 else None)
    return segments, n_sig, fs, sig_len


def _signal_line(hea: Path, index: int, line: str) -> Channel:
    where = f"signal {index}: "
    fields = line.split(maxsplit=8)
    if len(fields) < 2:
        raise _bad(hea, where, "line", line, "'file format ...'")
    storage = _FORMAT_FIELD.match(fields[1])
    if not storage:
        raise _bad(hea, where, "format field", fields[1], "'format[xframe][:skew][+offset]'")
    if storage["fmt"] not in WFDB_FORMATS:
        raise _bad(hea, where, "format", storage["fmt"],
                   f"a WFDB storage format ({', '.join(WFDB_FORMATS)})")
    spf = int(storage["spf"] or 1)
    if spf < 1:
        raise _bad(hea, where, "samples per frame", storage["spf"], "a whole number >= 1")
    gain, baseline = DEFAULT_GAIN, None
    if len(fields) > 2:
        scale = _GAIN_FIELD.match(fields[2])
        if not scale:
            raise _bad(hea, where, "gain field", fields[2], "'gain[(baseline)][/units]'")
        gain = float(scale["gain"]) or DEFAULT_GAIN
        if not math.isfinite(gain):
            raise _bad(hea, where, "gain", scale["gain"], "a finite number")
        if scale["baseline"] is not None:
            baseline = int(scale["baseline"])
    if len(fields) > 3:
        _count(hea, where, "ADC resolution", fields[3])
    zero = _integer(hea, where, "ADC zero", fields[4]) if len(fields) > 4 else 0
    return Channel(file=fields[0], fmt=storage["fmt"], samples_per_frame=spf,
                   skew=int(storage["skew"] or 0), byte_offset=int(storage["offset"] or 0),
                   gain=gain, baseline=zero if baseline is None else baseline,
                   name=fields[8].strip() if len(fields) > 8 else "")


def read_header(hea: Path) -> Header:
    """Parse and validate header file ``hea``.

    Raises:
        DataError naming ``hea`` and the field: file missing or not text, a
        malformed or out-of-range record-line value (signals, sampling
        frequency, length), fewer signal lines than declared, an unknown
        format, a malformed gain / baseline / ADC field, or the signals of one
        ``.dat`` file on lines that are not consecutive or with different formats.
    """
    hea = Path(hea)
    if not hea.is_file():
        raise DataError(f"{hea}: header file missing")
    try:
        text = hea.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{hea}: unreadable header ({error})") from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip()
             .startswith("#")]
    if not lines:
        raise DataError(f"{hea}: header has no record line")
    segments, n_sig, fs, sig_len = _record_line(hea, lines[0])
    if segments:
        return Header(hea, fs, sig_len, segments, ())
    if len(lines) < 1 + n_sig:
        raise DataError(f"{hea}: record line declares {n_sig} signals, "
                        f"{len(lines) - 1} signal lines follow")
    channels = tuple(_signal_line(hea, i, ln) for i, ln in enumerate(lines[1:1 + n_sig]))
    formats: dict[str, str] = {}
    for index, channel in enumerate(channels):
        # header(5): the signals of one file are consecutive lines of one storage format.
        if channel.file in formats and channel.file != channels[index - 1].file:
            raise _bad(hea, f"signal {index}: ", "file", channel.file,
                       "consecutive with the other signal lines naming it")
        first = formats.setdefault(channel.file, channel.fmt)
        if channel.fmt != first:
            raise _bad(hea, f"signal {index}: ", "format", channel.fmt,
                       f"{first}, the format of the other signals in {channel.file}")
    return Header(hea, fs, sig_len, 0, channels)
