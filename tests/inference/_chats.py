"""Conversations for the chat-template tests, in the form Hugging Face trainers feed `apply_chat_template`
(OpenAI-style dicts, tool-call arguments as objects), and their translation into our runtime values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inference import ChatRequest, Message
from tools import ToolCall, ToolSpec

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city such as 'Zürich' or \"São Paulo\" (<&> are fine).",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Köln"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "description": "Forecast days (≤ 7)"},
            },
            "required": ["city"],
        },
    },
}
CONVERT = {
    "type": "function",
    "function": {
        "name": "convert_currency",
        "description": "Convert an amount between currencies: € → ¥.",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "from_currency": {"type": "string"},
                "to_currency": {"type": "string"},
            },
            "required": ["amount", "from_currency", "to_currency"],
        },
    },
}
RESULT = '{"temp_c": 21, "sky": "clear <&\'> ☀", "city": "Zürich"}'


def _call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _calling(*calls: dict[str, Any], reasoning: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": list(calls)}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return message


def _result(call_id: str, name: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


@dataclass(frozen=True, slots=True, kw_only=True)
class Chat:
    name: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)

    def request(self) -> ChatRequest:
        """The same conversation as the runtime holds it."""
        specs = [
            ToolSpec(name=t["function"]["name"], description=t["function"]["description"],
                     input_schema=t["function"]["parameters"])
            for t in self.tools
        ]  # fmt: skip
        return ChatRequest(messages=[_message(m) for m in self.messages], tools=specs, chat_template_kwargs=self.kwargs)


def _message(message: dict[str, Any]) -> Message:
    calls = tuple(
        ToolCall(id=c["id"], name=c["function"]["name"], arguments=c["function"]["arguments"])
        for c in message.get("tool_calls", ())
    )
    return Message(
        role=message["role"],
        content=message.get("content"),
        reasoning=message.get("reasoning_content"),
        tool_calls=calls,
        tool_call_id=message.get("tool_call_id"),
        name=message.get("name"),
    )


USER = {"role": "user", "content": "What's the weather in Zürich?"}
CALL = _call("call0w3th", "get_weather", city="Zürich", unit="celsius")
CHATS = [
    Chat(name="plain", messages=[{"role": "user", "content": "Name three primary colours."}]),
    Chat(
        name="system",
        messages=[
            {"role": "system", "content": "You are a terse assistant. Answer in one sentence."},
            {"role": "user", "content": "Why is the sky blue?"},
        ],
    ),
    Chat(
        name="multi-turn",
        messages=[
            {"role": "user", "content": "Hi!"},
            {"role": "assistant", "content": "Hello. How can I help?"},
            {"role": "user", "content": "  Tell me a joke.  \n"},
        ],
    ),
    Chat(name="non-ascii", messages=[{"role": "user", "content": "Was kostet 5 € in ¥? <b>&'\"</b> 日本語 🙂"}]),
    Chat(
        name="tools",
        messages=[{"role": "system", "content": "You help with travel."}, USER],
        tools=[WEATHER, CONVERT],
    ),
    Chat(
        name="tool-call-and-result",
        messages=[USER, _calling(CALL), _result("call0w3th", "get_weather", RESULT)],
        tools=[WEATHER],
    ),
    Chat(
        name="parallel-calls",
        messages=[
            {"role": "user", "content": "Weather in Zürich and 100 € in ¥?"},
            _calling(CALL, _call("call1c0nv", "convert_currency", amount=100, from_currency="EUR", to_currency="JPY")),
            _result("call0w3th", "get_weather", RESULT),
            _result("call1c0nv", "convert_currency", '{"amount": 16250.5, "currency": "¥"}'),
        ],
        tools=[WEATHER, CONVERT],
    ),
    Chat(
        name="answer-then-follow-up",
        messages=[
            USER,
            _calling(CALL),
            _result("call0w3th", "get_weather", RESULT),
            {"role": "assistant", "content": "It is 21 °C and clear in Zürich."},
            {"role": "user", "content": "And in Köln <tomorrow>?"},
        ],
        tools=[WEATHER],
    ),
    Chat(
        name="reasoning",
        messages=[
            USER,
            _calling(CALL, reasoning="The user wants Zürich's weather; I'll call get_weather with 'celsius' & wait."),
            _result("call0w3th", "get_weather", RESULT),
        ],
        tools=[WEATHER],
    ),
    Chat(name="thinking-off", messages=[{"role": "user", "content": "2 + 2?"}], kwargs={"enable_thinking": False}),
]
