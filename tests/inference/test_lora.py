"""LoRA adapters on the real model, with adapter files the test writes itself (rank 4 on every attn_q)."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from inference import ChatRequest, Message, ModelLoadError, SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend

REQUEST = ChatRequest(messages=[Message(role="user", content="Name a fruit.")], sampling=SamplingParams(max_tokens=12))
N_EMBD, LAYERS, RANK = 576, 30, 4  # SmolLM2-135M


def write_adapter(path: Path, *, b_scale: float) -> Path:
    """A LoRA adapter GGUF for SmolLM2: lora_a ne=[n_embd, rank], lora_b ne=[rank, n_embd] (numpy shapes reversed)."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(RANK))
    rng = np.random.default_rng(0)
    for layer in range(LAYERS):
        writer.add_tensor(f"blk.{layer}.attn_q.weight.lora_a", rng.standard_normal((RANK, N_EMBD)).astype(np.float32))
        b = rng.standard_normal((N_EMBD, RANK)) * b_scale
        writer.add_tensor(f"blk.{layer}.attn_q.weight.lora_b", b.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


async def _answer(**kwargs: object) -> str:
    async with LlamaCppBackend(**kwargs) as backend:  # type: ignore[arg-type]
        return (await backend.complete(REQUEST)).raw_text


async def test_an_adapter_changes_the_output_and_scale_zero_or_zero_weights_do_not(tmp_path: Path) -> None:
    base = await _answer()
    active = write_adapter(tmp_path / "active.gguf", b_scale=1.0)
    assert await _answer(lora_path=active) != base
    assert await _answer(lora_path=active, lora_scale=0.0) == base
    assert await _answer(lora_path=write_adapter(tmp_path / "zero.gguf", b_scale=0.0)) == base


async def test_a_file_that_is_not_an_adapter_is_a_load_error_naming_it() -> None:
    from inference import resolve_model

    model = resolve_model()  # a whole model, not an adapter
    try:
        async with LlamaCppBackend(lora_path=model):
            raise AssertionError("a model file was accepted as a LoRA adapter")
    except ModelLoadError as exc:
        assert "LoRA adapter" in str(exc) and str(model) in str(exc)
