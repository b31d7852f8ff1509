"""Reading safetensors files without torch: the header checked against the file, then one tensor at a time.

The format is an 8-byte little-endian header length, a JSON header (name -> dtype, shape, byte offsets)
and the raw data. Each tensor is read on its own with `numpy.fromfile`, so memory holds one tensor at once.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.errors import ModelLoadError

MAX_HEADER = 100 << 20  # the safetensors library's own limit
_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # numpy has no bfloat16: read the bits, widened in `read`
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorEntry:
    """One tensor of a safetensors file: where its bytes are and what they hold."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int
    """Absolute byte offset of the data in `path`."""
    nbytes: int
    path: Path


def read_header(path: Path) -> dict[str, TensorEntry]:
    """The tensors of a safetensors file, by name, checked against the file's size.

    Raises:
        ModelLoadError: the file is truncated, its header is not safetensors JSON, or an entry lies outside it.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(8)
            if len(head) < 8:
                raise ModelLoadError(str(path), f"truncated safetensors file ({size} bytes, no header)")
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER or 8 + length > size:
                raise ModelLoadError(str(path), f"truncated or not safetensors (header of {length} bytes, file {size})")
            raw = file.read(length)
    except OSError as exc:
        raise ModelLoadError(str(path), exc.strerror or str(exc)) from None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(str(path), f"safetensors header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ModelLoadError(str(path), "safetensors header is not a JSON object")
    header.pop("__metadata__", None)
    return {name: _entry(path, name, info, 8 + length, size) for name, info in header.items()}


def _entry(path: Path, name: str, info: object, data_start: int, size: int) -> TensorEntry:
    def bad(reason: str) -> ModelLoadError:
        return ModelLoadError(str(path), f"tensor {name!r}: {reason}")

    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise bad("entry lacks dtype, shape or data_offsets")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in _DTYPES:
        raise bad(f"dtype {dtype!r} is not one of {', '.join(_DTYPES)}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise bad(f"shape {shape!r} is not a list of sizes")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets):
        raise bad(f"data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
    if end - begin != nbytes or begin < 0:
        raise bad(f"data_offsets {offsets} hold {end - begin} bytes, shape {shape} of {dtype} needs {nbytes}")
    if data_start + end > size:
        raise bad(f"data ends at byte {data_start + end}, past the end of the file ({size} bytes): truncated")
    return TensorEntry(name=name, dtype=dtype, shape=tuple(shape), offset=data_start + begin, nbytes=nbytes, path=path)


def read(entry: TensorEntry) -> np.ndarray:
    """The tensor's values; floats come back as float32 (bfloat16 widened exactly), others as stored."""
    dtype = _DTYPES[entry.dtype]
    count = entry.nbytes // dtype.itemsize
    try:
        data = np.fromfile(entry.path, dtype=dtype, count=count, offset=entry.offset)
    except OSError as exc:
        raise ModelLoadError(str(entry.path), f"tensor {entry.name!r}: {exc}") from None
    if data.size != count:
        raise ModelLoadError(str(entry.path), f"tensor {entry.name!r}: truncated")
    if entry.dtype == "BF16":
        data = (data.astype(np.uint32) << 16).view(np.float32)
    elif entry.dtype in ("F16", "F64"):
        data = data.astype(np.float32)
    return data.reshape(entry.shape)


def read_folder(folder: Path, files: list[Path]) -> dict[str, TensorEntry]:
    """The tensors of every file of a sharded checkpoint, by name.

    Raises:
        ModelLoadError: a file is bad, or two files hold a tensor of the same name.
    """
    tensors: dict[str, TensorEntry] = {}
    for path in files:
        for name, entry in read_header(path).items():
            if name in tensors:
                raise ModelLoadError(str(path), f"tensor {name!r} is also in {tensors[name].path.name}")
            tensors[name] = entry
    if not tensors:
        raise ModelLoadError(str(folder), "no tensors in its safetensors files")
    return tensors
