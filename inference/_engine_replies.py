"""How the remote backend reads an engine's replies: whole completions, streamed chunks and error bodies,
validated into the lenient OpenAI shapes and turned into our responses. Pure; HTTP lives in remote.py."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from inference import openai_types as wire
from inference._types import ChatResponse, FinishReason, Message, Usage
from inference.errors import EngineHTTPError, EngineProtocolError, WireFormatError
from inference.openai_convert import tool_call_from_wire, usage_from_wire
from tools import ToolCall, new_call_id
from tools._paths import field_path

logger = logging.getLogger(__name__)
EXCERPT_CHARS = 200
"""How much of a bad body an error quotes."""
_MESSAGE_LIMIT = 500
_Shape = TypeVar("_Shape", bound=wire.Wire)


def plain_text(message: Message) -> str:
    parts = [message.role, "\n", message.content or ""]
    for call in message.tool_calls:
        parts.append(f"\n{call.name} {json.dumps(call.arguments, ensure_ascii=False)}")
    parts.append("\n")
    return "".join(parts)


def _read(shape: type[_Shape], data: Any, url: str, what: str, redact: Callable[[str], str]) -> _Shape:
    """`data` as `shape`, after raising the engine's own `{"error": ...}` if that is what it sent."""
    if not isinstance(data, dict):
        raise EngineProtocolError(url, f"{what} is a JSON {type(data).__name__}, not an object")
    _raise_in_body_error(data, url, redact)
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        place = field_path(problem["loc"])
        reason = f"{what} has no `{place}`" if problem["type"] == "missing" else f"`{place}`: {problem['msg']}"
        raise EngineProtocolError(url, reason, body=redact(json.dumps(data)[:EXCERPT_CHARS])) from None


def _raise_in_body_error(data: Mapping[str, Any], url: str, redact: Callable[[str], str]) -> None:
    """An `{"error": ...}` object where an answer should be (llama-server sends one inside streams)."""
    error = data.get("error")
    if error is None:
        return
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 500
    raise EngineHTTPError(url, status, redact(error_message(json.dumps({"error": error}).encode())))


def _tool_calls(calls: Sequence[wire.ToolCall], url: str, place: str) -> list[ToolCall]:
    """The engine's calls, each with its id.

    Arguments that are not a JSON object keep the call, with `{}` as arguments: dropping it would
    turn the model's attempt into an empty final answer, while `{}` makes a tool with required
    parameters fail validation, and that error goes back to the model as the call's result. The
    raw text is logged as a warning.
    """
    out = []
    for index, call in enumerate(calls):
        if not call.function.name:
            raise EngineProtocolError(url, f"`{place}[{index}]` has no function name")
        try:
            out.append(tool_call_from_wire(call, f"{place}[{index}]"))
        except WireFormatError:
            name, arguments = call.function.name, call.function.arguments
            logger.warning("%s: arguments of %s are not a JSON object: %.200r", url, name, arguments)
            out.append(ToolCall(id=call.id, name=name, arguments={}))
    return out


def _response(
    content: str | None, reasoning: str | None, calls: list[ToolCall], finish: FinishReason | None, usage: Usage
) -> ChatResponse:
    # Engines differ on the finish reason of a forced call ("stop" from vLLM): calls decide it.
    reason: FinishReason = "tool_calls" if calls else "length" if finish == "length" else "stop"
    message = Message(role="assistant", content=content, reasoning=reasoning, tool_calls=tuple(calls))
    return ChatResponse(message=message, finish_reason=reason, usage=usage, raw_text=content or "")


def parse_completion(data: Any, url: str, max_calls: int, redact: Callable[[str], str]) -> ChatResponse:
    reply = _read(wire.EngineCompletion, data, url, "the answer", redact)
    if not reply.choices:
        raise EngineProtocolError(url, "the answer has no `choices`", body=redact(json.dumps(data)[:EXCERPT_CHARS]))
    choice = reply.choices[0]
    message = choice.message
    calls = _tool_calls(message.tool_calls or (), url, "choices[0].message.tool_calls")
    usage = usage_from_wire(reply.usage, reply.timings)
    content, reasoning = message.content or None, message.reasoning_content or None
    return _response(content, reasoning, calls[:max_calls], choice.finish_reason, usage)


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
    finish: FinishReason | None = None
    usage: wire.CompletionUsage | None = None
    timings: wire.Timings | None = None
    first: float | None = None
    last: float = 0.0
    done: bool = False

    def feed(self, data: Any) -> str | None:
        """Take one chunk; return its content text, if any."""
        chunk = _read(wire.EngineChunk, data, self.url, "a stream event", self.redact)
        self.usage = chunk.usage or self.usage
        self.timings = chunk.timings or self.timings
        if not chunk.choices:
            return None  # the usage-only chunk at the end
        choice = chunk.choices[0]
        self.finish = choice.finish_reason or self.finish
        delta = choice.delta
        text, reasoning, calls = delta.content or None, delta.reasoning_content or None, delta.tool_calls or []
        if text or reasoning or calls:
            self.last = time.perf_counter()
            self.first = self.first or self.last
        if reasoning:
            self.reasoning.append(reasoning)
        for piece in calls:
            call = self.calls.setdefault(piece.index, _PartialCall())
            call.id = call.id or piece.id or ""
            if piece.function is not None:
                # The name comes whole, once (OpenAI) or repeated in every chunk (llama-cpp-python).
                call.name = call.name or piece.function.name or ""
                call.arguments.append(piece.function.arguments or "")
        if text:
            self.content.append(text)
        return text

    def response(self, max_calls: int) -> ChatResponse:
        if not self.done and self.finish is None:
            raise EngineProtocolError(self.url, "the event stream ended before the response finished")
        calls = []
        for index in sorted(self.calls):
            partial = self.calls[index]
            if not partial.name:
                raise EngineProtocolError(self.url, f"streamed tool call {index} has no function name")
            function = wire.FunctionCall(name=partial.name, arguments="".join(partial.arguments))
            calls.append(wire.ToolCall(id=partial.id or new_call_id(), function=function))
        measured = None
        if self.first is not None:
            measured = (self.first - self.started, self.last - self.first)
        usage = usage_from_wire(self.usage, self.timings, measured=measured)
        content = "".join(self.content) or None
        reasoning = "".join(self.reasoning) or None
        tool_calls = _tool_calls(calls, self.url, "streamed tool calls")
        return _response(content, reasoning, tool_calls[:max_calls], self.finish, usage)


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
