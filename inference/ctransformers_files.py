"""Checking a GGML or early GGUF llama file before ctransformers' native loader sees it.

The llama.cpp of 2023 that ctransformers bundles trusts its input: a truncated file loads and then
reads past its end, a bad head size aborts the process in an assert, a byte missing from the
vocabulary aborts the tokenizer, an unknown metadata type aborts the GGUF reader. Everything it
relies on is checked here in Python, so a bad file is a `ModelLoadError` naming the path and the reason.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from inference.errors import ModelLoadError, ModelNotFoundError

_LEGACY_MAGICS = {0x67676D6C: "ggml", 0x67676D66: "ggmf", 0x67676A74: "ggjt"}
_LEGACY_VERSIONS = {"ggmf": (1,), "ggjt": (1, 2, 3)}
# Tensor types of the 2023 ggml that model files use: type id -> (elements per block, bytes per block).
_TENSOR_TYPES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
}  # fmt: skip
_LEGACY_NAMES = ("tok_embeddings", "norm", "output", "layers.{i}.attention_norm", "layers.{i}.attention.wq",
                 "layers.{i}.attention.wk", "layers.{i}.attention.wv", "layers.{i}.attention.wo",
                 "layers.{i}.ffn_norm", "layers.{i}.feed_forward.w1", "layers.{i}.feed_forward.w2",
                 "layers.{i}.feed_forward.w3")  # fmt: skip
_GGUF_NAMES = ("token_embd", "output_norm", "output", "blk.{i}.attn_norm", "blk.{i}.attn_q", "blk.{i}.attn_k",
               "blk.{i}.attn_v", "blk.{i}.attn_output", "blk.{i}.ffn_norm", "blk.{i}.ffn_gate",
               "blk.{i}.ffn_down", "blk.{i}.ffn_up")  # fmt: skip
_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9
_70B = re.compile(r"(\b|_)70b(\b|_)", re.IGNORECASE)  # ctransformers sets n_gqa=8 for file names like this


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFileInfo:
    """What `inspect_model_file` found in a file ctransformers can load."""

    path: str
    container: str
    """`ggml`, `ggmf v1`, `ggjt v1` .. `ggjt v3`, or `gguf v1` .. `gguf v3`."""
    n_vocab: int
    n_embd: int
    n_layer: int
    n_tensors: int
    n_ctx_train: int | None = None
    """The training context length (GGUF files record it; GGML files do not)."""


class _Invalid(Exception):
    """A reason the file cannot be loaded; becomes a ModelLoadError naming the path."""


class _Reader:
    """Little-endian reads that never go past the end of the file."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file, self.size, self.pos = file, size, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.size - self.pos:
            raise _Invalid(f"truncated: {what} at byte {self.pos} needs {n} bytes, the file has {self.size}")
        self.pos += n
        return self.file.read(n)

    def skip(self, n: int, what: str) -> None:
        if n < 0 or n > self.size - self.pos:
            raise _Invalid(f"truncated: {what} at byte {self.pos} needs {n} bytes, the file has {self.size}")
        self.pos += n
        self.file.seek(self.pos)

    def unpack(self, fmt: str, what: str) -> Any:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt), what))[0]


def inspect_model_file(path: str | os.PathLike[str]) -> ModelFileInfo:
    """Check a llama-family GGML or GGUF file against what ctransformers' native loader relies on.

    Raises:
        ModelNotFoundError: there is no file at `path`.
        ModelLoadError: the file is unreadable, truncated, corrupt or of a kind the loader cannot take;
            `reason` says which and where.
    """
    file_path = Path(path).expanduser()
    if not file_path.is_file():
        raise ModelNotFoundError(
            str(path), [f"{file_path.resolve()} ({'a directory' if file_path.is_dir() else 'no such file'})"]
        )
    try:
        with file_path.open("rb") as file:
            reader = _Reader(file, os.fstat(file.fileno()).st_size)
            if reader.size >= 4 and file.read(4) == b"GGUF":
                file.seek(0)
                return _inspect_gguf(reader, str(file_path))
            file.seek(0)
            return _inspect_legacy(reader, str(file_path))
    except _Invalid as exc:
        raise ModelLoadError(str(file_path), str(exc)) from None
    except OSError as exc:
        raise ModelLoadError(str(file_path), exc.strerror or str(exc)) from None


def is_legacy_ggml(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a file that starts with a GGML, GGMF or GGJT magic (llama.cpp's pre-GGUF files)."""
    try:
        with Path(path).expanduser().open("rb") as file:
            head = file.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<I", head)[0] in _LEGACY_MAGICS


def _tensor_bytes(name: str, kind: int, shape: Sequence[int]) -> int:
    if kind not in _TENSOR_TYPES:
        raise _Invalid(f"tensor {name!r} has type {kind}, which ctransformers' 2023 ggml cannot read")
    block, block_bytes = _TENSOR_TYPES[kind]
    if not shape or min(shape) < 1 or shape[0] % block:
        raise _Invalid(f"tensor {name!r} has shape {list(shape)}, not rows of whole {block}-element blocks")
    count = 1
    for dim in shape:
        count *= dim
    return count // block * block_bytes


def _check_tensors(found: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]]) -> None:
    for name, shape in expected.items():
        if name not in found:
            raise _Invalid(f"tensor {name!r} is missing (the 2023 llama loader requires it)")
        if found[name] != shape:
            raise _Invalid(f"tensor {name!r} has shape {list(found[name])}, expected {list(shape)}")
    extra = sorted(set(found) - set(expected))
    if extra:
        raise _Invalid(f"unexpected tensors {extra[:3]} (the 2023 llama loader rejects extra tensors)")


def _llama_tensors(
    names: Sequence[str], *, n_vocab: int, n_embd: int, n_embd_kv: int, n_ff: int, n_layer: int
) -> dict[str, tuple[int, ...]]:
    """The tensors of a llama model and their shapes in ggml order (fastest dimension first)."""
    matrix, vector = (n_embd, n_embd), (n_embd,)
    shapes = [(n_embd, n_vocab), vector, (n_embd, n_vocab), vector, matrix, (n_embd, n_embd_kv), (n_embd, n_embd_kv),
              matrix, vector, (n_embd, n_ff), (n_ff, n_embd), (n_embd, n_ff)]  # fmt: skip
    expected = {f"{name}.weight": shape for name, shape in zip(names[:3], shapes[:3], strict=True)}
    for i in range(n_layer):
        expected |= {f"{name.format(i=i)}.weight": shape for name, shape in zip(names[3:], shapes[3:], strict=True)}
    return expected


def _check_sizes(**sizes: int) -> None:
    if not all(0 < size < 1 << 22 for size in sizes.values()) or sizes["n_layer"] > 1024:
        raise _Invalid("implausible hyperparameters " + " ".join(f"{k}={v}" for k, v in sizes.items()))


def _check_heads(n_embd: int, n_head: int, n_head_kv: int, n_rot: int) -> None:
    # A mismatch here is an assert (an abort) in the native graph builder, not an error.
    if n_head < 1 or n_head_kv < 1 or n_embd % n_head or n_head % n_head_kv:
        raise _Invalid(f"{n_head} attention heads ({n_head_kv} for keys/values) do not divide n_embd={n_embd}")
    if n_rot != n_embd // n_head:
        raise _Invalid(f"n_rot={n_rot}, but n_embd / n_head = {n_embd // n_head}")


def _check_vocab(tokens: Iterable[bytes], byte_token: Callable[[int], bytes]) -> None:
    # The tokenizer looks up a byte token for every character the vocabulary lacks, with no fallback.
    known = set(tokens)
    missing = [b for b in range(1, 256) if byte_token(b) not in known]
    if missing:
        raise _Invalid(f"the vocabulary lacks {len(missing)} byte tokens (e.g. {byte_token(missing[0])!r})")


def _inspect_legacy(reader: _Reader, path: str) -> ModelFileInfo:
    magic = reader.unpack("I", "magic")
    container = _LEGACY_MAGICS.get(magic)
    if container is None:
        head = struct.pack("<I", magic)
        raise _Invalid(f"not a GGML or GGUF file (starts with {head!r}; expected b'lmgg', b'fmgg', b'tjgg' or b'GGUF')")
    version = None
    if container != "ggml":
        version = reader.unpack("I", "version")
        if version not in _LEGACY_VERSIONS[container]:
            raise _Invalid(f"{container} version {version} is unknown (the loader reads ggmf v1 and ggjt v1-v3)")
    name = f"{container} v{version}" if version else container
    n_vocab, n_embd, n_mult, n_head, n_layer, n_rot, ftype = struct.unpack("<7I", reader.take(28, "hyperparameters"))
    _check_sizes(n_vocab=n_vocab, n_embd=n_embd, n_layer=n_layer, n_mult=n_mult)
    n_gqa = 8 if _70B.search(Path(path).name) else 1
    _check_heads(n_embd, n_head, n_head // n_gqa if n_head % n_gqa == 0 else 0, n_rot)
    old = {"ggml": 0, "ggmf": 1}.get(container, 1 + (version or 0))  # ggml < ggmf < ggjt v1 < v2 < v3
    if (old < 3 and ftype not in (0, 1, 7)) or (old < 4 and ftype in (2, 3, 7)):
        raise _Invalid(f"{name} with quantization type {ftype} predates llama.cpp PR #1405/#1508; convert it again")

    tokens = []
    for i in range(n_vocab):
        tokens.append(reader.take(reader.unpack("I", f"token {i} length"), f"token {i}"))
        reader.skip(4, f"score of token {i}")
    _check_vocab(tokens, lambda b: bytes([b]))

    found: dict[str, tuple[int, ...]] = {}
    while reader.pos < reader.size:
        n_dims, name_len, kind = struct.unpack("<3I", reader.take(12, "tensor header"))
        if n_dims not in (1, 2) or name_len > 512:
            raise _Invalid(
                f"corrupt tensor header at byte {reader.pos - 12} ({n_dims} dimensions, name of {name_len} bytes)"
            )
        shape = struct.unpack(f"<{n_dims}I", reader.take(4 * n_dims, "tensor shape"))
        tensor = reader.take(name_len, "tensor name").decode("utf-8", "replace")
        if container == "ggjt":
            reader.skip(-reader.pos % 32, f"padding of tensor {tensor!r}")
        reader.skip(_tensor_bytes(tensor, kind, shape), f"data of tensor {tensor!r}")
        found[tensor] = shape
    # llama.cpp's pre-GGUF feed-forward size: 2/3 of 4 * n_embd (x1.3 for 70B), rounded up to n_mult.
    ffn_mult = 1.3 if n_layer == 80 and n_gqa == 8 else 1.0
    n_ff_mult = int(_f32(_f32(ffn_mult) * (2 * (4 * n_embd) // 3)))
    n_ff = (n_ff_mult + n_mult - 1) // n_mult * n_mult
    expected = _llama_tensors(
        _LEGACY_NAMES, n_vocab=n_vocab, n_embd=n_embd, n_embd_kv=n_embd // n_gqa, n_ff=n_ff, n_layer=n_layer
    )
    _check_tensors(found, expected)
    return ModelFileInfo(
        path=path, container=name, n_vocab=n_vocab, n_embd=n_embd, n_layer=n_layer, n_tensors=len(found)
    )


def _f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


@dataclass(frozen=True, slots=True)
class _Array:
    kind: int
    count: int
    strings: list[bytes] | None = None


def _gguf_value(reader: _Reader, kind: int, count_fmt: str, key: str) -> Any:
    if kind in _GGUF_SCALARS:
        return reader.unpack(_GGUF_SCALARS[kind], key)
    if kind == _GGUF_STRING:
        return reader.take(reader.unpack(count_fmt, key), key)
    if kind != _GGUF_ARRAY:
        raise _Invalid(f"metadata {key!r} has unknown value type {kind}")
    item_kind, count = reader.unpack("I", key), reader.unpack(count_fmt, key)
    if item_kind in _GGUF_SCALARS:
        reader.skip(count * struct.calcsize(_GGUF_SCALARS[item_kind]), key)
        return _Array(item_kind, count)
    if item_kind == _GGUF_STRING:
        return _Array(item_kind, count, [reader.take(reader.unpack(count_fmt, key), key) for _ in range(count)])
    raise _Invalid(f"metadata {key!r} is an array of type {item_kind} (the 2023 GGUF reader aborts on it)")


def _inspect_gguf(reader: _Reader, path: str) -> ModelFileInfo:
    reader.skip(4, "magic")
    version = reader.unpack("I", "version")
    if version not in (1, 2, 3):
        raise _Invalid(f"GGUF version {version} is newer than ctransformers' reader (v1-v3)")
    count_fmt = "I" if version == 1 else "Q"  # GGUF v1 has 32-bit counts, lengths and dimensions
    n_tensors, n_kv = reader.unpack(count_fmt, "tensor count"), reader.unpack(count_fmt, "metadata count")
    meta: dict[str, tuple[int, Any]] = {}
    for i in range(n_kv):
        key = reader.take(reader.unpack(count_fmt, f"metadata key {i}"), f"metadata key {i}").decode("utf-8", "replace")
        kind = reader.unpack("I", key)
        meta[key] = (kind, _gguf_value(reader, kind, count_fmt, key))
    infos: list[tuple[str, tuple[int, ...], int, int]] = []
    for i in range(n_tensors):
        name = reader.take(reader.unpack(count_fmt, f"tensor {i} name"), f"tensor {i} name").decode("utf-8", "replace")
        n_dims = reader.unpack("I", f"tensor {name!r}")
        if not 1 <= n_dims <= 4:
            raise _Invalid(f"tensor {name!r} has {n_dims} dimensions")
        shape = struct.unpack(f"<{n_dims}{count_fmt}", reader.take(n_dims * struct.calcsize(count_fmt), name))
        infos.append((name, shape, reader.unpack("I", name), reader.unpack("Q", name)))

    def value(key: str, kind: int, default: Any = None) -> Any:
        # The native reader demands each key's exact type, as here.
        if key not in meta:
            if default is None:
                raise _Invalid(f"metadata {key!r} is missing")
            return default
        if meta[key][0] != kind:
            raise _Invalid(f"metadata {key!r} has type {meta[key][0]}, expected {kind}")
        return meta[key][1]

    def number(key: str, default: int | None = None) -> int:
        return int(value(key, 4, default))

    alignment = number("general.alignment", default=32)
    if alignment < 1 or alignment & (alignment - 1):
        raise _Invalid(f"general.alignment={alignment} is not a power of two")
    data_start = reader.pos + (-reader.pos % alignment)
    arch = value("general.architecture", _GGUF_STRING).decode("utf-8", "replace")
    if arch != "llama":
        raise _Invalid(f"architecture {arch!r}: the ctransformers backend loads llama-family models only")
    n_embd, n_head = number("llama.embedding_length"), number("llama.attention.head_count")
    n_layer, n_ff = number("llama.block_count"), number("llama.feed_forward_length")
    _check_sizes(n_embd=n_embd, n_layer=n_layer, n_ff=n_ff)
    n_head_kv = number("llama.attention.head_count_kv", default=n_head)
    _check_heads(n_embd, n_head, n_head_kv, number("llama.rope.dimension_count", default=n_embd // max(n_head, 1)))
    value("llama.attention.layer_norm_rms_epsilon", 6)
    tokenizer = value("tokenizer.ggml.model", _GGUF_STRING, b"llama")
    if tokenizer != b"llama":
        raise _Invalid(
            f"tokenizer {tokenizer.decode('utf-8', 'replace')!r}: the ctransformers backend reads SentencePiece"
            " ('llama') vocabularies only (LlamaCppBackend reads modern GGUF)"
        )
    tokens, scores, types = (value(f"tokenizer.ggml.{key}", _GGUF_ARRAY) for key in ("tokens", "scores", "token_type"))
    if (tokens.kind, scores.kind, types.kind) != (_GGUF_STRING, 6, 5):
        raise _Invalid("tokenizer.ggml.tokens, scores and token_type must be arrays of strings, f32 and i32")
    n_vocab = tokens.count
    if not n_vocab or scores.count != n_vocab or types.count != n_vocab:
        raise _Invalid(f"{n_vocab} tokens, {scores.count} scores and {types.count} token types")
    _check_vocab(tokens.strings, lambda b: f"<0x{b:02X}>".encode())
    for key in ("bos", "eos", "unknown", "padding"):
        if number(f"tokenizer.ggml.{key}_token_id", 0) >= n_vocab:
            raise _Invalid(f"tokenizer.ggml.{key}_token_id is outside the vocabulary of {n_vocab}")

    found: dict[str, tuple[int, ...]] = {}
    for name, shape, kind, offset in infos:
        size = _tensor_bytes(name, kind, shape)
        if offset % alignment or data_start + offset + size > reader.size:
            raise _Invalid(
                f"truncated: tensor {name!r} ends at byte {data_start + offset + size}, the file has {reader.size}"
            )
        found[name] = shape
    expected = _llama_tensors(
        _GGUF_NAMES, n_vocab=n_vocab, n_embd=n_embd, n_embd_kv=n_embd // n_head * n_head_kv, n_ff=n_ff, n_layer=n_layer
    )
    _check_tensors(found, expected)
    return ModelFileInfo(
        path=path, container=f"gguf v{version}", n_vocab=n_vocab, n_embd=n_embd, n_layer=n_layer,
        n_tensors=len(found), n_ctx_train=number("llama.context_length"),
    )  # fmt: skip
