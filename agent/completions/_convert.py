"""Our dialect's side of the wire conversion (`inference.openai_convert` does OpenAI's): mistral.rs's
fields and answer constraints in; responses with usage timings, tool-call records and stream chunks out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agent.completions import openai_types as oa
from agent.errors import RequestError
from agent.events import Event, FinalAnswer, ModelTurn, Reasoning, RunFinished, Token, ToolCallRecord
from agent.events import RunResult as _RunResult
from inference import Message, SamplingParams, Usage
from inference.errors import WireFormatError
from inference.openai_convert import (
    json_schema_from_wire,
    messages_from_wire,
    sampling_from_wire,
    tool_call_to_wire,
    tools_from_wire,
    usage_to_wire,
)
from tools import ToolResult, ToolSpec

# -- in ----------------------------------------------------------------------------------------------


@contextmanager
def _request_errors() -> Iterator[None]:
    """What the wire converter cannot take is the caller's mistake: a RequestError naming the field."""
    try:
        yield
    except WireFormatError as exc:
        raise RequestError(exc.field, exc.reason) from None


def to_messages(request: oa.ChatCompletionRequest) -> list[Message]:
    """The conversation as our messages. Raises RequestError naming the field it cannot take."""
    with _request_errors():
        return messages_from_wire(request.messages)


def to_tools(request: oa.ChatCompletionRequest) -> list[ToolSpec]:
    """The caller's own functions (`tools`, and mistral.rs's `tool_schemas`)."""
    tools = list(request.tools or ())
    for index, text in enumerate(request.tool_schemas or ()):
        try:
            tools.append(oa.Tool.model_validate_json(text))
        except ValueError as exc:
            raise RequestError(f"tool_schemas[{index}]", f"not an OpenAI function tool: {exc}") from None
    with _request_errors():
        return tools_from_wire(tools)


def to_sampling(request: oa.ChatCompletionRequest, base: SamplingParams) -> SamplingParams:
    """The request's sampling settings over `base` (a field the request leaves out keeps base's value)."""
    return sampling_from_wire(
        request,
        base,
        stop=request.stop_seqs or (),
        top_k=request.top_k,
        min_p=request.min_p,
        repeat_penalty=request.repetition_penalty,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerConstraint:
    """What the final answer must follow: a GBNF grammar or a JSON schema."""

    grammar: str | None = None
    json_schema: Mapping[str, Any] | None = None


def to_constraint(request: oa.ChatCompletionRequest) -> AnswerConstraint | None:
    """From `response_format`, or mistral.rs's `grammar` + `grammar_type`; None when the answer is free."""
    schema = json_schema_from_wire(request.response_format)
    if schema is not None:
        return AnswerConstraint(json_schema=schema)
    if request.grammar is None:
        return None
    if request.grammar_type == "json_schema":
        try:
            schema = json.loads(request.grammar)
        except json.JSONDecodeError as exc:
            reason = f"grammar_type is json_schema but the grammar is not JSON ({exc.msg})"
            raise RequestError("grammar", reason) from None
        if not isinstance(schema, dict):
            raise RequestError("grammar", "grammar_type is json_schema but the grammar is not a JSON object")
        return AnswerConstraint(json_schema=schema)
    return AnswerConstraint(grammar=request.grammar)


# -- out ---------------------------------------------------------------------------------------------


def usage_out(usage: Usage) -> oa.CompletionUsage:
    """OpenAI's usage, with mistral.rs's timing fields."""
    total_secs = usage.prompt_secs + usage.decode_secs
    tokens = usage.evaluated_prompt_tokens + usage.completion_tokens
    return oa.CompletionUsage(
        **dict(usage_to_wire(usage)),
        avg_tok_per_sec=tokens / total_secs if total_secs > 0 else 0.0,
        avg_prompt_tok_per_sec=usage.prompt_tokens_per_sec,
        avg_compl_tok_per_sec=usage.decode_tokens_per_sec,
        total_time_sec=total_secs,
        total_prompt_time_sec=usage.prompt_secs,
        total_completion_time_sec=usage.decode_secs,
    )


def record_out(record: ToolCallRecord) -> oa.ToolCallRecordOut:
    return oa.ToolCallRecordOut(
        round=record.round,
        id=record.call.id,
        name=record.call.name,
        arguments=dict(record.call.arguments),
        result=record.result.text,
        is_error=record.result.is_error,
        structured_content=record.result.structured_content,
        duration_secs=record.duration_secs,
    )


def response_out(
    result: _RunResult, *, response_id: str, created: int, model: str, fingerprint: str
) -> oa.ChatCompletionResponse:
    pending = [tool_call_to_wire(call) for call in result.pending_tool_calls]
    content = (result.answer or None) if pending else result.answer
    message = oa.ResponseMessage(content=content, tool_calls=pending or None, reasoning_content=result.reasoning)
    return oa.ChatCompletionResponse(
        id=response_id,
        created=created,
        model=model,
        system_fingerprint=fingerprint,
        choices=[oa.Choice(message=message, finish_reason=result.finish_reason)],
        usage=usage_out(result.usage),
        tool_call_records=[record_out(r) for r in result.tool_calls],
    )


def _plain(value: Any) -> Any:
    """Our runtime values as JSON-ready data (dataclasses by field, tuples as lists)."""
    if isinstance(value, ToolResult):
        return {
            "text": value.text,
            "is_error": value.is_error,
            "structured_content": value.structured_content,
            "content": [_plain(block) for block in value.content],
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def event_json(event: Event) -> dict[str, Any]:
    """An agent event as the `mcpagent_event` of a chunk: `{"type": ..., fields...}`."""
    if isinstance(event, RunFinished):
        result = event.result
        return {
            "type": event.type,
            "rounds": result.rounds,
            "finish_reason": result.finish_reason,
            "wall_secs": result.wall_secs,
            "usage": usage_out(result.usage).model_dump(),
            "tool_calls": [record_out(r).model_dump() for r in result.tool_calls],
        }
    data = _plain(event)
    return data if isinstance(data, dict) else {"type": getattr(event, "type", type(event).__name__)}


class ChunkWriter:
    """Turns a run's events into OpenAI stream chunks.

    The role comes first. Token and Reasoning events become `delta.content` and
    `delta.reasoning_content` as the model writes them (in every round: text a model writes before its
    tool calls is streamed too); every other event is a chunk of its own with an empty delta and the
    event in `mcpagent_event`. Calls to the caller's tools come last, as `delta.tool_calls`, then the
    chunk with `finish_reason`, then (with `include_usage`) the usage chunk, whose `choices` is empty.
    """

    def __init__(self, *, response_id: str, created: int, model: str, fingerprint: str, include_usage: bool) -> None:
        self._base = {"id": response_id, "created": created, "model": model, "system_fingerprint": fingerprint}
        self._include_usage = include_usage
        self._streamed: set[int] = set()
        self._last_turn: ModelTurn | None = None

    def _chunk(self, delta: oa.Delta | None = None, **fields: Any) -> oa.ChatCompletionChunk:
        choice = oa.ChunkChoice(delta=delta or oa.Delta(), finish_reason=fields.pop("finish_reason", None))
        return oa.ChatCompletionChunk(**self._base, choices=fields.pop("choices", [choice]), **fields)

    def start(self) -> oa.ChatCompletionChunk:
        return self._chunk(oa.Delta(role="assistant", content=""))

    def on_event(self, event: Event) -> list[oa.ChatCompletionChunk]:
        if isinstance(event, Token):
            self._streamed.add(event.round)
            return [self._chunk(oa.Delta(content=event.text))]
        if isinstance(event, Reasoning):
            self._streamed.add(event.round)
            return [self._chunk(oa.Delta(reasoning_content=event.text))]
        chunks = [self._chunk(mcpagent_event=event_json(event))]
        if isinstance(event, ModelTurn):
            self._last_turn = event
        elif isinstance(event, FinalAnswer):
            turn = self._last_turn
            if turn is not None and turn.round not in self._streamed:  # a backend that does not stream
                if turn.message.reasoning:
                    chunks.append(self._chunk(oa.Delta(reasoning_content=turn.message.reasoning)))
                if event.text:
                    chunks.append(self._chunk(oa.Delta(content=event.text)))
        elif isinstance(event, RunFinished):
            chunks += self._finish(event.result)
        return chunks

    def _finish(self, result: _RunResult) -> list[oa.ChatCompletionChunk]:
        chunks = []
        if result.pending_tool_calls:
            calls = [
                oa.DeltaToolCall(
                    index=i,
                    id=call.id,
                    type="function",
                    function=oa.DeltaFunctionCall(name=call.function.name, arguments=call.function.arguments),
                )
                for i, call in enumerate(map(tool_call_to_wire, result.pending_tool_calls))
            ]
            chunks.append(self._chunk(oa.Delta(tool_calls=calls)))
        chunks.append(self._chunk(finish_reason=result.finish_reason))
        if self._include_usage:
            chunks.append(self._chunk(choices=[], usage=usage_out(result.usage)))
        return chunks
