"""`Which`: the model to load, with mistral.rs's variant and field names, mapped onto our `ModelSpec`.

Supported: `Which.GGUF` and `Which.LoraGGUF` (llama.cpp), `Which.Plain` and `Which.Lora` (safetensors,
converted to GGUF once and cached), `Which.GGML` (ctransformers) and our `Which.Remote` (any OpenAI-compatible
engine). The other mistral.rs variants exist with their fields so ported code reads the same, and raise
`UnsupportedModelError` naming the supported ones. Constructing a variant loads nothing; `to_spec()` is its
`ModelSpec`, `to_backend()` an unopened backend for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from agent.errors import UnsupportedModelError
from inference import ModelNotFoundError, ModelSpec, open_backend
from inference.models import find_hf_folder
from inference.pool import OpenableBackend

SUPPORTED = ("GGUF", "LoraGGUF", "GGML", "Remote", "Plain", "Lora")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadOptions:
    """Settings of the local backends that mistral.rs does not put in `Which` (the Runner's arguments)."""

    n_ctx: int | None = None
    """Context window in tokens (default: 4096 for llama.cpp, 2048 for ctransformers)."""
    n_threads: int | None = None
    """CPU threads (default: the physical core count)."""
    trim_tool_results: bool = False
    """When a prompt overflows the context window, trim the oldest tool results instead of failing."""
    chat_template: str | None = None
    """A Jinja chat template to use instead of the model's own."""
    chat_format: str | None = None
    """The tool-call format of the model's output (a parser name), instead of the one detected."""
    in_situ_quant: str | None = None
    """mistral.rs's ISQ: the type a safetensors model is quantized to as it is converted (`Q4K`, `Q8_0`, ...)."""


class ModelSelector:
    """Base of every `Which` variant."""

    supported: ClassVar[bool] = False

    def default_id(self) -> str:
        """The id the model is served under unless the Runner is given another."""
        return type(self).__name__

    def to_spec(self, options: LoadOptions | None = None) -> ModelSpec:
        """This model, with the Runner's `options`, as the `ModelSpec` that `inference.open_backend` opens.

        Raises:
            UnsupportedModelError: this variant cannot be loaded here.
        """
        spec = self._spec()
        if options is None:
            return spec
        return replace(
            spec,
            n_ctx=options.n_ctx,
            threads=options.n_threads,
            trim_tool_results=options.trim_tool_results,
            chat_template=options.chat_template or spec.chat_template,
            chat_format=options.chat_format,
            in_situ_quant=options.in_situ_quant,
        )

    def to_backend(self, *, model_id: str, options: LoadOptions | None = None) -> OpenableBackend:
        """An unopened backend for this model.

        Raises:
            UnsupportedModelError: this variant cannot be loaded here.
            ModelNotFoundError: a file the variant names does not exist.
        """
        return open_backend(self.to_spec(options), model_id=model_id)

    def _spec(self) -> ModelSpec:
        """The fields of this variant as a spec."""
        raise self._unsupported()

    def _unsupported(self) -> UnsupportedModelError:
        name = type(self).__name__
        return UnsupportedModelError(name, SUPPORTED, reason=_REASONS.get(name, ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class GGUF(ModelSelector):
    """A GGUF model run by llama.cpp.

    `quantized_model_id` is an embedded alias (`smollm2-135m`, `gemma3-270m`; leave `quantized_filename`
    None), a GGUF file, a directory (with `quantized_filename`, or holding one GGUF), or a Hugging Face
    repo id whose `quantized_filename` is in the local Hugging Face cache (nothing is downloaded). A list
    of filenames names the parts of a split model. `tok_model_id`, `topology`, `dtype` and
    `auto_map_params` are accepted and ignored: the GGUF file carries its tokenizer and chat template
    (and is quantized already: the Runner's `in_situ_quant` does not apply).
    """

    supported: ClassVar[bool] = True
    quantized_model_id: str
    quantized_filename: str | list[str] | None = None
    tok_model_id: str | None = None
    topology: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    hf_cache_path: str | None = None
    """Ours: the Hugging Face hub cache to search (default `$HF_HUB_CACHE`, then `$HF_HOME/hub`)."""

    def default_id(self) -> str:
        return self.quantized_model_id

    def _spec(self) -> ModelSpec:
        return _gguf_spec(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraGGUF(ModelSelector):
    """A GGUF model with a LoRA adapter applied at load time.

    `adapters_model_id` is the adapter: a GGUF LoRA file, a directory holding one, or a PEFT adapter folder
    (adapter_config.json + safetensors, converted for the model once and cached). mistral.rs's `order` (an
    X-LoRA/LoRA ordering file) is accepted and ignored: one adapter is applied, with its own alpha / r,
    scaled by our `lora_scale`. The model fields are those of `Which.GGUF`.
    """

    supported: ClassVar[bool] = True
    quantized_model_id: str
    adapters_model_id: str
    quantized_filename: str | list[str] | None = None
    order: str | None = None
    tok_model_id: str | None = None
    topology: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    hf_cache_path: str | None = None
    lora_scale: float = 1.0
    """Ours: the adapter's scale."""

    def default_id(self) -> str:
        return self.quantized_model_id

    def _spec(self) -> ModelSpec:
        return replace(_gguf_spec(self), lora_adapter=self.adapters_model_id, lora_scale=self.lora_scale)


def _gguf_spec(which: GGUF | LoraGGUF) -> ModelSpec:
    """The model fields `Which.GGUF` and `Which.LoraGGUF` share; a list of filenames is a split model's parts."""
    filename = which.quantized_filename
    return ModelSpec(
        model=which.quantized_model_id,
        filename=tuple(filename) if isinstance(filename, list) else filename,
        hf_cache_path=which.hf_cache_path,
        format="gguf",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GGML(ModelSelector):
    """A llama-family GGML file (ggml, ggmf, ggjt) run by ctransformers.

    `quantized_model_id` is the file, or a directory or Hugging Face repo id holding `quantized_filename`.
    `tok_model_id`, `tokenizer_json`, `gqa`, `topology`, `dtype` and `auto_map_params` are accepted and
    ignored (the file carries its vocabulary). Tool calls are prompted and parsed, never constrained.
    """

    supported: ClassVar[bool] = True
    quantized_model_id: str
    quantized_filename: str | None = None
    tok_model_id: str | None = None
    tokenizer_json: str | None = None
    gqa: int | None = None
    topology: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    hf_cache_path: str | None = None
    chat_template: str | None = None
    """Ours: a Jinja chat template (GGML files carry none; default: ChatML)."""

    def default_id(self) -> str:
        return self.quantized_model_id

    def _spec(self) -> ModelSpec:
        return ModelSpec(
            model=self.quantized_model_id,
            filename=self.quantized_filename,
            hf_cache_path=self.hf_cache_path,
            format="ggml",
            chat_template=self.chat_template,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Remote(ModelSelector):
    """Ours: a model served by an OpenAI-compatible engine (llama-server, vLLM, SGLang, mistral.rs, Ollama).

    Tool calls and MCP tools are handled here as for a local model; the engine only generates.
    """

    supported: ClassVar[bool] = True
    url: str
    """The engine's base URL, e.g. `http://127.0.0.1:8080/v1`."""
    model: str
    """The model name the engine knows."""
    api_key: str | None = None
    timeout_secs: float = 60.0

    def __repr__(self) -> str:  # never show the key
        key = ", api_key='***'" if self.api_key else ""
        return f"Which.Remote(url={self.url!r}, model={self.model!r}{key})"

    def default_id(self) -> str:
        return self.model

    def _spec(self) -> ModelSpec:
        return ModelSpec(model=self.model, url=self.url, api_key=self.api_key, timeout_secs=self.timeout_secs)


# The mistral.rs variants we do not load. Their fields are mistral.rs's, so ported code constructs them
# unchanged and gets a clear error from the Runner.


@dataclass(frozen=True, slots=True, kw_only=True)
class Plain(ModelSelector):
    """A Hugging Face safetensors model, converted to GGUF once (cached) and run by llama.cpp.

    `model_id` is a model folder (config.json, tokenizer.json, *.safetensors) or a Hugging Face repo id
    found in the local Hugging Face cache (`hf_cache_path`, `$HF_HUB_CACHE`, `$HF_HOME/hub`; nothing is
    downloaded). The Runner's `in_situ_quant` quantizes it with llama.cpp's quantizer; `dtype` (`f16`,
    `bf16`, `f32`, `auto`) is the type of unquantized matrices; `arch` overrides the architecture that
    config.json declares (llama family: Llama, SmolLM, Mistral, Qwen2, Qwen3; and Gemma 3).
    `tokenizer_json`, `topology`, `organization`, `auto_map_params` and `matformer_config_path` are accepted
    and ignored; mistral.rs's UQFF files and imatrix calibration are refused when set.
    """

    supported: ClassVar[bool] = True
    model_id: str
    arch: Any = None
    tokenizer_json: str | None = None
    topology: str | None = None
    organization: str | None = None
    from_uqff: str | list[str] | None = None
    write_uqff: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    calibration_file: str | None = None
    imatrix: str | None = None
    hf_cache_path: str | None = None
    matformer_config_path: str | None = None

    def default_id(self) -> str:
        return self.model_id

    def _spec(self) -> ModelSpec:
        return _plain_spec(self, self.model_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lora(ModelSelector):
    """A PEFT LoRA adapter on a safetensors model, both converted to GGUF once (cached).

    `adapter_model_id` is the PEFT adapter folder (adapter_config.json + safetensors) or a repo id in the
    local Hugging Face cache; `model_id` the base model as for `Which.Plain` (default: the adapter's
    `base_model_name_or_path`). The adapter is applied with its alpha / r, scaled by our `lora_scale`.
    """

    supported: ClassVar[bool] = True
    adapter_model_id: str
    arch: Any = None
    model_id: str | None = None
    tokenizer_json: str | None = None
    topology: str | None = None
    from_uqff: str | list[str] | None = None
    write_uqff: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    hf_cache_path: str | None = None
    lora_scale: float = 1.0
    """Ours: the adapter's scale."""

    def default_id(self) -> str:
        return self.model_id or self.adapter_model_id

    def _spec(self) -> ModelSpec:
        base = self.model_id or _adapter_base(self.adapter_model_id, self.hf_cache_path)
        spec = _plain_spec(self, base)
        return replace(spec, lora_adapter=self.adapter_model_id, lora_scale=self.lora_scale)


def _plain_spec(which: Plain | Lora, model: str) -> ModelSpec:
    """The fields `Which.Plain` and `Which.Lora` share, as a safetensors spec."""
    for name in ("from_uqff", "write_uqff", "calibration_file", "imatrix"):
        if getattr(which, name, None):
            raise ValueError(f"Which.{type(which).__name__}: {name}= is mistral.rs's (UQFF, imatrix); not supported")
    arch = getattr(which.arch, "name", which.arch)
    return ModelSpec(
        model=model,
        hf_cache_path=which.hf_cache_path,
        format="safetensors",
        dtype=str(getattr(which.dtype, "name", which.dtype)).lower(),
        arch=str(arch) if arch is not None else None,
    )


def _adapter_base(adapter: str, hf_cache_path: str | None) -> str:
    """The base model a PEFT adapter names (`base_model_name_or_path` in its adapter_config.json)."""
    folder = find_hf_folder(adapter, hf_cache_path, marker="adapter_config.json")
    config = folder / "adapter_config.json" if folder is not None else None
    if config is None or not config.is_file():
        raise ModelNotFoundError(adapter, [f"{adapter}/adapter_config.json (name the base with model_id=)"])
    base = json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not isinstance(base, str) or not base:
        raise ValueError(f"Which.Lora: {config} names no base_model_name_or_path; pass model_id=")
    return base


@dataclass(frozen=True, slots=True, kw_only=True)
class XLora(ModelSelector):
    xlora_model_id: str
    order: str
    arch: Any = None
    model_id: str | None = None
    tokenizer_json: str | None = None
    tgt_non_granular_index: int | None = None
    topology: str | None = None
    from_uqff: str | list[str] | None = None
    write_uqff: str | None = None
    dtype: Any = "auto"
    auto_map_params: Any = None
    hf_cache_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VisionPlain(ModelSelector):
    model_id: str
    arch: Any
    tokenizer_json: str | None = None
    topology: str | None = None
    from_uqff: str | list[str] | None = None
    write_uqff: str | None = None
    dtype: Any = "auto"
    max_edge: int | None = None
    auto_map_params: Any = None
    calibration_file: str | None = None
    imatrix: str | None = None
    hf_cache_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffusionPlain(ModelSelector):
    model_id: str
    arch: Any
    dtype: Any = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class Speech(ModelSelector):
    model_id: str
    arch: Any
    dac_model_id: str | None = None
    dtype: Any = "auto"


_REASONS = {
    "XLora": "X-LoRA needs mistral.rs",
    "VisionPlain": "the local models read text only",
    "DiffusionPlain": "image generation is not part of this framework",
    "Speech": "speech generation is not part of this framework",
}


class Which:
    """The model to load, as in mistral.rs: `Which.GGUF(quantized_model_id=..., quantized_filename=...)`."""

    GGUF = GGUF
    LoraGGUF = LoraGGUF
    GGML = GGML
    Remote = Remote
    Plain = Plain
    XLora = XLora
    Lora = Lora
    VisionPlain = VisionPlain
    DiffusionPlain = DiffusionPlain
    Speech = Speech


def check_supported(which: object) -> ModelSelector:
    """`which` if it is a variant we can load.

    Raises:
        UnsupportedModelError: a mistral.rs variant we cannot load.
        TypeError: not a `Which` variant at all.
    """
    if not isinstance(which, ModelSelector):
        raise TypeError(f"which: expected a Which variant such as Which.GGUF(...), got {type(which).__name__}")
    if not which.supported:
        raise which._unsupported()
    return which
