"""The model pool: two real models under ids, a default, routing, removal that frees memory."""

from __future__ import annotations

import os

import pytest

from inference import ChatRequest, Message, SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend
from inference.pool import ModelPool, UnknownModelError


def _rss_bytes() -> int:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_two_models_route_by_id_and_removal_frees_memory() -> None:
    request = ChatRequest(messages=[Message(role="user", content="Hi")], sampling=SamplingParams(max_tokens=4))
    async with ModelPool() as pool:
        await pool.add("smol", LlamaCppBackend("smollm2-135m", model_id="smol"))
        gemma = await pool.add("gemma", LlamaCppBackend("gemma3-270m", model_id="gemma"))
        assert pool.list_models() == ["smol", "gemma"] and pool.default_model_id == "smol"
        assert pool.get().model_info.id == "smol" and pool.get("gemma") is gemma
        for model_id in ("smol", "gemma"):
            response = await pool.get(model_id).complete(request)
            assert response.usage.completion_tokens > 0
        with pytest.raises(UnknownModelError, match="'nope' is not loaded; loaded models: smol, gemma"):
            pool.get("nope")
        pool.set_default("gemma")
        before = _rss_bytes()
        await pool.remove("gemma")
        freed = before - _rss_bytes()
        assert freed > 100 * 2**20, f"only {freed / 2**20:.0f} MiB freed"
        assert pool.default_model_id == "smol" and pool.list_models() == ["smol"]
    assert pool.list_models() == []
