"""Quantizing a GGUF file with llama.cpp's own quantizer (`llama_model_quantize`), by mistral.rs or llama.cpp names."""

from __future__ import annotations

import ctypes
from pathlib import Path

import llama_cpp

from inference._hardware import physical_cores
from inference.errors import ModelLoadError

# llama.cpp's file types by the names its `llama-quantize` tool takes.
LLAMA_TYPES: dict[str, int] = {
    "F32": llama_cpp.LLAMA_FTYPE_ALL_F32,
    "F16": llama_cpp.LLAMA_FTYPE_MOSTLY_F16,
    "BF16": llama_cpp.LLAMA_FTYPE_MOSTLY_BF16,
    "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
    "Q4_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1,
    "Q5_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_0,
    "Q5_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_1,
    "Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
    "Q2_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K,
    "Q2_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q2_K_S,
    "Q3_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_S,
    "Q3_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_M,
    "Q3_K_L": llama_cpp.LLAMA_FTYPE_MOSTLY_Q3_K_L,
    "Q4_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_S,
    "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M,
    "Q5_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_S,
    "Q5_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_M,
    "Q6_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K,
    "IQ4_NL": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ4_NL,
    "IQ4_XS": llama_cpp.LLAMA_FTYPE_MOSTLY_IQ4_XS,
}
# mistral.rs's ISQ names: each quantizes every linear layer to one type; the uniform ("_S") llama.cpp mix is
# the closest. Q8K has no llama.cpp file type (Q8_K exists only inside its dot products).
MISTRALRS_TYPES = {"Q2K": "Q2_K", "Q3K": "Q3_K_S", "Q4K": "Q4_K_S", "Q5K": "Q5_K_S", "Q6K": "Q6_K"}


def quant_name(name: str) -> str:
    """llama.cpp's name for an `in_situ_quant` value (mistral.rs's `Q4K` or llama.cpp's `q4_k_m`).

    Raises:
        ValueError: not a type llama.cpp quantizes to; the message lists the known names.
    """
    key = name.strip().upper()
    key = MISTRALRS_TYPES.get(key, key)
    if key not in LLAMA_TYPES:
        known = ", ".join([*MISTRALRS_TYPES, *LLAMA_TYPES])
        hint = " (llama.cpp has no Q8_K file type: use Q8_0)" if key in ("Q8K", "Q8_K") else ""
        raise ValueError(f"in_situ_quant: {name!r} is not a quantization llama.cpp has{hint}; known: {known}")
    return key


def quantize(source: Path, target: Path, quant: str, *, threads: int | None = None) -> None:
    """Quantize the GGUF `source` into `target` as `quant` (a name `quant_name` accepts).

    Raises:
        ModelLoadError: llama.cpp failed (its log says why).
    """
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = LLAMA_TYPES[quant_name(quant)]
    params.nthread = threads or physical_cores()
    result = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if result != 0:
        raise ModelLoadError(str(source), f"llama.cpp could not quantize it to {quant} (code {result})")
