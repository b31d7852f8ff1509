"""OpenAI's chat-completions wire shapes, once: the request, the response and the stream chunk, read
leniently (unknown fields ignored, null read as absent), plus what llama.cpp's servers add. Our runtime
values go to and from them in `inference.openai_convert`; agent/ subclasses them for its own dialect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from inference._types import FinishReason
from tools import new_call_id


def _known_finish(value: Any) -> Any:
    # Engines' own reasons (`eos`, `content_filter`, `function_call`) read as "stop": calls decide the rest.
    return value if value in ("stop", "length", "tool_calls") or not isinstance(value, str) else "stop"


_Finish = Annotated[FinishReason, BeforeValidator(_known_finish)]


class Wire(BaseModel):
    """Base of every shape: unknown fields are ignored, and a null reads as the field's default (engines
    and clients write null for what they leave out)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


# -- messages --------------------------------------------------------------------------------------


class TextPart(Wire):
    type: Literal["text"] = Field(description="A text content part.")
    text: str = Field(description="The text.")


class OtherPart(Wire):
    """A content part of another type (image_url, input_audio, file, ...)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="The part's type.")


ContentPart = TextPart | OtherPart
Content = str | list[ContentPart]


class FunctionCall(Wire):
    name: str = Field(description="The function's name.")
    arguments: str = Field("", description="The arguments, as a JSON object in a string.")

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments_as_text(cls, value: Any) -> Any:
        # Some clients and engines send the arguments as an object; the wire format is a JSON string.
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


class ToolCall(Wire):
    id: str = Field(description="The call's id; the tool message answering it carries the same id.")
    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: FunctionCall = Field(description="The function called and its arguments.")


class SystemMessage(Wire):
    role: Literal["system", "developer"] = Field(description="'developer' is read as 'system'.")
    content: Content = Field(description="Text, or a list of text parts.")
    name: str | None = Field(None, description="A name for the participant.")


class UserMessage(Wire):
    role: Literal["user"] = Field(description="The user.")
    content: Content = Field(description="Text, or a list of content parts.")
    name: str | None = Field(None, description="A name for the participant.")


class AssistantMessage(Wire):
    role: Literal["assistant"] = Field(description="The assistant.")
    content: Content | None = Field(None, description="The reply text; null when it only calls tools.")
    tool_calls: list[ToolCall] | None = Field(None, description="Tool calls the assistant made.")
    reasoning_content: str | None = Field(None, description="The assistant's reasoning, if it had any.")
    refusal: str | None = Field(None, description="The assistant's refusal.")
    name: str | None = Field(None, description="A name for the participant.")


class ToolMessage(Wire):
    role: Literal["tool"] = Field(description="A tool's result.")
    content: Content = Field(description="The result text.")
    tool_call_id: str = Field(description="The id of the call this answers.")
    name: str | None = Field(None, description="The tool's name (found from the call's id when absent).")


WireMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage
ChatMessage = Annotated[WireMessage, Field(discriminator="role")]


# -- request: tools and formats ----------------------------------------------------------------------


class FunctionDefinition(Wire):
    name: str = Field(description="The function's name.")
    description: str | None = Field(None, description="What it does, for the model.")
    parameters: dict[str, Any] | None = Field(None, description="A JSON schema of its arguments object.")
    strict: bool | None = Field(None, description="Whether arguments must follow the schema exactly.")


class Tool(Wire):
    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: FunctionDefinition = Field(description="The function.")


class NamedFunction(Wire):
    name: str = Field(description="The tool the model must call.")


class NamedToolChoice(Wire):
    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: NamedFunction = Field(description="The tool the model must call.")


class JsonSchemaFormat(Wire):
    name: str = Field("response", description="A name for the schema.")
    description: str | None = Field(None, description="What the response is.")
    schema_: dict[str, Any] = Field(alias="schema", description="The JSON schema the reply must follow.")
    strict: bool | None = Field(None, description="Whether the reply must follow the schema exactly.")


class ResponseFormat(Wire):
    type: Literal["text", "json_object", "json_schema"] = Field(description="The reply's format.")
    json_schema: JsonSchemaFormat | None = Field(None, description="With type 'json_schema': the schema.")

    @model_validator(mode="after")
    def _schema_present(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type 'json_schema' needs a json_schema object with a schema")
        return self


class StreamOptions(Wire):
    include_usage: bool = Field(False, description="Send a last chunk with the usage and no choices.")


ToolChoiceOption = Literal["auto", "none", "required"] | NamedToolChoice


class ChatCompletionRequest(Wire):
    """OpenAI's chat completion request."""

    model: str = Field(description="The model id.")
    messages: list[ChatMessage] = Field(description="The conversation.")
    max_tokens: int | None = Field(None, ge=1, description="Tokens per model turn at most.")
    max_completion_tokens: int | None = Field(None, ge=1, description="OpenAI's newer name for max_tokens.")
    temperature: float | None = Field(None, ge=0, description="Sampling temperature; 0 is greedy.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling.")
    presence_penalty: float | None = Field(None, ge=-2, le=2, description="Penalty for tokens already present.")
    frequency_penalty: float | None = Field(None, ge=-2, le=2, description="Penalty by how often a token appeared.")
    stop: str | list[str] | None = Field(None, description="Stop strings.")
    seed: int | None = Field(None, description="Sampling seed.")
    n: int | None = Field(None, description="How many choices to generate.")
    stream: bool = Field(False, description="Return chunks instead of one response.")
    stream_options: StreamOptions | None = Field(None, description="Streaming options.")
    tools: Sequence[Tool] | None = Field(None, description="Functions the model may call.")
    tool_choice: ToolChoiceOption | None = Field(None, description="auto, none, required, or a named tool.")
    parallel_tool_calls: bool | None = Field(None, description="False: at most one tool call per model turn.")
    response_format: ResponseFormat | None = Field(None, description="json_object or json_schema: the reply's form.")
    reasoning_effort: str | None = Field(None, description="How hard a reasoning model thinks.")
    logprobs: bool | None = Field(None, description="Return log probabilities of the output tokens.")
    top_logprobs: int | None = Field(None, description="How many alternatives to return per token.")
    logit_bias: dict[str, float] | None = Field(None, description="Token id -> bias added to its logit.")
    web_search_options: dict[str, Any] | None = Field(None, description="Web search settings.")
    user: str | None = Field(None, description="An id for the end user.")
    metadata: dict[str, str] | None = Field(None, description="Key-value pairs stored with the completion.")
    store: bool | None = Field(None, description="Store the completion.")
    service_tier: str | None = Field(None, description="The processing tier.")


# -- response ----------------------------------------------------------------------------------------


def _text_parts(value: Any) -> Any:
    """Content an engine sent as a list of parts, as its text."""
    if not isinstance(value, list):
        return value
    return "".join(p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))


class _Reply(Wire):
    """What an engine writes for the assistant: text however it sends it, reasoning under either name."""

    @model_validator(mode="before")
    @classmethod
    def _reasoning_name(cls, data: Any) -> Any:
        # llama.cpp and older vLLM write `reasoning_content`; newer vLLM writes `reasoning`.
        if isinstance(data, dict) and not data.get("reasoning_content") and data.get("reasoning"):
            return {**data, "reasoning_content": data["reasoning"]}
        return data


class ResponseMessage(_Reply):
    role: Literal["assistant"] = Field("assistant", description="Always 'assistant'.")
    content: Annotated[str | None, BeforeValidator(_text_parts)] = Field(
        None, description="The reply; null when the turn only calls tools."
    )
    tool_calls: list[ToolCall] | None = Field(None, description="Calls to the caller's tools, to run and answer.")
    reasoning_content: Annotated[str | None, BeforeValidator(_text_parts)] = Field(
        None, description="The model's reasoning, when it wrote any."
    )

    @model_validator(mode="before")
    @classmethod
    def _call_ids(cls, data: Any) -> Any:
        # Some engines send calls without ids: each gets a fresh one, so its result can answer it.
        calls = data.get("tool_calls") if isinstance(data, dict) else None
        if isinstance(calls, list) and any(isinstance(c, dict) and not c.get("id") for c in calls):
            calls = [{**c, "id": new_call_id()} if isinstance(c, dict) and not c.get("id") else c for c in calls]
            return {**data, "tool_calls": calls}
        return data


class Choice(Wire):
    index: int = Field(0, description="Always 0: one choice per request.")
    message: ResponseMessage = Field(description="The assistant message.")
    finish_reason: _Finish = Field("stop", description="stop, length, or tool_calls (calls to run).")
    logprobs: None = Field(None, description="Always null.")


class PromptTokensDetails(Wire):
    cached_tokens: int = Field(0, description="Prompt tokens reused from the KV cache.")


class CompletionUsage(Wire):
    prompt_tokens: int = Field(0, description="Prompt tokens.")
    completion_tokens: int = Field(0, description="Generated tokens.")
    total_tokens: int = Field(0, description="prompt_tokens + completion_tokens.")
    prompt_tokens_details: PromptTokensDetails = Field(
        default_factory=PromptTokensDetails, description="Cached prompt tokens."
    )


class _Completion(Wire):
    """What a response and each of its chunks carry."""

    id: str = Field("", description="chatcmpl-...: the same in every chunk of a response.")
    object: str = Field(description="The object type.")
    created: int = Field(0, description="Unix time the request started.")
    model: str = Field("", description="The model serving the request.")
    system_fingerprint: str | None = Field(None, description="The backend's configuration.")


class ChatCompletionResponse(_Completion):
    object: Literal["chat.completion"] = Field("chat.completion", description="Always 'chat.completion'.")
    choices: list[Choice] = Field(description="The choices (one, here).")
    usage: CompletionUsage | None = Field(None, description="Tokens used.")


# -- stream ------------------------------------------------------------------------------------------


class DeltaFunctionCall(Wire):
    name: str | None = Field(None, description="The function's name (in the call's first delta).")
    arguments: str | None = Field(None, description="A piece of the arguments' JSON text.")


class DeltaToolCall(Wire):
    index: int = Field(description="Which call of the message this delta extends.")
    id: str | None = Field(None, description="The call's id (in its first delta).")
    type: Literal["function"] | None = Field(None, description="'function' (in the call's first delta).")
    function: DeltaFunctionCall | None = Field(None, description="The name and arguments text.")


class Delta(_Reply):
    role: Literal["assistant"] | None = Field(None, description="'assistant' in the first chunk.")
    content: Annotated[str | None, BeforeValidator(_text_parts)] = Field(None, description="A piece of the reply.")
    reasoning_content: Annotated[str | None, BeforeValidator(_text_parts)] = Field(
        None, description="A piece of the reasoning."
    )
    tool_calls: list[DeltaToolCall] | None = Field(None, description="Pieces of tool calls.")

    @model_validator(mode="before")
    @classmethod
    def _call_indexes(cls, data: Any) -> Any:
        # A call delta without `index` is the call at its position in this chunk.
        calls = data.get("tool_calls") if isinstance(data, dict) else None
        if isinstance(calls, list):
            calls = [
                {**c, "index": i} if isinstance(c, dict) and c.get("index") is None else c for i, c in enumerate(calls)
            ]
            return {**data, "tool_calls": calls}
        return data


class ChunkChoice(Wire):
    index: int = Field(0, description="Always 0.")
    delta: Delta = Field(default_factory=Delta, description="What this chunk adds.")
    finish_reason: _Finish | None = Field(None, description="Set in the last chunk with choices.")
    logprobs: None = Field(None, description="Always null.")


class ChatCompletionChunk(_Completion):
    object: Literal["chat.completion.chunk"] = Field("chat.completion.chunk", description="The object type.")
    choices: list[ChunkChoice] = Field(default_factory=list, description="One choice; empty in the usage chunk.")
    usage: CompletionUsage | None = Field(None, description="In the last chunk, with stream_options.include_usage.")


# -- what llama.cpp's servers add (llama-server, llama-cpp-python) ----------------------------------------


class EngineRequest(ChatCompletionRequest):
    """The request the remote backend sends: OpenAI's, plus the sampling names and grammar field of
    llama.cpp's servers (vLLM and SGLang read `top_k` and `min_p` too)."""

    top_k: int | None = Field(None, description="Top-k sampling.")
    min_p: float | None = Field(None, description="Min-p sampling.")
    repeat_penalty: float | None = Field(None, description="llama.cpp's repetition penalty (1 is off).")
    grammar: str | None = Field(None, description="A GBNF grammar the reply must follow.")


class Timings(Wire):
    """llama-server's measurements of one response."""

    prompt_n: int = Field(0, description="Prompt tokens evaluated.")
    prompt_ms: float = Field(0.0, description="Time evaluating them.")
    predicted_n: int = Field(0, description="Tokens generated.")
    predicted_ms: float = Field(0.0, description="Time generating them.")
    cache_n: int = Field(0, description="Prompt tokens reused from the cache.")


class EngineCompletion(ChatCompletionResponse):
    timings: Timings | None = Field(None, description="llama-server's timings.")


class EngineChunk(ChatCompletionChunk):
    timings: Timings | None = Field(None, description="llama-server's timings (in the last chunk).")
