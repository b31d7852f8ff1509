"""Converting a safetensors model to GGUF: time and peak memory, in a fresh process each. Exits non-zero on a miss.

1. A random-weight llama-family model of ~100 MB (f16 safetensors, written with the `safetensors` library)
   converted to an f16 GGUF: seconds, and peak RSS growth over the converting process's own baseline.
   Target: growth <= 0.5 x the model's size (tensors are streamed one at a time, never two copies of the model).
2. The same converted and quantized to Q4K (llama.cpp's quantizer): seconds and peak RSS growth, reported.
3. The test suite's tiny llama and Gemma 3 models: conversion seconds, reported.

Run: .venv/bin/python -m bench.convert
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from bench._report import report
from tests.inference._tiny_hf import llama_tokenizer, write_model

TARGETS = {"peak_growth_over_model_size": ("<=", 0.5)}
HIDDEN, LAYERS, FFN, HEADS = 768, 6, 2048, 12

_CHILD = """
import json, os, sys, time
from pathlib import Path
from inference.hf_convert import ConvertOptions, convert_model
from inference.llama_cpp_quantize import quantize

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
base = hwm()
start = time.perf_counter()
quant = sys.argv[2] or None
out = convert_model(Path(sys.argv[1]), ConvertOptions(quant=quant), quantizer=quantize)
print(json.dumps({"secs": time.perf_counter() - start, "growth": hwm() - base, "out": out.stat().st_size}))
"""


def write_bench_model(folder: Path) -> int:
    """A llama-family folder of random f16 weights; returns the size of its safetensors file."""
    folder.mkdir(parents=True)
    vocab = llama_tokenizer(folder).get_vocab_size(with_added_tokens=True)
    rng = np.random.default_rng(0)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)

    tensors = {"model.embed_tokens.weight": w(vocab * 8, HIDDEN), "model.norm.weight": np.ones(HIDDEN, np.float16)}
    for i in range(LAYERS):
        p = f"model.layers.{i}"
        tensors |= {f"{p}.input_layernorm.weight": np.ones(HIDDEN, np.float16),
                    f"{p}.post_attention_layernorm.weight": np.ones(HIDDEN, np.float16)}
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            tensors[f"{p}.self_attn.{name}.weight"] = w(HIDDEN, HIDDEN)
        tensors |= {f"{p}.mlp.gate_proj.weight": w(FFN, HIDDEN), f"{p}.mlp.up_proj.weight": w(FFN, HIDDEN),
                    f"{p}.mlp.down_proj.weight": w(HIDDEN, FFN)}
    save_file(tensors, str(folder / "model.safetensors"))
    config = {"architectures": ["LlamaForCausalLM"], "hidden_size": HIDDEN, "intermediate_size": FFN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": HEADS,
              "vocab_size": vocab * 8, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6}
    (folder / "config.json").write_text(json.dumps(config))
    return (folder / "model.safetensors").stat().st_size


def convert(folder: Path, cache: Path, quant: str = "") -> dict[str, float]:
    env = {"MCPAGENT_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(folder), quant], capture_output=True, text=True,
                          env=env, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = write_bench_model(root / "bench-llama")
        plain = convert(root / "bench-llama", root / "cache-f16")
        quant = convert(root / "bench-llama", root / "cache-q4k", "Q4_K_S")
        print(f"model: {size / 1e6:.1f} MB of f16 safetensors ({LAYERS} layers, hidden {HIDDEN})")
        print(f"  to f16 GGUF: {plain['secs']:.2f} s, peak RSS growth {plain['growth'] / 1e6:.1f} MB")
        print(f"  to Q4K GGUF: {quant['secs']:.2f} s, peak RSS growth {quant['growth'] / 1e6:.1f} MB, "
              f"{quant['out'] / 1e6:.1f} MB file")
        for family in ("llama", "gemma3"):
            write_model(root / f"tiny-{family}", family)
            tiny = convert(root / f"tiny-{family}", root / "cache-tiny", "Q4_K_S")
            print(f"  test model {family}: {tiny['secs']:.2f} s to Q4K, peak RSS growth {tiny['growth'] / 1e6:.1f} MB")
    return report({"peak_growth_over_model_size": plain["growth"] / size}, TARGETS)


if __name__ == "__main__":
    sys.exit(main())
