"""PEFT LoRA adapters (adapter_config.json + safetensors) as GGUF LoRA adapters for a given GGUF base model,
as llama.cpp's convert_lora_to_gguf.py writes them, cached beside the converted models."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from inference import _hf_arch, _safetensors
from inference.errors import ModelLoadError
from inference.hf_convert import cache_key, partial_file, source_name, weight_files
from inference.models import cache_dir

_PREFIX = "base_model.model."
_PARTS = {".lora_A.weight": "lora_a", ".lora_B.weight": "lora_b"}


def _adapter_config(folder: Path) -> dict[str, Any]:
    path = folder / "adapter_config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(str(path), f"not a PEFT adapter config: {exc}") from None
    if not isinstance(config, dict) or config.get("peft_type", "LORA") != "LORA" or "r" not in config:
        raise ModelLoadError(str(path), "not a PEFT LoRA adapter (peft_type LORA with r and lora_alpha)")
    return config


def _base(base: Path) -> tuple[_hf_arch.Arch, dict[str, Any]]:
    """The base GGUF's architecture and the hyperparameters the adapter's tensors depend on."""
    reader = gguf.GGUFReader(base)

    def value(key: str) -> Any:
        field = reader.fields.get(key)
        return field.contents() if field is not None else None

    name = value("general.architecture")
    arch = next((a for a in _hf_arch.ARCHES.values() if a.name == name), None)
    if arch is None:
        supported = sorted({a.name for a in _hf_arch.ARCHES.values()})
        raise ModelLoadError(str(base), f"PEFT adapters convert for {', '.join(supported)} bases, not {name!r}")
    config = {
        "num_hidden_layers": value(f"{name}.block_count"),
        "num_attention_heads": value(f"{name}.attention.head_count"),
        "num_key_value_heads": value(f"{name}.attention.head_count_kv"),
    }
    return arch, config


def convert_adapter(folder: Path, base: Path) -> Path:
    """The GGUF LoRA adapter of the PEFT adapter in `folder`, for the GGUF model `base`, converted once.

    Raises:
        ModelLoadError: a missing or bad file (named), or a tensor the adapter cannot carry.
    """
    config = _adapter_config(folder)
    arch, hparams = _base(base)
    files = weight_files(folder)
    key = cache_key(folder, files, arch.name, json.dumps(hparams, sort_keys=True))
    target = cache_dir() / "converted" / f"{source_name(folder)}-{key}.lora.gguf"
    if target.is_file():
        return target
    tensors = _safetensors.read_folder(folder, files)
    mapper = _hf_arch.Mapper.for_model(arch, hparams)
    rank = int(config["r"])
    alpha = float(config.get("lora_alpha", rank)) * (math.sqrt(rank) if config.get("use_rslora") else 1.0)
    with partial_file(target) as partial:
        writer = gguf.GGUFWriter(partial, arch.name)
        writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for name, entry in sorted(tensors.items()):
            gguf_name, part = _target(name, entry, mapper)
            data = _safetensors.read(entry)
            if part == "lora_b":  # B's rows are the output rows: reordered as the base weight's are
                data = mapper.transform(gguf_name, data)
            writer.add_tensor(f"{gguf_name}.{part}", data.astype(np.float32, copy=False))
        try:
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()
        os.replace(partial, target)
    return target


def _target(name: str, entry: _safetensors.TensorEntry, mapper: _hf_arch.Mapper) -> tuple[str, str]:
    """The base tensor's GGUF name and `lora_a` / `lora_b` for one adapter tensor."""
    for suffix, part in _PARTS.items():
        if name.endswith(suffix):
            base_name = name.removeprefix(_PREFIX).removesuffix(suffix) + ".weight"
            gguf_name = mapper.gguf_name(base_name)
            if gguf_name is not None and len(entry.shape) == 2:
                return gguf_name, part
            raise ModelLoadError(str(entry.path), f"tensor {name!r}: no {mapper.arch.name} weight {base_name!r}")
    raise ModelLoadError(str(entry.path), f"tensor {name!r} is not a LoRA A or B matrix (only LoRA is supported)")
