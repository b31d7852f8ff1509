"""The one converter between OpenAI's wire shapes (`inference.openai_types`) and our runtime values:
messages, tool specs, tool calls, tool choice, sampling, answer schemas and usage, both ways."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from inference import openai_types as wire
from inference._types import ChatRequest, Message, NamedTool, SamplingParams, ToolChoice, Usage
from inference.errors import WireFormatError
from tools import ToolCall, ToolSpec

_EMPTY_OBJECT = {"type": "object", "properties": {}}
_RESPONSE_SCHEMA = "response"
"""The name given to an answer's JSON schema on the wire."""

# -- ours to the wire ------------------------------------------------------------------------------


def tool_to_wire(tool: ToolSpec) -> wire.Tool:
    function = wire.FunctionDefinition(
        name=tool.name, description=tool.description, parameters=dict(tool.input_schema)
    )
    return wire.Tool(function=function)


def tool_json(tool: ToolSpec) -> dict[str, Any]:
    """OpenAI's tool object, as engines and Hugging Face chat templates read it:
    `{"type": "function", "function": {"name", "description", "parameters"}}`."""
    return tool_to_wire(tool).model_dump(exclude_none=True)


def function_json(tool: ToolSpec) -> dict[str, Any]:
    """The function alone, `{"name", "description", "parameters"}`: what tool prompts show a model."""
    return tool_to_wire(tool).function.model_dump(exclude_none=True)


def tool_choice_to_wire(choice: ToolChoice) -> wire.ToolChoiceOption:
    if isinstance(choice, NamedTool):
        return wire.NamedToolChoice(function=wire.NamedFunction(name=choice.name))
    return choice


def tool_call_to_wire(call: ToolCall) -> wire.ToolCall:
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    return wire.ToolCall(id=call.id, function=wire.FunctionCall(name=call.name, arguments=arguments))


def message_to_wire(message: Message) -> wire.WireMessage:
    # Content is "" rather than null: llama-cpp-python's server rejects a null assistant content.
    content = message.content or ""
    if message.role == "tool":  # OpenAI's tool message has no name
        return wire.ToolMessage(role="tool", content=content, tool_call_id=message.tool_call_id or "")
    if message.role == "assistant":
        calls = [tool_call_to_wire(call) for call in message.tool_calls] or None
        return wire.AssistantMessage(role="assistant", content=content, tool_calls=calls, name=message.name)
    if message.role == "system":
        return wire.SystemMessage(role="system", content=content, name=message.name)
    return wire.UserMessage(role="user", content=content, name=message.name)


def response_format_to_wire(schema: Mapping[str, Any]) -> wire.ResponseFormat:
    """OpenAI's form of an answer schema (llama-cpp-python's server knows only `json_object`)."""
    fmt = wire.JsonSchemaFormat(name=_RESPONSE_SCHEMA, schema_=dict(schema), strict=True)
    return wire.ResponseFormat(type="json_schema", json_schema=fmt)


def request_to_wire(request: ChatRequest, *, model: str, stream: bool) -> wire.EngineRequest:
    """The body for an engine's `/v1/chat/completions`, with llama.cpp's sampling names and grammar."""
    sampling = request.sampling
    tools = [tool_to_wire(tool) for tool in request.tools]
    return wire.EngineRequest(
        model=model,
        messages=[message_to_wire(m) for m in request.messages],
        stream=stream,
        stream_options=wire.StreamOptions(include_usage=True) if stream else None,
        max_tokens=sampling.max_tokens,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k,
        min_p=sampling.min_p,
        presence_penalty=sampling.presence_penalty,
        frequency_penalty=sampling.frequency_penalty,
        repeat_penalty=sampling.repeat_penalty,
        seed=sampling.seed,
        stop=list(sampling.stop) or None,
        grammar=request.grammar,
        response_format=response_format_to_wire(request.json_schema) if request.json_schema is not None else None,
        # OpenAI rejects tool_choice without tools.
        tools=tools or None,
        tool_choice=tool_choice_to_wire(request.tool_choice) if tools else None,
        parallel_tool_calls=False if tools and request.max_calls_per_turn == 1 else None,
    )


def usage_to_wire(usage: Usage) -> wire.CompletionUsage:
    return wire.CompletionUsage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.prompt_tokens + usage.completion_tokens,
        prompt_tokens_details=wire.PromptTokensDetails(cached_tokens=usage.cached_tokens),
    )


# -- the wire to ours ------------------------------------------------------------------------------


def arguments_from_wire(text: str, field: str) -> dict[str, Any]:
    """A call's arguments text as an object ("" is `{}`). Raw newlines inside strings, which small
    models write, are accepted.

    Raises:
        WireFormatError: the text is not a JSON object.
    """
    try:
        value = json.loads(text, strict=False) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise WireFormatError(field, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise WireFormatError(field, f"expected a JSON object, got {type(value).__name__}")
    return value


def tool_call_from_wire(call: wire.ToolCall, field: str) -> ToolCall:
    """Raises WireFormatError when the arguments are not a JSON object (`field` names the call)."""
    arguments = arguments_from_wire(call.function.arguments, f"{field}.function.arguments")
    return ToolCall(id=call.id, name=call.function.name, arguments=arguments)


def _text(content: wire.Content | None, field: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for index, part in enumerate(content):
        if not isinstance(part, wire.TextPart):
            reason = f"{part.type!r} is not supported: the models read text only"
            raise WireFormatError(f"{field}[{index}].type", reason)
        texts.append(part.text)
    return "\n".join(texts)


def messages_from_wire(messages: Sequence[wire.ChatMessage]) -> list[Message]:
    """A conversation as our messages; a tool message without a name takes its call's.

    Raises:
        WireFormatError: naming the field our messages cannot hold (a non-text part, arguments that
            are not an object, a tool result answering no call, an empty conversation).
    """
    out: list[Message] = []
    names: dict[str, str] = {}
    for index, message in enumerate(messages):
        field = f"messages[{index}]"
        if isinstance(message, wire.SystemMessage):
            out.append(Message(role="system", content=_text(message.content, f"{field}.content")))
        elif isinstance(message, wire.UserMessage):
            out.append(Message(role="user", content=_text(message.content, f"{field}.content")))
        elif isinstance(message, wire.AssistantMessage):
            calls = tuple(
                tool_call_from_wire(call, f"{field}.tool_calls[{i}]") for i, call in enumerate(message.tool_calls or ())
            )
            names.update({call.id: call.name for call in calls})
            content = _text(message.content, f"{field}.content") if message.content is not None else None
            reasoning = message.reasoning_content
            out.append(Message(role="assistant", content=content, tool_calls=calls, reasoning=reasoning))
        else:
            name = message.name or names.get(message.tool_call_id)
            if name is None:
                reason = f"{message.tool_call_id!r} answers no tool call of an earlier message"
                raise WireFormatError(f"{field}.tool_call_id", reason)
            content = _text(message.content, f"{field}.content")
            out.append(Message(role="tool", content=content, tool_call_id=message.tool_call_id, name=name))
    if not out:
        raise WireFormatError("messages", "the conversation is empty")
    return out


def tools_from_wire(tools: Sequence[wire.Tool]) -> list[ToolSpec]:
    """Raises WireFormatError for a name given twice."""
    specs: dict[str, ToolSpec] = {}
    for index, tool in enumerate(tools):
        function = tool.function
        if function.name in specs:
            raise WireFormatError(f"tools[{index}].function.name", f"{function.name!r} is given twice")
        schema = function.parameters or _EMPTY_OBJECT
        specs[function.name] = ToolSpec(name=function.name, description=function.description or "", input_schema=schema)
    return list(specs.values())


def tool_choice_from_wire(choice: wire.ToolChoiceOption | None) -> ToolChoice:
    if choice is None:
        return "auto"
    if isinstance(choice, wire.NamedToolChoice):
        return NamedTool(name=choice.function.name)
    return choice


def json_schema_from_wire(fmt: wire.ResponseFormat | None) -> Mapping[str, Any] | None:
    """The schema an answer must follow, from `response_format`; None for free text."""
    if fmt is not None and fmt.type == "json_object":
        return {"type": "object"}
    if fmt is not None and fmt.type == "json_schema" and fmt.json_schema is not None:
        return fmt.json_schema.schema_
    return None


def sampling_from_wire(
    request: wire.ChatCompletionRequest, base: SamplingParams, *, stop: Sequence[str] = (), **more: Any
) -> SamplingParams:
    """The request's sampling fields over `base` (a field the request leaves out keeps base's value).

    Args:
        stop: Stop strings from another field, added to `stop`'s.
        **more: Other `SamplingParams` fields, from fields of a dialect (None: not given).
    """
    stops = [request.stop] if isinstance(request.stop, str) else list(request.stop or ())
    stops += stop
    given: dict[str, Any] = {
        "max_tokens": request.max_tokens or request.max_completion_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
        "seed": request.seed,
        "stop": tuple(stops) if stops else None,
        **more,
    }
    return replace(base, **{k: v for k, v in given.items() if v is not None})


def usage_from_wire(
    usage: wire.CompletionUsage | None,
    timings: wire.Timings | None = None,
    *,
    measured: tuple[float, float] | None = None,
) -> Usage:
    """OpenAI `usage` (with `prompt_tokens_details.cached_tokens`) and llama-server's `timings`.

    Without server timings, the caller's own measurements (time to the first token, then the rest)
    stand in: a stream times itself, network included.
    """
    usage = usage or wire.CompletionUsage()
    completion = usage.completion_tokens or (timings.predicted_n if timings else 0)
    prompt_secs, decode_secs = measured or (0.0, 0.0)
    if timings is not None:
        prompt_secs, decode_secs = timings.prompt_ms / 1000, timings.predicted_ms / 1000
    return Usage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=completion,
        cached_tokens=usage.prompt_tokens_details.cached_tokens or (timings.cache_n if timings else 0),
        prompt_secs=prompt_secs,
        decode_secs=decode_secs,
        decode_tokens=max(completion - 1, 0),
    )
