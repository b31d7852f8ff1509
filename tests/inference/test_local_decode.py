"""The decode path both local backends share: a tool call the model writes in the prompted format comes
out as a ToolCallDelta, and none of its markup ever reaches a TextDelta (the agent's token events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from inference import (
    Backend,
    ChatRequest,
    Message,
    NamedTool,
    ResponseDone,
    SamplingParams,
    TextDelta,
    ToolCallDelta,
)
from inference.llama_cpp_backend import LlamaCppBackend
from tests.inference._tiny_ggml import write_tiny_llama
from tests.inference.test_llama_backend import CLOCK

ASK = [Message(role="user", content="What time is it in Tokyo?")]
# What the scripted GGML model writes: a sentence, then the call, its markers split across tokens.
SCRIPT = (
    "Let me check.",
    " <tool",
    '_call>[{"name": ',
    '"clock_now", "arguments": ',
    '{"timezone": "Asia/Tokyo"}}]</tool',
    "_call>",
)
MARKUP = ("<tool", "tool_call", "_call>", "</", '"name"', '"arguments"', "{", "}", "[", "]")


@asynccontextmanager
async def _scripted_ggml(tmp_path: Path, script: tuple[str, ...] = SCRIPT) -> AsyncIterator[Backend]:
    """A tiny GGML model that writes `script`; ctransformers has no grammar, so nothing constrains it."""
    pytest.importorskip("ctransformers")
    from inference.ctransformers_backend import CTransformersBackend

    path = write_tiny_llama(tmp_path / "scripted.ggjt.bin", script=script)
    async with CTransformersBackend(path, n_ctx=2048, n_threads=1) as loaded:
        yield loaded


@pytest.mark.parametrize("engine", ["llama.cpp", "ctransformers"])
async def test_a_prompted_tool_call_never_reaches_the_text_deltas(
    engine: str, backend: LlamaCppBackend, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        if engine == "llama.cpp":
            # SmolLM2's template renders no tools: they are in our prompt, and the call is constrained to its format.
            local: Backend = backend
            request = ChatRequest(messages=ASK, tools=[CLOCK], tool_choice=NamedTool(name="clock_now"))
        else:
            local = await stack.enter_async_context(_scripted_ggml(tmp_path))
            request = ChatRequest(messages=ASK, tools=[CLOCK])
        assert local.model_info.chat_format == "smollm2"
        async with local.stream(request) as items:
            seen = [item async for item in items]

    done = seen[-1]
    assert isinstance(done, ResponseDone)
    response = done.response
    assert "<tool_call>" in response.raw_text and response.finish_reason == "tool_calls"  # the model wrote it
    texts = [item.text for item in seen if isinstance(item, TextDelta)]
    assert [text for text in texts if any(mark in text for mark in MARKUP)] == []
    assert "".join(texts) == (response.message.content or "")
    calls = [item.call for item in seen if isinstance(item, ToolCallDelta)]
    assert calls and calls == list(response.message.tool_calls)
    assert {call.name for call in calls} == {"clock_now"}
    if engine == "ctransformers":
        assert response.message.content == "Let me check."
        assert calls[0].arguments == {"timezone": "Asia/Tokyo"}


async def test_a_call_cut_off_by_the_token_limit_is_neither_text_nor_a_call(tmp_path: Path) -> None:
    request = ChatRequest(messages=ASK, tools=[CLOCK], sampling=SamplingParams(max_tokens=3))
    async with _scripted_ggml(tmp_path, SCRIPT[1:]) as local, local.stream(request) as items:
        seen = [item async for item in items]
    (done,) = seen  # no delta: the call's start was held back, and the end releases no markup as text
    assert isinstance(done, ResponseDone)
    assert done.response.raw_text.startswith(" <tool_call>[{")
    assert done.response.finish_reason == "length"
    assert done.response.message == Message(role="assistant")  # the agent asks for a shorter reply
