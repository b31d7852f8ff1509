"""`ModelSpec`, the model a user names, and `open_backend`, the one place that turns it into a backend.

Every door (the CLI's options, mistral.rs's `Which`, a Python caller) builds a `ModelSpec`; which engine
runs it (llama.cpp, ctransformers, a remote OpenAI-compatible server) is decided here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from inference.ctransformers_files import is_legacy_ggml
from inference.errors import ModelNotFoundError
from inference.models import DEFAULT_MODEL, EMBEDDED, Progress, find_hf_folder, resolve_model
from inference.pool import OpenableBackend
from inference.remote import RemoteBackend

Format = Literal["gguf", "ggml", "safetensors"]
EngineBackend = Literal["openai", "llama_cpp"]
_IN_REPO = re.compile(r"^(?P<model>[^:]+):(?P<files>[^:]+)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """The model to run and how: what `open_backend` needs, and nothing loaded yet.

    `ModelSpec(model="smollm2-135m")`, `ModelSpec(model="org/repo", filename="m.Q4_K_M.gguf")`,
    `ModelSpec(model="qwen2.5", url="http://127.0.0.1:8080/v1")`; `ModelSpec.parse("org/repo:m.gguf")`.
    """

    model: str = DEFAULT_MODEL
    """A GGUF (or GGML) file, a directory, an embedded alias (`smollm2-135m`, the default, or `gemma3-270m`),
    or a Hugging Face repo id (with `filename`); with `url`, the engine's name for the model."""
    filename: str | tuple[str, ...] | None = None
    """The file inside the `model` directory or Hugging Face repo; a tuple names the parts of a split model."""
    hf_cache_path: str | None = None
    """The Hugging Face hub cache to search (default `$HF_HUB_CACHE`, then `$HF_HOME/hub`); nothing is downloaded."""
    format: Format | None = None
    """The weights' container: `gguf` runs on llama.cpp, `ggml` (ggml, ggmf, ggjt) on ctransformers,
    `safetensors` (a Hugging Face model folder) is converted to GGUF once, cached, and run on llama.cpp.
    None: a folder holding safetensors (or OWNER/REPO in the local Hugging Face cache) is `safetensors`;
    a file is read from its first bytes (GGUF unless it is a legacy GGML one)."""
    in_situ_quant: str | None = None
    """For `safetensors`: quantize while converting, by mistral.rs's name (`Q4K`, `Q8_0`, ...) or llama.cpp's
    (`Q4_K_M`, ...). None keeps `dtype`."""
    dtype: str = "auto"
    """For `safetensors`: the unquantized type of matrices, `f16`, `bf16`, `f32` or `auto` (bf16 weights stay
    bf16, others become f16)."""
    arch: str | None = None
    """For `safetensors`: the architecture to convert as (mistral.rs's `arch=`), instead of config.json's."""
    lora_adapter: str | None = None
    """A LoRA adapter applied at load time (GGUF only): a GGUF LoRA file, a directory holding one, or a PEFT
    adapter folder (adapter_config.json + safetensors), converted for the model once and cached."""
    lora_scale: float = 1.0
    """The adapter's scale."""
    chat_template: str | None = None
    """A Jinja chat template to use instead of the model's own (GGML files carry none: default ChatML)."""
    chat_format: str | None = None
    """The tool-call format of the model's output (a parser name), instead of the one detected (GGUF only)."""
    n_ctx: int | None = None
    """Context window in tokens (default: 4096 for GGUF, 2048 for GGML; for `url`, reported only)."""
    threads: int | None = None
    """CPU threads (default: the physical core count)."""
    trim_tool_results: bool = False
    """When a prompt overflows the context window, trim the oldest tool results instead of failing."""
    url: str | None = None
    """An OpenAI-compatible engine's base URL, e.g. `http://127.0.0.1:8080/v1`, to run the model there.
    The local fields above (files, LoRA, template, threads) are then not used."""
    api_key: str | None = field(default=None, repr=False)
    """The engine's API key (never shown in the repr)."""
    timeout_secs: float = 60.0
    """Seconds to wait for the engine before a request fails."""
    engine_backend: EngineBackend = "openai"
    """How `url` is used: `openai` sends chat requests to its OpenAI-compatible API (it renders and parses);
    `llama_cpp` loads `model`'s vocabulary and template here, renders, tokenizes and constrains here, and
    sends token ids to a llama.cpp server's `/completion` (mistral-common's engine backend)."""

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """The spec for a reference as typed on a command line: a path, an alias, or `MODEL:FILE` for a file in
        a Hugging Face repo (from the local cache) or a directory, with split parts as `MODEL:PART1,PART2`."""
        match = _IN_REPO.match(text)
        if match is None or Path(text).expanduser().exists():
            return cls(model=text)
        files = tuple(match["files"].split(","))
        return cls(model=match["model"], filename=files[0] if len(files) == 1 else files)


def served_id(spec: ModelSpec) -> str:
    """The id a model is served under: an alias or engine name as given, a file by its name without suffix,
    a directory by its name."""
    if spec.url is not None and spec.engine_backend == "openai":
        return spec.model
    if spec.filename is not None:
        first = spec.filename if isinstance(spec.filename, str) else spec.filename[0]
        return Path(first).stem
    path = Path(spec.model).expanduser()
    if path.suffix == ".gguf" or path.is_file():
        return path.stem
    return path.resolve().name if path.is_dir() else spec.model


def open_backend(spec: ModelSpec, *, model_id: str | None = None, progress: Progress | None = None) -> OpenableBackend:
    """An unopened backend for `spec` (`async with` loads it): remote when `spec.url` is set, else llama.cpp
    for GGUF weights and ctransformers for GGML ones.

    Args:
        spec: The model.
        model_id: The id the backend reports (default: `served_id(spec)`).
        progress: Called with (bytes done, bytes in all) while an embedded model is assembled.

    Raises:
        ModelNotFoundError: a file that `filename` or `lora_adapter` names does not exist (an alias or a
            path without `filename` is looked up when the backend opens).
        ModelLoadError: split parts not named as one model's parts.
        ValueError: a setting the chosen engine cannot honour.
    """
    model_id = model_id or served_id(spec)
    if spec.url is not None and spec.engine_backend == "openai":
        return _remote(spec, spec.url)
    weights = _weights(spec)
    if spec.url is not None:
        return _token_engine(spec, spec.url, weights, model_id, progress)
    fmt = _format(spec, weights)
    if fmt == "ggml":
        return _ctransformers(spec, weights, model_id)
    from inference.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(
        _converter(spec) if fmt == "safetensors" else weights,
        n_ctx=spec.n_ctx or 4096,
        n_threads=spec.threads,
        model_id=model_id,
        lora_path=_adapter(spec.lora_adapter, spec.hf_cache_path) if spec.lora_adapter is not None else None,
        lora_scale=spec.lora_scale,
        trim_tool_results=spec.trim_tool_results,
        progress=progress,
        chat_template=spec.chat_template,
        chat_format=spec.chat_format,
    )


def _remote(spec: ModelSpec, url: str) -> OpenableBackend:
    if not spec.model:
        raise ValueError(f"model: name the model that the engine at {url} serves")
    n_ctx = spec.n_ctx or 0
    return RemoteBackend(url, model=spec.model, api_key=spec.api_key, timeout_secs=spec.timeout_secs, n_ctx=n_ctx)


def _token_engine(
    spec: ModelSpec, url: str, weights: str | Path, model_id: str, progress: Progress | None
) -> OpenableBackend:
    from inference.llama_cpp_engine import LlamaCppEngineBackend

    if spec.engine_backend != "llama_cpp":
        raise ValueError(f"engine_backend: {spec.engine_backend!r} is not 'openai' or 'llama_cpp'")
    if spec.lora_adapter is not None:
        raise ValueError("lora_adapter: with engine_backend 'llama_cpp' the adapter belongs on the llama.cpp server")
    return LlamaCppEngineBackend(
        weights,
        engine_url=url,
        timeout_secs=spec.timeout_secs,
        api_key=spec.api_key,
        n_ctx=spec.n_ctx or 4096,
        model_id=model_id,
        trim_tool_results=spec.trim_tool_results,
        progress=progress,
        chat_template=spec.chat_template,
        chat_format=spec.chat_format,
    )


def _ctransformers(spec: ModelSpec, weights: str | Path, model_id: str) -> OpenableBackend:
    from inference.ctransformers_backend import CTransformersBackend

    if spec.lora_adapter is not None:
        raise ValueError(f"lora_adapter: {spec.lora_adapter!r} needs a GGUF model; GGML files take no adapter")
    return CTransformersBackend(
        resolve_model(weights),
        n_ctx=spec.n_ctx or 2048,
        n_threads=spec.threads,
        chat_template=spec.chat_template,
        trim_tool_results=spec.trim_tool_results,
        model_id=model_id,
    )


def _weights(spec: ModelSpec) -> str | Path:
    """The reference itself when it needs no `filename` (the backend resolves it when it opens, so that an
    embedded model is assembled with progress shown), else the file, found now."""
    if spec.filename is None:
        return spec.model
    hf = spec.hf_cache_path
    if isinstance(spec.filename, str):
        return resolve_model(spec.model, filename=spec.filename, hf_cache_path=hf)
    return resolve_model([resolve_model(spec.model, filename=name, hf_cache_path=hf) for name in spec.filename])


def _format(spec: ModelSpec, weights: str | Path) -> Format:
    if spec.format is not None:
        return spec.format
    if str(weights).lower() in EMBEDDED:  # an alias, even if a file of that name is here (resolve_model's order)
        return "gguf"
    if spec.filename is None and find_hf_folder(spec.model, spec.hf_cache_path) is not None:
        return "safetensors"
    return "ggml" if is_legacy_ggml(weights) else "gguf"


def _converter(spec: ModelSpec) -> Callable[[Progress | None], Path]:
    """What produces the GGUF of a safetensors model when the backend opens (converting it the first time)."""
    from inference.hf_convert import ConvertOptions, convert_model, parse_dtype
    from inference.llama_cpp_quantize import quant_name, quantize

    folder = find_hf_folder(spec.model, spec.hf_cache_path)
    if folder is None:
        looked = [str(Path(spec.model).expanduser().resolve()), f"Hugging Face cache: {spec.model}/config.json"]
        raise ModelNotFoundError(spec.model, looked)
    quant = quant_name(spec.in_situ_quant) if spec.in_situ_quant else None
    options = ConvertOptions(quant=quant, dtype=parse_dtype(spec.dtype), arch=spec.arch)
    threads = spec.threads
    return lambda progress: convert_model(
        folder, options, quantizer=lambda src, dst, q: quantize(src, dst, q, threads=threads), progress=progress
    )


def _adapter(adapter: str, hf_cache_path: str | None) -> Path | Callable[[Path], Path]:
    """A LoRA adapter: a PEFT folder, here or in the Hugging Face cache (converted for the model once it is
    known), else a GGUF file."""
    folder = find_hf_folder(adapter, hf_cache_path, marker="adapter_config.json")
    if folder is not None:
        from inference.hf_lora import convert_adapter

        return lambda base: convert_adapter(folder, base)
    return _adapter_path(adapter)


def _adapter_path(adapter: str) -> Path:
    """A LoRA adapter: a GGUF file, or a directory holding exactly one."""
    path = Path(adapter).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise ModelNotFoundError(adapter, [f"{path}/*.gguf ({len(found)} files; name the adapter file)"])
        return found[0]
    if not path.is_file():
        raise ModelNotFoundError(adapter, [f"LoRA adapter {path.resolve()}"])
    return path
