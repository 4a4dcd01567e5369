"""WFDB records and annotations read exactly, with every failure turned into a DataError.

Two readers, one result (physical units, float32 ``(L, channels)``):

* a NumPy fast path for the storage formats of the databases tpw reads (16:
  Apnea-ECG, PTB-XL; 212: MIT-BIH; 80), one sample per frame, no skew, the
  length in the header. wfdb parses each header through pandas (about 15 ms per
  12-lead PTB-XL record, most of a PTB-XL load), so this path skips it;
* ``wfdb.rdrecord`` for everything else wfdb reads (formats 8, 24, 32, 61, 160,
  310, 311, FLAC 508/516/524, several samples per frame (averaged per frame,
  wfdb's ``smooth_frames``), skew, headers without a length, multi-segment
  records), its exceptions translated to one DataError naming the header.

Both equal ``wfdb.rdrecord(...).p_signal`` exactly, with WFDB's invalid-sample
value (NaN in wfdb) read as 0 (tests/data/test_records.py, test_cases_wfdb.py).
A channel is its position among the header's signal lines; names only select
one. Annotations are read with ``wfdb.rdann``; those outside the signal are
dropped with a warning naming them.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import wfdb

from tpw_tf.data.wfdb_header import Header, read_header
from tpw_tf.errors import DataError, first_line

# Bytes per sample on disk and the digital value WFDB reserves for "no sample".
_FAST = {"16": (2, -32768), "212": (1.5, -2048), "80": (1, -128)}
_LISTED = 8  # dropped annotations a warning names one by one


def _file(record: Path, ext: str) -> Path:
    # Record names such as "00001_lr" or "a01" carry no suffix; append instead of with_suffix.
    return Path(f"{record}.{ext}")


def has_record(record: Path) -> bool:
    """True when the record's header exists (the record is present in the folder)."""
    return _file(record, "hea").exists()


def _is_fast(header: Header) -> bool:
    return (not header.segments and header.sig_len is not None
            and all(c.fmt in _FAST and c.samples_per_frame == 1 and not c.skew
                    for c in header.channels))


def _channel_indices(names: list[str], leads: tuple, hea: Path) -> list[int]:
    indices = []
    for lead in leads:
        if isinstance(lead, int):
            if not 0 <= lead < len(names):
                raise DataError(f"{hea}: no channel {lead} (record has {len(names)})")
            indices.append(lead)
        elif lead in names:
            indices.append(names.index(lead))
        else:
            raise DataError(f"{hea}: no lead '{lead}' (leads: {', '.join(names)})")
    return indices


def _decode(raw: np.ndarray, fmt: str, count: int) -> np.ndarray:
    """The first ``count`` digital samples (int32, frame-interleaved) of a format's bytes."""
    if fmt == "16":
        return raw[: 2 * count].view("<i2").astype(np.int32)
    if fmt == "80":
        return raw[:count].astype(np.int32) - 128
    # 212: each 3 bytes hold two 12-bit two's-complement samples; an odd count ends in
    # half a block (2 bytes), so pad to whole blocks and cut the decoded pairs.
    raw = np.pad(raw, (0, -len(raw) % 3))
    triples = raw.reshape(-1, 3).astype(np.int32)
    pairs = np.stack([triples[:, 0] | ((triples[:, 1] & 0x0F) << 8),
                      triples[:, 2] | ((triples[:, 1] & 0xF0) << 4)], axis=1).reshape(-1)
    pairs = pairs[:count]
    return np.where(pairs >= 2048, pairs - 4096, pairs)


def _read_file(record: Path, header: Header, file: str) -> np.ndarray:
    """Digital samples ``(sig_len, signals in file)`` of one ``.dat``, size-checked."""
    members = [c for c in header.channels if c.file == file]
    # wfdb reads every signal of a file from the first one's byte offset.
    fmt, offset, width = members[0].fmt, members[0].byte_offset, len(members)
    dat = record.parent / file
    if not dat.is_file():
        raise DataError(f"{dat}: signal file missing (named by {header.path.name})")
    count = header.sig_len * width
    need = offset + math.ceil(count * _FAST[fmt][0])
    size = dat.stat().st_size
    if size < need:
        raise DataError(f"{dat}: truncated, {size} bytes but the header needs {need}")
    try:
        raw = np.fromfile(dat, np.uint8, count=need - offset, offset=offset)
    except OSError as error:
        raise DataError(f"{dat}: unreadable signal file ({first_line(error)})") from None
    return _decode(raw, fmt, count).reshape(header.sig_len, width)


def _read_fast(record: Path, header: Header, indices: list[int]) -> np.ndarray:
    """Physical float64 ``(sig_len, len(indices))`` of the channels at ``indices``."""
    files: dict[str, np.ndarray] = {}
    columns = []
    for index in indices:
        channel = header.channels[index]
        if channel.file not in files:
            files[channel.file] = _read_file(record, header, channel.file)
        # Column within its file: how many earlier signal lines name the same file.
        column = sum(c.file == channel.file for c in header.channels[:index])
        digital = files[channel.file][:, column]
        physical = (digital - channel.baseline) / channel.gain
        # 0 for invalid samples (a lead off) keeps them out of the window statistics.
        columns.append(np.where(digital == _FAST[channel.fmt][1], 0.0, physical))
    return np.stack(columns, axis=1) if columns else np.zeros((header.sig_len, 0))


def _read_wfdb(record: Path, hea: Path) -> tuple[float, list[str], np.ndarray]:
    """``(fs, signal names, physical float64 (L, signals))`` by ``wfdb.rdrecord``."""
    try:
        rec = wfdb.rdrecord(str(record), physical=True, smooth_frames=True)
    except Exception as error:  # wfdb raises ValueError, OSError, IndexError, struct.error...
        raise DataError(f"{hea}: wfdb cannot read the record "
                        f"({type(error).__name__}: {first_line(error)})") from None
    names = list(rec.sig_name or [])
    signal = rec.p_signal if rec.p_signal is not None else np.zeros((rec.sig_len or 0, 0))
    return float(rec.fs), names, np.nan_to_num(np.asarray(signal, np.float64), nan=0.0)


def read_signal(record: Path, *, leads, fs: float | None = None) -> np.ndarray:
    """Physical signal of ``leads`` (names or header positions) as float32 ``(L, len(leads))``.

    Raises DataError naming the file when the header is missing or a field is
    invalid (:func:`tpw_tf.data.wfdb_header.read_header`), a signal file is
    missing or shorter than the header says, wfdb cannot read the record, a
    lead is absent, the sampling rate is not ``fs`` (when given), or a value
    does not fit float32. Missing samples (WFDB's reserved value) read as 0.
    """
    record = Path(record)
    leads = (leads,) if isinstance(leads, (str, int)) else tuple(leads)
    hea = _file(record, "hea")
    header = read_header(hea)
    if _is_fast(header):
        rate, names, table = header.fs, header.names, None
    else:
        rate, names, table = _read_wfdb(record, hea)
    if fs is not None and not math.isclose(rate, fs):
        raise DataError(f"{hea}: sampling rate {rate:g} Hz, expected {fs:g} Hz")
    indices = _channel_indices(names, leads, hea)
    signal = _read_fast(record, header, indices) if table is None else table[:, indices]
    with np.errstate(over="ignore"):  # an overflow is refused just below
        signal = signal.astype(np.float32)
    if not np.isfinite(signal).all():
        raise DataError(f"{hea}: physical values beyond float32 range (check the gain fields)")
    return signal


def read_annotation(record: Path, ext: str, *, length: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(samples int64, symbols str)`` of annotation file ``<record>.<ext>``.

    With ``length`` (samples of the signal), annotations outside ``[0, length)``
    are dropped with a warning naming the file, each dropped annotation (symbol
    and sample) and the length: they point at samples that do not exist.
    """
    path = _file(record, ext)
    if not path.is_file():
        raise DataError(f"{path}: annotation file missing")
    try:
        ann = wfdb.rdann(str(record), ext)
    except Exception as error:  # wfdb raises ValueError, IndexError, struct.error...
        raise DataError(f"{path}: unreadable annotation "
                        f"({type(error).__name__}: {first_line(error)})") from None
    samples = np.asarray(ann.sample, np.int64)
    symbols = np.asarray(ann.symbol, dtype=str).reshape(len(samples))
    if length is not None:
        inside = (samples >= 0) & (samples < length)
        if not inside.all():
            named = [f"{s} at {n}" for s, n in zip(symbols[~inside], samples[~inside])]
            more = f" and {len(named) - _LISTED} more" if len(named) > _LISTED else ""
            warnings.warn(f"{path}: {len(named)} annotation(s) outside the signal of "
                          f"{length} samples dropped: {', '.join(named[:_LISTED])}{more}",
                          stacklevel=2)
            samples, symbols = samples[inside], symbols[inside]
    return samples, symbols
