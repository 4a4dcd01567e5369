"""WFDB records and annotations read with every failure turned into a DataError.

wfdb itself reports a missing ``.dat`` as a bare FileNotFoundError and a
truncated one as a NumPy broadcast error; users need the file and the problem.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import wfdb

from tpw_tf.errors import DataError

# Bytes each sample takes on disk, per WFDB storage format (formats wfdb 4.3 reads).
_BYTES_PER_SAMPLE = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2,
                     "212": 1.5, "310": 4 / 3, "311": 4 / 3}


def _file(record: Path, ext: str) -> Path:
    # Record names such as "00001_lr" or "a01" carry no suffix; append instead of with_suffix.
    return Path(f"{record}.{ext}")


def has_record(record: Path) -> bool:
    """True when the record's header exists (the record is present in the folder)."""
    return _file(record, "hea").exists()


def read_header(record: Path) -> wfdb.Record:
    hea = _file(record, "hea")
    if not hea.exists():
        raise DataError(f"{hea}: header file missing")
    try:
        return wfdb.rdheader(str(record))
    except Exception as error:  # wfdb raises bare ValueError/IndexError on malformed lines
        raise DataError(f"{hea}: unreadable header ({error})") from None


def _channels(header: wfdb.Record, leads: tuple, hea: Path) -> list[int]:
    channels = []
    for lead in leads:
        if isinstance(lead, int):
            if not 0 <= lead < header.n_sig:
                raise DataError(f"{hea}: no channel {lead} (record has {header.n_sig})")
            channels.append(lead)
        elif lead in header.sig_name:
            channels.append(header.sig_name.index(lead))
        else:
            raise DataError(f"{hea}: no lead '{lead}' (leads: {', '.join(header.sig_name)})")
    return channels


def _check_signal_files(record: Path, header: wfdb.Record) -> None:
    """Each ``.dat`` named by the header exists and holds all ``sig_len`` samples."""
    by_file: dict[str, list[int]] = {}
    for i, name in enumerate(header.file_name):
        by_file.setdefault(name, []).append(i)
    for name, channels in by_file.items():
        dat = record.parent / name
        if not dat.exists():
            raise DataError(f"{dat}: signal file missing (named by {_file(record, 'hea').name})")
        fmt = header.fmt[channels[0]]
        if fmt not in _BYTES_PER_SAMPLE:
            continue
        offset = (header.byte_offset[channels[0]] or 0) if header.byte_offset else 0
        need = offset + math.ceil(header.sig_len * len(channels) * _BYTES_PER_SAMPLE[fmt])
        size = dat.stat().st_size
        if size < need:
            raise DataError(f"{dat}: truncated, {size} bytes but the header needs {need}")


def read_signal(record: Path, *, leads, fs: float | None = None) -> np.ndarray:
    """Physical signal of ``leads`` (names or indices) as float32 ``(L, len(leads))``.

    Raises DataError when the header or a signal file is missing, a signal file
    is shorter than the header says, a lead is absent, or the sampling rate is
    not ``fs`` (when given).
    """
    record = Path(record)
    leads = (leads,) if isinstance(leads, (str, int)) else tuple(leads)
    header = read_header(record)
    hea = _file(record, "hea")
    if fs is not None and not math.isclose(header.fs, fs):
        raise DataError(f"{hea}: sampling rate {header.fs:g} Hz, expected {fs:g} Hz")
    channels = _channels(header, leads, hea)
    _check_signal_files(record, header)
    try:
        signal = wfdb.rdrecord(str(record), channels=channels).p_signal
    except Exception as error:
        raise DataError(f"{record}: unreadable signal ({error})") from None
    # WFDB marks invalid samples (e.g. a lead off) as NaN; 0 mV keeps them out of the statistics.
    return np.nan_to_num(signal).astype(np.float32)


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
