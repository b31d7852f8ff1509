"""The one converter between OpenAI's wire shapes and our values: what goes out comes back the same, and
what cannot come in is a WireFormatError naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from inference import ChatRequest, Message, NamedTool, SamplingParams, ToolChoice, Usage
from inference.errors import WireFormatError
from inference.openai_convert import (
    messages_from_wire,
    request_to_wire,
    sampling_from_wire,
    tool_choice_from_wire,
    tool_choice_to_wire,
    tools_from_wire,
    usage_from_wire,
    usage_to_wire,
)
from inference.openai_types import ChatCompletionRequest
from tools import ToolCall, ToolSpec

ADD = ToolSpec(
    name="add",
    description="Add two integers.",
    input_schema={"type": "object", "properties": {"a": {"type": "integer", "default": None}}, "required": ["a"]},
)
CALL = ToolCall(id="abc123XYZ", name="add", arguments={"a": 2, "b": "é"})
CONVERSATION = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Add."),
    Message(role="assistant", content="", tool_calls=(CALL,)),
    Message(role="tool", content="5", tool_call_id="abc123XYZ", name="add"),  # the name comes back from the call
    Message(role="assistant", content="5"),
]
SAMPLING = SamplingParams(
    max_tokens=7, temperature=0.5, top_p=0.9, top_k=3, min_p=0.1, presence_penalty=0.2, frequency_penalty=0.3,
    repeat_penalty=1.2, seed=9, stop=("x", "y"),
)  # fmt: skip


def _through_json(request: ChatRequest) -> ChatCompletionRequest:
    """The body an engine would receive, read back as a server reads a request."""
    body = request_to_wire(request, model="m", stream=False).model_dump(mode="json", exclude_none=True, by_alias=True)
    return ChatCompletionRequest.model_validate(body)


def test_a_request_goes_out_and_comes_back_the_same() -> None:
    request = ChatRequest(messages=CONVERSATION, tools=[ADD], tool_choice=NamedTool(name="add"), sampling=SAMPLING)
    body = _through_json(request)
    assert messages_from_wire(body.messages) == CONVERSATION
    assert tools_from_wire(body.tools or ()) == [ADD]
    assert tool_choice_from_wire(body.tool_choice) == NamedTool(name="add")
    engine = request_to_wire(request, model="m", stream=False)
    more = {"top_k": engine.top_k, "min_p": engine.min_p, "repeat_penalty": engine.repeat_penalty}
    assert sampling_from_wire(body, SamplingParams(), **more) == SAMPLING


@pytest.mark.parametrize("choice", ["auto", "none", "required", NamedTool(name="add")])
def test_every_tool_choice_comes_back(choice: ToolChoice) -> None:
    assert tool_choice_from_wire(tool_choice_to_wire(choice)) == choice


def test_usage_keeps_its_tokens_and_reads_llama_server_timings() -> None:
    usage = Usage(prompt_tokens=50, completion_tokens=11, cached_tokens=40)
    back = usage_from_wire(usage_to_wire(usage))
    assert (back.prompt_tokens, back.completion_tokens, back.cached_tokens, back.decode_tokens) == (50, 11, 40, 10)
    assert usage_to_wire(usage).total_tokens == 61


@pytest.mark.parametrize(
    ("messages", "field", "words"),
    [
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
         "messages[0].content[0].type", "'image_url' is not supported"),
        ([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}]}],
         "messages[0].tool_calls[0].function.arguments", "expected a JSON object, got list"),
        ([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{"}}]}],
         "messages[0].tool_calls[0].function.arguments", "not valid JSON"),
        ([{"role": "tool", "content": "5", "tool_call_id": "nope"}],
         "messages[0].tool_call_id", "'nope' answers no tool call of an earlier message"),
        ([], "messages", "the conversation is empty"),
    ],
)  # fmt: skip
def test_what_our_messages_cannot_hold_names_its_field(messages: list[Any], field: str, words: str) -> None:
    request = ChatCompletionRequest.model_validate({"model": "m", "messages": messages})
    with pytest.raises(WireFormatError) as info:
        messages_from_wire(request.messages)
    assert info.value.field == field and words in info.value.reason


def test_a_tool_given_twice_is_refused() -> None:
    request = ChatRequest(messages=CONVERSATION, tools=[ADD, ADD])
    with pytest.raises(WireFormatError, match=r"tools\[1\].function.name: 'add' is given twice"):
        tools_from_wire(_through_json(request).tools or ())
