"""Hugging Face safetensors models as GGUF files: found locally, converted tensor by tensor, quantized by
llama.cpp, and cached under `cache_dir()/converted`, keyed by the source files' hashes and the options.

The conversion follows llama.cpp's convert_hf_to_gguf.py without torch: weights are read one tensor at a
time (`_safetensors`), renamed with gguf's tensor maps, and written as they are read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from inference import _hf_arch, _safetensors
from inference._hf_vocab import add_vocab
from inference.errors import ModelLoadError
from inference.models import Progress, cache_dir

CONVERTER_VERSION = "1"
"""Part of every cache key: bump it when the converter's output changes."""
_Q = gguf.GGMLQuantizationType
DTYPES = {"f32": _Q.F32, "f16": _Q.F16, "bf16": _Q.BF16}
_SOURCES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    "adapter_config.json",
)
Quantizer = Callable[[Path, Path, str], None]
"""Quantizes the GGUF file at the first path into the second as the named type (llama.cpp's quantizer)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConvertOptions:
    """How a safetensors model becomes a GGUF file."""

    quant: str | None = None
    """llama.cpp's name of the type to quantize to (`Q4_K_S`, ...); None keeps `dtype`."""
    dtype: str = "auto"
    """The unquantized type of matrices: f16, bf16, f32, or auto (bf16 for bf16 weights, else f16)."""
    arch: str | None = None
    """The architecture to convert as, instead of the one config.json declares."""


def parse_dtype(dtype: object) -> str:
    """`f16`, `bf16`, `f32` or `auto` from mistral.rs's spellings (`ModelDType.BF16`, "bf16", "Auto").

    Raises:
        ValueError: another type; the message lists the known ones.
    """
    name = str(getattr(dtype, "name", dtype)).lower()
    if name not in (*DTYPES, "auto"):
        raise ValueError(f"dtype: {dtype!r} is not one of {', '.join([*DTYPES, 'auto'])}")
    return name


def file_digest(path: Path) -> str:
    """A file's sha256: the blob name when `path` links into a Hugging Face cache (named by its sha256), else
    computed from the bytes."""
    target = path.resolve()
    if target.parent.name == "blobs" and len(target.name) == 64:
        return target.name
    digest = hashlib.sha256()
    with target.open("rb") as file:
        while block := file.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def cache_key(folder: Path, files: list[Path], *parts: str) -> str:
    """A key over the converter's version, `parts` (the options) and each source file's name and hash."""
    digest = hashlib.sha256(CONVERTER_VERSION.encode())
    for part in parts:
        digest.update(f"\0{part}".encode())
    for path in [*(folder / name for name in _SOURCES if (folder / name).is_file()), *files]:
        digest.update(f"\0{path.name}\0{file_digest(path)}".encode())
    return digest.hexdigest()[:20]


@contextmanager
def partial_file(target: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary file beside `target` that the caller fills; removed unless the caller moved it into place,
    so an interrupted conversion leaves nothing half-written in the cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}{suffix}.partial")
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def source_name(folder: Path) -> str:
    """A folder's name for the cache: OWNER--REPO for a Hugging Face cache snapshot, else the folder's own."""
    if folder.parent.name == "snapshots":
        return folder.parent.parent.name.removeprefix("models--")
    return folder.name


def weight_files(folder: Path) -> list[Path]:
    """The safetensors files of a model folder, sorted.

    Raises:
        ModelLoadError: none.
    """
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ModelLoadError(str(folder), "no *.safetensors files (a Hugging Face model folder holds its weights)")
    return files


def convert_model(
    folder: Path, options: ConvertOptions, *, quantizer: Quantizer | None = None, progress: Progress | None = None
) -> Path:
    """The GGUF file of the safetensors model in `folder`, converted (and quantized) the first time.

    Args:
        folder: A Hugging Face model folder (config.json, tokenizer.json, *.safetensors).
        options: Quantization, dtype, architecture.
        quantizer: Required when `options.quant` is set.
        progress: Called with (bytes done, bytes in all) while converting and quantizing.

    Raises:
        ModelLoadError: a missing or bad file (named), or an unsupported architecture.
    """
    config = _hf_arch.read_config(folder)
    arch = _hf_arch.detect(config, folder, options.arch)
    files = weight_files(folder)
    dtype = parse_dtype(options.dtype)
    key = cache_key(folder, files, options.quant or "", dtype, arch.name)
    target = cache_dir() / "converted" / f"{source_name(folder)}-{key}.{(options.quant or dtype).lower()}.gguf"
    if target.is_file():
        return target
    tensors = _safetensors.read_folder(folder, files)
    total = sum(t.nbytes for t in tensors.values()) * (2 if options.quant else 1)
    report = progress or (lambda done, total: None)
    with partial_file(target) as partial, partial_file(target, ".f") as plain:
        out = plain if options.quant else partial
        write_model(out, folder, arch, config, tensors, dtype=dtype, progress=report, total=total)
        if options.quant:
            assert quantizer is not None, "convert_model: a quant needs a quantizer"
            quantizer(plain, partial, options.quant)
            report(total, total)
        os.replace(partial, target)
    return target


def write_model(
    out: Path,
    folder: Path,
    arch: _hf_arch.Arch,
    config: dict[str, Any],
    tensors: dict[str, _safetensors.TensorEntry],
    *,
    dtype: str,
    progress: Progress,
    total: int,
) -> None:
    """Write the GGUF file: metadata and vocabulary, then each tensor as it is read."""
    mapper = _hf_arch.Mapper.for_model(arch, config)
    if dtype == "auto":
        dtype = "bf16" if any(t.dtype == "BF16" for t in tensors.values()) else "f16"
    plan: list[tuple[str, _safetensors.TensorEntry | np.ndarray, gguf.GGMLQuantizationType]] = []
    for name, entry in sorted(tensors.items()):
        gguf_name = mapper.gguf_name(name)
        if gguf_name is None:
            if name.endswith(".rotary_emb.inv_freq"):
                continue
            raise ModelLoadError(str(entry.path), f"tensor {name!r} has no {arch.name} GGUF name")
        plan.append((gguf_name, entry, DTYPES[dtype] if len(entry.shape) > 1 else gguf.GGMLQuantizationType.F32))
    if (freqs := _hf_arch.rope_freqs(config)) is not None:
        plan.append(("rope_freqs.weight", freqs, gguf.GGMLQuantizationType.F32))
    writer = gguf.GGUFWriter(out, arch.name)
    writer.add_name(source_name(folder))
    _hf_arch.add_metadata(writer, arch, config)
    writer.add_file_type({"f32": 0, "f16": 1, "bf16": 32}[dtype])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    add_vocab(writer, folder, n_vocab=int(mapper.config.get("vocab_size") or 0))
    for name, source, qtype in plan:
        shape = source.shape
        size = gguf.GGML_QUANT_SIZES[qtype][1] * int(np.prod(shape))
        writer.add_tensor_info(name, shape, np.dtype(np.float32), size, raw_dtype=qtype)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        done = 0
        for name, source, qtype in plan:
            data = source if isinstance(source, np.ndarray) else mapper.transform(name, _safetensors.read(source))
            writer.write_tensor_data(_encode(data, qtype))
            done += source.nbytes
            progress(done, total)
            del data
    finally:
        writer.close()


def _encode(data: np.ndarray, qtype: gguf.GGMLQuantizationType) -> np.ndarray:
    if qtype == gguf.GGMLQuantizationType.F32:
        return data.astype(np.float32, copy=False)
    if qtype == gguf.GGMLQuantizationType.F16:
        return data.astype(np.float16)
    return gguf.quants.quantize(data.astype(np.float32, copy=False), qtype)
