"""The model as a C array, byte-identical to what ``xxd -i NAME`` prints."""
from __future__ import annotations

import re

_BYTES_PER_LINE = 12


def c_identifier(file_name: str) -> str:
    """xxd's variable name for ``file_name``: non-alphanumerics become ``_``; a
    leading digit gets a ``__`` prefix."""
    name = re.sub(r"[^0-9A-Za-z]", "_", file_name)
    return f"__{name}" if name[:1].isdigit() else name


def c_array(data: bytes, file_name: str) -> str:
    """The text ``xxd -i file_name`` prints for a file holding ``data``."""
    name = c_identifier(file_name)
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + _BYTES_PER_LINE])
            for i in range(0, len(data), _BYTES_PER_LINE)]
    body = "".join(f"  {row}{',' if i < len(rows) - 1 else ''}\n" for i, row in enumerate(rows))
    return f"unsigned char {name}[] = {{\n{body}}};\nunsigned int {name}_len = {len(data)};\n"
