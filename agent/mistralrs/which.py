"""`Which`: the model to load, with mistral.rs's variant and field names, mapped onto our `ModelSpec`.

Supported: `Which.GGUF` and `Which.LoraGGUF` (llama.cpp), `Which.GGML` (ctransformers) and our
`Which.Remote` (any OpenAI-compatible engine). The other mistral.rs variants exist with their fields so
ported code reads the same, and raise `UnsupportedModelError` naming the supported ones. Constructing a
variant loads nothing; `to_spec()` is its `ModelSpec`, `to_backend()` an unopened backend for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from agent.errors import UnsupportedModelError
from inference import ModelSpec, open_backend
from inference.pool import OpenableBackend

SUPPORTED = ("GGUF", "LoraGGUF", "GGML", "Remote")


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
    `auto_map_params` are accepted and ignored: the GGUF file carries its tokenizer and chat template.
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

    `adapters_model_id` is the adapter: a GGUF LoRA file, or a directory holding one. mistral.rs's
    `order` (an X-LoRA/LoRA ordering file) is accepted and ignored: one adapter is applied, scaled by
    our `lora_scale`. The model fields are those of `Which.GGUF`.
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
class Lora(ModelSelector):
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
    "Plain": "safetensors models need mistral.rs; use a GGUF build of the model with Which.GGUF",
    "XLora": "X-LoRA needs mistral.rs",
    "Lora": "LoRA on safetensors needs mistral.rs; use Which.LoraGGUF with a GGUF adapter",
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
