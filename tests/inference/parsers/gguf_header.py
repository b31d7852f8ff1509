"""Reads the key/value metadata at the head of a GGUF file (enough to get `tokenizer.chat_template`).

A test helper: the parsers package never reads files, and llama_cpp stays out of these tests.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    return struct.unpack(fmt, f.read(size))[0]


def _string(f: BinaryIO) -> str:
    return f.read(_read(f, "<Q")).decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, *, keep: bool) -> Any:
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        item_kind, count = _read(f, "<I"), _read(f, "<Q")
        if item_kind in _SCALARS and not keep:
            f.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
            return None
        items = [_value(f, item_kind, keep=keep) for _ in range(count)]
        return items if keep else None
    return _read(f, _SCALARS[kind])


def read_metadata(path: Path) -> dict[str, Any]:
    """Every metadata key; arrays (the vocabulary) are skipped and come back as None."""
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        _version, _tensors, count = _read(f, "<I"), _read(f, "<Q"), _read(f, "<Q")
        metadata: dict[str, Any] = {}
        for _ in range(count):
            key = _string(f)
            metadata[key] = _value(f, _read(f, "<I"), keep=False)
        return metadata
