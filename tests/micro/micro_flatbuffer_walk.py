"""A few lines of flatbuffer navigation, written from the wire format, to
locate fields of a .tflite for targeted corruption in the tests."""
from __future__ import annotations

import struct


def u32(buf: bytes, pos: int) -> int:
    return struct.unpack_from("<I", buf, pos)[0]


def root(buf: bytes) -> int:
    return u32(buf, 0)


def field(buf: bytes, table: int, index: int) -> int | None:
    """Absolute position of field ``index`` of the table at ``table`` (None if absent)."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vtable_size = struct.unpack_from("<H", buf, vtable)[0]
    slot = 4 + 2 * index
    if slot + 2 > vtable_size:
        return None
    offset = struct.unpack_from("<H", buf, vtable + slot)[0]
    return table + offset if offset else None


def drop_field(buf: bytearray, table: int, index: int) -> None:
    """Mark field ``index`` of the table at ``table`` absent (zero its vtable slot)."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    struct.pack_into("<H", buf, vtable + 4 + 2 * index, 0)


def deref(buf: bytes, pos: int) -> int:
    """Follow the uoffset stored at ``pos``."""
    return pos + u32(buf, pos)


def vector(buf: bytes, table: int, index: int) -> tuple[int, int]:
    """``(position of the length word, length)`` of a vector field."""
    start = deref(buf, field(buf, table, index))
    return start, u32(buf, start)


def vector_table(buf: bytes, table: int, index: int, element: int) -> int:
    """Position of table ``element`` of a vector-of-tables field."""
    start, _ = vector(buf, table, index)
    return deref(buf, start + 4 + 4 * element)


# TFLite schema field numbers used by the tests.
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 1, 2, 4
SUBGRAPH_TENSORS, SUBGRAPH_OPERATORS = 0, 3
OPERATOR_INPUTS, OPERATOR_OUTPUTS = 1, 2
TENSOR_SHAPE = 0
OPCODE_DEPRECATED_BUILTIN, OPCODE_BUILTIN = 0, 3
