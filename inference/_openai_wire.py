"""The OpenAI chat-completions wire format: our requests as JSON bodies, and JSON responses and
streamed chunks back as our responses. Pure; the HTTP side lives in inference/remote.py."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inference._types import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    NamedTool,
    ToolChoice,
    Usage,
)
from inference.errors import (
    EngineHTTPError,
    EngineProtocolError,
)
from tools import ToolCall, ToolSpec, new_call_id

logger = logging.getLogger(__name__)
EXCERPT_CHARS = 200
"""How much of a bad body an error quotes."""
_MESSAGE_LIMIT = 500


def request_body(request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The OpenAI `/v1/chat/completions` body for a request (llama.cpp's sampling names included)."""
    sampling = request.sampling
    body: dict[str, Any] = {
        "model": model,
        "messages": [_message_json(m) for m in request.messages],
        "stream": stream,
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k,
        "min_p": sampling.min_p,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "repeat_penalty": sampling.repeat_penalty,
    }
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    if stream:
        body["stream_options"] = {"include_usage": True}
    if request.grammar is not None:  # llama-server's and llama-cpp-python's GBNF field
        body["grammar"] = request.grammar
    if request.json_schema is not None:  # OpenAI's form; llama-cpp-python's server knows only `json_object`
        schema = {"name": "response", "schema": dict(request.json_schema), "strict": True}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    if request.tools:  # OpenAI rejects tool_choice without tools
        body["tools"] = [_tool_json(t) for t in request.tools]
        body["tool_choice"] = _tool_choice_json(request.tool_choice)
        if request.max_calls_per_turn == 1:
            body["parallel_tool_calls"] = False
    return body


def _message_json(message: Message) -> dict[str, Any]:
    # Content is "" rather than null: llama-cpp-python's server rejects a null assistant content.
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    elif message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for call in message.tool_calls
        ]
    return out


def _tool_json(tool: ToolSpec) -> dict[str, Any]:
    function = {"name": tool.name, "description": tool.description, "parameters": dict(tool.input_schema)}
    return {"type": "function", "function": function}


def _tool_choice_json(choice: ToolChoice) -> str | dict[str, Any]:
    if isinstance(choice, NamedTool):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def plain_text(message: Message) -> str:
    parts = [message.role, "\n", message.content or ""]
    for call in message.tool_calls:
        parts.append(f"\n{call.name} {json.dumps(call.arguments, ensure_ascii=False)}")
    parts.append("\n")
    return "".join(parts)


# -- response --------------------------------------------------------------------------------------


def parse_completion(data: Any, url: str, max_calls: int, redact: Callable[[str], str]) -> ChatResponse:
    if not isinstance(data, dict):
        raise EngineProtocolError(url, f"the body is a JSON {type(data).__name__}, not an object")
    _raise_in_body_error(data, url, redact)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EngineProtocolError(url, "the answer has no `choices`", body=redact(json.dumps(data)[:EXCERPT_CHARS]))
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise EngineProtocolError(url, "`choices[0].message` is missing")
    content = _text(message.get("content"))
    reasoning = _text(message.get("reasoning_content")) or _text(message.get("reasoning"))
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise EngineProtocolError(url, "`choices[0].message.tool_calls` is not a list")
    calls = []
    for index, raw in enumerate(raw_calls):
        function = raw.get("function") if isinstance(raw, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise EngineProtocolError(url, f"`choices[0].message.tool_calls[{index}]` has no function name")
        assert isinstance(function, dict) and isinstance(raw, dict)
        calls.append(_tool_call(raw.get("id"), name, function.get("arguments"), url))
    usage = _usage(data.get("usage"), data.get("timings"))
    return _response(content, reasoning, calls[:max_calls], choices[0].get("finish_reason"), usage)


def _raise_in_body_error(data: Mapping[str, Any], url: str, redact: Callable[[str], str]) -> None:
    """An `{"error": ...}` object where an answer should be (llama-server sends one inside streams)."""
    error = data.get("error")
    if error is None:
        return
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 500
    raise EngineHTTPError(url, status, redact(error_message(json.dumps({"error": error}).encode())))


def _text(value: Any) -> str | None:
    """Content as text: a string, or the text parts of a content list; None when empty."""
    if isinstance(value, list):
        value = "".join(p.get("text", "") for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))
    return value if isinstance(value, str) and value else None


def _tool_call(call_id: Any, name: str, arguments: Any, url: str) -> ToolCall:
    """A call with the engine's id (a new one if it sent none).

    Arguments that are not a JSON object keep the call, with `{}` as arguments: dropping it would
    turn the model's attempt into an empty final answer, while `{}` makes a tool with required
    parameters fail validation, and that error goes back to the model as the call's result. The
    raw text is logged as a warning.
    """
    if not isinstance(call_id, str) or not call_id:
        call_id = new_call_id()
    decoded: Any = {}
    if isinstance(arguments, dict):
        decoded = arguments
    elif isinstance(arguments, str) and arguments.strip():
        try:
            decoded = json.loads(arguments, strict=False)  # small models emit raw newlines inside strings
        except ValueError:
            decoded = None
    if not isinstance(decoded, dict):
        logger.warning("%s: arguments of %s are not a JSON object: %.200r", url, name, arguments)
        decoded = {}
    return ToolCall(id=call_id, name=name, arguments=decoded)


def _response(
    content: str | None, reasoning: str | None, calls: list[ToolCall], finish: Any, usage: Usage
) -> ChatResponse:
    # Engines differ on the finish reason of a forced call ("stop" from vLLM): calls decide it.
    reason: FinishReason = "tool_calls" if calls else "length" if finish == "length" else "stop"
    message = Message(role="assistant", content=content, reasoning=reasoning, tool_calls=tuple(calls))
    return ChatResponse(message=message, finish_reason=reason, usage=usage, raw_text=content or "")


def _usage(usage: Any, timings: Any, *, measured: tuple[float, float] | None = None) -> Usage:
    """OpenAI `usage` (with `prompt_tokens_details.cached_tokens`) and llama-server's `timings`.

    Without server timings, a stream's own measurements (time to the first delta, then the rest)
    stand in; they include the network.
    """
    usage = usage if isinstance(usage, dict) else {}
    timings = timings if isinstance(timings, dict) else {}
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    completion = _int(usage.get("completion_tokens")) or _int(timings.get("predicted_n"))
    prompt_secs, decode_secs = measured or (0.0, 0.0)
    if timings:
        prompt_secs = _float(timings.get("prompt_ms")) / 1000
        decode_secs = _float(timings.get("predicted_ms")) / 1000
    return Usage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=completion,
        cached_tokens=cached or _int(timings.get("cache_n")),
        prompt_secs=prompt_secs,
        decode_secs=decode_secs,
        decode_tokens=max(completion - 1, 0),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else 0.0


@dataclass(slots=True)
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StreamTurn:
    """One streamed turn being assembled: content, reasoning, tool calls by index, finish, usage."""

    url: str
    redact: Callable[[str], str]
    started: float
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    finish: Any = None
    usage: Any = None
    timings: Any = None
    first: float | None = None
    last: float = 0.0
    done: bool = False

    def feed(self, chunk: Any) -> str | None:
        """Take one chunk; return its content text, if any."""
        if not isinstance(chunk, dict):
            raise EngineProtocolError(self.url, f"a stream event is a JSON {type(chunk).__name__}, not an object")
        _raise_in_body_error(chunk, self.url, self.redact)
        self.usage = chunk.get("usage") or self.usage
        self.timings = chunk.get("timings") or self.timings
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise EngineProtocolError(self.url, "`choices` in a stream event is not a list")
        if not choices or not isinstance(choices[0], dict):
            return None  # the usage-only chunk at the end
        choice = choices[0]
        self.finish = choice.get("finish_reason") or self.finish
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        text = _text(delta.get("content"))
        reasoning = _text(delta.get("reasoning_content")) or _text(delta.get("reasoning"))
        calls = delta.get("tool_calls") or []
        if text or reasoning or calls:
            self.last = time.perf_counter()
            self.first = self.first or self.last
        if reasoning:
            self.reasoning.append(reasoning)
        if not isinstance(calls, list):
            raise EngineProtocolError(self.url, "`delta.tool_calls` in a stream event is not a list")
        for position, raw in enumerate(calls):
            self._feed_call(position, raw)
        if text:
            self.content.append(text)
        return text

    def _feed_call(self, position: int, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise EngineProtocolError(self.url, "a `delta.tool_calls` item is not an object")
        index = raw.get("index")
        call = self.calls.setdefault(index if isinstance(index, int) else position, _PartialCall())
        if isinstance(raw.get("id"), str) and raw["id"] and not call.id:
            call.id = raw["id"]
        function = raw.get("function")
        if isinstance(function, dict):
            # The name comes whole, once (OpenAI) or repeated in every chunk (llama-cpp-python).
            if isinstance(function.get("name"), str) and function["name"] and not call.name:
                call.name = function["name"]
            if isinstance(function.get("arguments"), str):
                call.arguments.append(function["arguments"])

    def response(self, max_calls: int) -> ChatResponse:
        if not self.done and self.finish is None:
            raise EngineProtocolError(self.url, "the event stream ended before the response finished")
        calls = []
        for index in sorted(self.calls):
            partial = self.calls[index]
            if not partial.name:
                raise EngineProtocolError(self.url, f"streamed tool call {index} has no function name")
            calls.append(_tool_call(partial.id, partial.name, "".join(partial.arguments), self.url))
        measured = None
        if self.first is not None:
            measured = (self.first - self.started, self.last - self.first)
        usage = _usage(self.usage, self.timings, measured=measured)
        content = "".join(self.content) or None
        reasoning = "".join(self.reasoning) or None
        return _response(content, reasoning, calls[:max_calls], self.finish, usage)


# -- helpers -----------------------------------------------------------------------------------------


def error_message(raw: bytes) -> str:
    """The engine's own words from an error body: OpenAI's `error.message`, FastAPI's `detail`, or text."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:_MESSAGE_LIMIT]
    message: Any = data
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            message = error.get("message", error)
        elif error is not None:
            message = error
        else:
            message = data.get("detail", data.get("message", data))
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    return message[:_MESSAGE_LIMIT]
