"""The decode path both local backends share: a tool call the model writes in the prompted format comes
out as a ToolCallDelta, and none of its markup ever reaches a TextDelta (the agent's token events)."""

from __future__ import annotations

import threading
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
from inference._decoder import Decoder
from inference._turns import TurnFormat
from inference.llama_cpp_backend import LlamaCppBackend
from tests.inference._tiny_ggml import write_tiny_llama
from tests.inference.test_llama_backend import CLOCK
from tools import ToolSpec

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


def test_the_decoder_reads_what_the_prompt_opened_and_types_by_the_offered_tools() -> None:
    """What both backends hand the decoder: the rendered prompt (GLM 4.7's ends inside `<think>`) and the tools."""
    timer = ToolSpec(
        name="set_timer",
        input_schema={"type": "object", "properties": {"seconds": {"type": "integer"}, "label": {"type": "string"}}},
    )
    pieces = [
        "Three seconds",
        ".</th",
        "ink><tool_call>set_timer<arg_key>seconds</arg_key><arg_value>3</arg_value>",
        "<arg_key>label</arg_key><arg_value>3</arg_value></tool_call>",
    ]
    items: list[object] = []
    decoder = Decoder(
        TurnFormat(native=True, parser="glm45"),
        piece=lambda token: pieces[token].encode(),
        emit=items.append,
        prompt="[gMASK]<sop><|user|>\nA timer<|assistant|><think>",
        tools=[timer],
    )
    decoder.run(range(len(pieces)), max_tokens=10, prompt_tokens=1, cached_tokens=0, cancelled=threading.Event())
    done = items[-1]
    assert isinstance(done, ResponseDone)
    message = done.response.message
    assert (message.reasoning, message.content) == ("Three seconds.", None)
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("set_timer", {"seconds": 3, "label": "3"})]
    assert done.response.finish_reason == "tool_calls" and done.response.cut_call is None
