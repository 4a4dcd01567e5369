"""WFDB records and annotations read with every failure turned into a DataError.

Signals are decoded here with NumPy rather than ``wfdb.rdrecord``: wfdb parses
each header through pandas (about 15 ms per 12-lead PTB-XL record, most of a
PTB-XL load) and reports a missing ``.dat`` as a bare FileNotFoundError and a
truncated one as a NumPy broadcast error. The decoding covers the storage
formats of the databases tpw reads (16: Apnea-ECG, PTB-XL; 212: MIT-BIH; 80)
and equals ``wfdb.rdrecord(...).p_signal`` exactly (tests/data/test_records.py).
Annotations are read with ``wfdb.rdann``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from tpw_tf.errors import DataError

# Bytes per sample on disk and the digital value WFDB reserves for "no sample".
_FORMATS = {"16": (2, -32768), "212": (1.5, -2048), "80": (1, -128)}
_GAIN = re.compile(r"^(?P<gain>[-+0-9.eE]+)(?:\((?P<baseline>-?\d+)\))?(?:/(?P<units>\S+))?$")


@dataclass(frozen=True)
class Channel:
    """One signal line of a header: where its samples are and how to scale them."""

    file: str
    fmt: str
    byte_offset: int
    gain: float       # adu per physical unit
    baseline: int     # adu at 0 physical units
    name: str


@dataclass(frozen=True)
class Header:
    fs: float
    sig_len: int
    channels: tuple[Channel, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]


def _file(record: Path, ext: str) -> Path:
    # Record names such as "00001_lr" or "a01" carry no suffix; append instead of with_suffix.
    return Path(f"{record}.{ext}")


def has_record(record: Path) -> bool:
    """True when the record's header exists (the record is present in the folder)."""
    return _file(record, "hea").exists()


def _parse_channel(line: str, hea: Path) -> Channel:
    fields = line.split()
    if len(fields) < 2:
        raise DataError(f"{hea}: signal line {line!r} has no format")
    fmt, _, offset = fields[1].partition("+")
    if fmt not in _FORMATS:
        raise DataError(f"{hea}: WFDB storage format '{fields[1]}' is not supported "
                        f"(supported: {', '.join(_FORMATS)})")
    gain, baseline = 200.0, None  # WFDB's defaults when the fields are absent
    if len(fields) > 2:
        match = _GAIN.match(fields[2])
        if not match:
            raise DataError(f"{hea}: unreadable gain field '{fields[2]}'")
        gain = float(match["gain"]) or 200.0
        baseline = int(match["baseline"]) if match["baseline"] is not None else None
    adc_zero = int(fields[4]) if len(fields) > 4 else 0
    return Channel(file=fields[0], fmt=fmt, byte_offset=int(offset or 0), gain=gain,
                   baseline=adc_zero if baseline is None else baseline,
                   name=" ".join(fields[8:]) if len(fields) > 8 else "")


def read_header(record: Path) -> Header:
    """Parse ``<record>.hea`` (single-segment records)."""
    hea = _file(record, "hea")
    if not hea.exists():
        raise DataError(f"{hea}: header file missing")
    try:
        lines = [ln.strip() for ln in hea.read_text().splitlines()
                 if ln.strip() and not ln.lstrip().startswith("#")]
        fields = lines[0].split()
        if "/" in fields[0] or len(fields) < 4:
            raise ValueError(f"record line {lines[0]!r} needs name, signals, rate and length "
                             "of a single-segment record")
        n_sig, fs, sig_len = int(fields[1]), float(fields[2].split("/")[0].split("(")[0]), \
            int(fields[3])
        if len(lines) < 1 + n_sig:
            raise ValueError(f"{n_sig} signals declared, {len(lines) - 1} signal lines")
    except (ValueError, IndexError, UnicodeDecodeError) as error:
        raise DataError(f"{hea}: unreadable header ({error})") from None
    return Header(fs, sig_len, tuple(_parse_channel(ln, hea) for ln in lines[1:1 + n_sig]))


def _channel_indices(header: Header, leads: tuple, hea: Path) -> list[int]:
    indices = []
    for lead in leads:
        if isinstance(lead, int):
            if not 0 <= lead < len(header.channels):
                raise DataError(f"{hea}: no channel {lead} (record has {len(header.channels)})")
            indices.append(lead)
        elif lead in header.names:
            indices.append(header.names.index(lead))
        else:
            raise DataError(f"{hea}: no lead '{lead}' (leads: {', '.join(header.names)})")
    return indices


def _decode(raw: np.ndarray, fmt: str) -> np.ndarray:
    """Digital samples (int32, frame-interleaved) from a format's bytes."""
    if fmt == "16":
        return raw.view("<i2").astype(np.int32)
    if fmt == "80":
        return raw.astype(np.int32) - 128
    # 212: each 3 bytes hold two 12-bit two's-complement samples.
    triples = raw[: len(raw) // 3 * 3].reshape(-1, 3).astype(np.int32)
    pairs = np.stack([triples[:, 0] | ((triples[:, 1] & 0x0F) << 8),
                      triples[:, 2] | ((triples[:, 1] & 0xF0) << 4)], axis=1).reshape(-1)
    return np.where(pairs >= 2048, pairs - 4096, pairs)


def _read_file(record: Path, header: Header, file: str) -> np.ndarray:
    """Digital samples ``(sig_len, signals in file)`` of one ``.dat``, size-checked."""
    members = [c for c in header.channels if c.file == file]
    fmt, offset, width = members[0].fmt, members[0].byte_offset, len(members)
    dat = record.parent / file
    if not dat.exists():
        raise DataError(f"{dat}: signal file missing (named by {_file(record, 'hea').name})")
    need = offset + math.ceil(header.sig_len * width * _FORMATS[fmt][0])
    size = dat.stat().st_size
    if size < need:
        raise DataError(f"{dat}: truncated, {size} bytes but the header needs {need}")
    raw = np.fromfile(dat, np.uint8, count=need - offset, offset=offset)
    return _decode(raw, fmt)[: header.sig_len * width].reshape(header.sig_len, width)


def read_signal(record: Path, *, leads, fs: float | None = None) -> np.ndarray:
    """Physical signal of ``leads`` (names or indices) as float32 ``(L, len(leads))``.

    Raises DataError when the header or a signal file is missing, a signal file
    is shorter than the header says, a lead is absent, or the sampling rate is
    not ``fs`` (when given). Missing samples (WFDB's reserved value) read as 0.
    """
    record = Path(record)
    leads = (leads,) if isinstance(leads, (str, int)) else tuple(leads)
    header = read_header(record)
    hea = _file(record, "hea")
    if fs is not None and not math.isclose(header.fs, fs):
        raise DataError(f"{hea}: sampling rate {header.fs:g} Hz, expected {fs:g} Hz")
    files: dict[str, np.ndarray] = {}
    columns = []
    for index in _channel_indices(header, leads, hea):
        channel = header.channels[index]
        if channel.file not in files:
            files[channel.file] = _read_file(record, header, channel.file)
        position = [c for c in header.channels if c.file == channel.file].index(channel)
        digital = files[channel.file][:, position]
        physical = (digital - channel.baseline) / channel.gain
        # 0 mV for invalid samples (a lead off) keeps them out of the window statistics.
        columns.append(np.where(digital == _FORMATS[channel.fmt][1], 0.0, physical))
    return np.stack(columns, axis=1).astype(np.float32)


def read_annotation(record: Path, ext: str) -> tuple[np.ndarray, np.ndarray]:
    """``(samples int64, symbols str)`` of annotation file ``<record>.<ext>``."""
    path = _file(record, ext)
    if not path.exists():
        raise DataError(f"{path}: annotation file missing")
    try:
        ann = wfdb.rdann(str(record), ext)
    except Exception as error:
        raise DataError(f"{path}: unreadable annotation ({error})") from None
    return np.asarray(ann.sample, np.int64), np.asarray(ann.symbol, dtype=str)
