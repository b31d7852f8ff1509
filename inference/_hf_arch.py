"""The architectures the safetensors converter knows: detection from `config.json`, GGUF metadata, tensor names.

Each follows llama.cpp's converter (conversion/llama.py, qwen.py, gemma.py): llama-family q/k weights are
permuted to llama.cpp's rotary layout, Gemma's RMSNorm weights are stored plus one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from inference.errors import ModelLoadError


@dataclass(frozen=True, slots=True, kw_only=True)
class Arch:
    """One architecture: its GGUF name and what its tensors need on the way."""

    name: str
    gguf_arch: gguf.MODEL_ARCH
    permute_qk: bool = False
    """Llama's q/k rows are reordered to llama.cpp's rotary layout (Qwen and Gemma use NeoX rope: as is)."""
    norm_shift: float = 0.0
    """Added to every `*norm.weight` (Gemma's RMSNorm multiplies by 1 + weight)."""


LLAMA = Arch(name="llama", gguf_arch=gguf.MODEL_ARCH.LLAMA, permute_qk=True)
ARCHES: dict[str, Arch] = {
    "LlamaForCausalLM": LLAMA,
    "MistralForCausalLM": LLAMA,
    "Qwen2ForCausalLM": Arch(name="qwen2", gguf_arch=gguf.MODEL_ARCH.QWEN2),
    "Qwen3ForCausalLM": Arch(name="qwen3", gguf_arch=gguf.MODEL_ARCH.QWEN3),
    "Gemma3ForCausalLM": Arch(name="gemma3", gguf_arch=gguf.MODEL_ARCH.GEMMA3, norm_shift=1.0),
}
# mistral.rs's `arch=` names (its NormalLoaderType) and llama.cpp's, for the architectures above.
ALIASES = {
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "gemma3": "Gemma3ForCausalLM",
    "gemma3_text": "Gemma3ForCausalLM",
    "smollm": "LlamaForCausalLM",
}


def supported() -> str:
    return ", ".join([*ARCHES, *(a for a in ALIASES if a not in ("gemma3_text",))])


def read_config(folder: Path) -> dict[str, Any]:
    """`config.json` of a Hugging Face model folder.

    Raises:
        ModelLoadError: missing or not a JSON object (naming the file).
    """
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(str(path), "missing: a Hugging Face model folder needs its config.json")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(str(path), f"not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ModelLoadError(str(path), "not a JSON object")
    return config


def detect(config: dict[str, Any], folder: Path, override: str | None = None) -> Arch:
    """The architecture `override` names (mistral.rs's `arch=`), else the one `config.json` declares.

    Raises:
        ModelLoadError: an architecture the converter does not know, named with the ones it does.
    """
    if override is not None:
        key = ALIASES.get(str(override).lower().replace("-", "_"), str(override))
        if key not in ARCHES:
            raise ModelLoadError(str(folder), f"arch={override!r} is not supported; supported: {supported()}")
        return ARCHES[key]
    declared = config.get("architectures") or []
    for name in declared:
        if name in ARCHES:
            return ARCHES[name]
    shown = ", ".join(declared) or f"model_type {config.get('model_type')!r}"
    raise ModelLoadError(
        str(folder / "config.json"), f"architecture {shown} is not supported; supported: {', '.join(ARCHES)}"
    )


def _text_config(config: dict[str, Any]) -> dict[str, Any]:
    return config.get("text_config") or config


def _rope(config: dict[str, Any]) -> dict[str, Any]:
    """Rope parameters, old style (`rope_theta` + `rope_scaling`) or new (`rope_parameters`)."""
    params = dict(config.get("rope_parameters") or {})
    params = params.get("full_attention", params)
    params.setdefault("rope_theta", config.get("rope_theta"))
    return {**(config.get("rope_scaling") or {}), **{k: v for k, v in params.items() if v is not None}}


def head_dim(config: dict[str, Any]) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def add_metadata(writer: gguf.GGUFWriter, arch: Arch, config: dict[str, Any]) -> None:
    """The hyperparameters llama.cpp reads for `arch`, from `config.json`."""
    config = _text_config(config)
    try:
        writer.add_block_count(config["num_hidden_layers"])
        writer.add_embedding_length(config["hidden_size"])
        writer.add_feed_forward_length(config["intermediate_size"])
        writer.add_head_count(config["num_attention_heads"])
    except KeyError as exc:
        raise ModelLoadError("config.json", f"{exc.args[0]!r} is missing") from None
    writer.add_head_count_kv(config.get("num_key_value_heads") or config["num_attention_heads"])
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-6))
    rope = _rope(config)
    if arch.gguf_arch == gguf.MODEL_ARCH.GEMMA3:
        writer.add_context_length(config.get("max_position_embeddings", 131072))
        writer.add_key_length(config.get("head_dim", 256))
        writer.add_value_length(config.get("head_dim", 256))
        writer.add_rope_freq_base(rope.get("rope_theta") or 1_000_000.0)
        if softcap := config.get("final_logit_softcapping"):
            writer.add_final_logit_softcapping(softcap)
        if config.get("sliding_window_pattern") != 1 and config.get("sliding_window"):
            writer.add_sliding_window(config["sliding_window"])
    else:
        writer.add_context_length(config.get("max_position_embeddings", 4096))
        if rope.get("rope_theta") is not None:
            writer.add_rope_freq_base(rope["rope_theta"])
        if config.get("head_dim") is not None:
            writer.add_key_length(config["head_dim"])
            writer.add_value_length(config["head_dim"])
        if arch is LLAMA:
            writer.add_rope_dimension_count(head_dim(config))
            writer.add_vocab_size(config["vocab_size"])
    kind, factor = rope.get("rope_type") or rope.get("type"), rope.get("factor")
    if kind == "linear" and factor:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(factor)
    elif kind == "yarn" and factor:
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(factor)
        writer.add_rope_scaling_orig_ctx_len(rope["original_max_position_embeddings"])


def rope_freqs(config: dict[str, Any]) -> np.ndarray | None:
    """Llama 3.1's `rope_freqs` tensor (its "llama3" rope scaling), as llama.cpp's converter computes it."""
    config = _text_config(config)
    rope = _rope(config)
    if str(rope.get("rope_type", "")).lower() != "llama3":
        return None
    dim, base = head_dim(config), rope.get("rope_theta") or 10000.0
    factor, low, high = rope.get("factor", 8.0), rope.get("low_freq_factor", 1.0), rope.get("high_freq_factor", 4.0)
    old = rope.get("original_max_position_embeddings", 8192)
    factors = []
    for freq in 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float32) / dim)):
        wavelen = 2 * math.pi / freq
        if wavelen < old / high:
            factors.append(1.0)
        elif wavelen > old / low:
            factors.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


def permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's `LlamaModel.permute`: rows of each head from HF's rotate-half order to interleaved pairs."""
    shape = weights.shape
    return weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


@dataclass(frozen=True, slots=True)
class Mapper:
    """Hugging Face tensor names to GGUF names, and the changes llama.cpp makes to the values."""

    arch: Arch
    config: dict[str, Any]
    names: gguf.TensorNameMap

    @classmethod
    def for_model(cls, arch: Arch, config: dict[str, Any]) -> Mapper:
        config = _text_config(config)
        return cls(arch, config, gguf.get_tensor_name_map(arch.gguf_arch, config["num_hidden_layers"]))

    def gguf_name(self, name: str) -> str | None:
        """The GGUF name of a checkpoint tensor (None for tensors llama.cpp does not load, e.g. rotary caches)."""
        if name.endswith(".rotary_emb.inv_freq"):
            return None
        name = name.removeprefix("language_model.")
        return self.names.get_name(name, try_suffixes=(".weight", ".bias"))

    def transform(self, gguf_name: str, data: np.ndarray) -> np.ndarray:
        """The values llama.cpp expects for `gguf_name` (same shape)."""
        if self.arch.norm_shift and gguf_name.endswith("norm.weight"):
            data = data + np.float32(self.arch.norm_shift)
        if self.arch.permute_qk:
            n_head = self.config["num_attention_heads"]
            if gguf_name.endswith("attn_q.weight") or gguf_name.endswith("attn_q.bias"):
                data = permute(data, n_head)
            elif gguf_name.endswith("attn_k.weight") or gguf_name.endswith("attn_k.bias"):
                data = permute(data, self.config.get("num_key_value_heads") or n_head)
        return data
