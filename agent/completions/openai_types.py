"""OpenAI chat-completion wire models: the request, the response and the stream chunk.

Shared by the Runner API and the HTTP server, so they stay wire-exact: field names and shapes are
OpenAI's, plus mistral.rs's request fields (`stop_seqs`, `n_choices`, `grammar`, `tool_schemas`, ...)
and usage timings, and two extensions of ours: `tool_call_records` on the response (every MCP tool call
the agent ran) and `mcpagent_event` on stream chunks (the agent's events). Conversions to and from our
runtime types live in `agent.completions._convert`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FinishReasonOut = Literal["stop", "length", "tool_calls"]


class _Request(BaseModel):
    """Request-side models: a misspelt field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Message(BaseModel):
    """Messages ignore unknown fields: clients echo back assistant messages with fields of their own
    (`annotations`, `audio`, `function_call`)."""

    model_config = ConfigDict(extra="ignore")


# -- request: messages ---------------------------------------------------------------------------


class TextPart(_Message):
    type: Literal["text"] = Field(description="A text content part.")
    text: str = Field(description="The text.")


class OtherPart(BaseModel):
    """A content part of another type (image_url, input_audio, file, ...): accepted on the wire, refused
    when the request is served, since the local models read text only."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="The part's type.")


ContentPart = TextPart | OtherPart
Content = str | list[ContentPart]


class FunctionCall(BaseModel):
    name: str = Field(description="The function's name.")
    arguments: str = Field(description="The arguments, as a JSON object in a string.")

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments_as_text(cls, value: Any) -> Any:
        # Some clients send the arguments as an object; the wire format is a JSON string.
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


class ToolCall(BaseModel):
    id: str = Field(description="The call's id; the tool message answering it carries the same id.")
    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: FunctionCall = Field(description="The function called and its arguments.")


class SystemMessage(_Message):
    role: Literal["system", "developer"] = Field(description="'developer' is read as 'system'.")
    content: Content = Field(description="Text, or a list of text parts.")
    name: str | None = Field(None, description="Accepted and ignored.")


class UserMessage(_Message):
    role: Literal["user"] = Field(description="The user.")
    content: Content = Field(description="Text, or a list of content parts (text only is supported).")
    name: str | None = Field(None, description="Accepted and ignored.")


class AssistantMessage(_Message):
    role: Literal["assistant"] = Field(description="The assistant.")
    content: Content | None = Field(None, description="The reply text; null when it only calls tools.")
    tool_calls: list[ToolCall] | None = Field(None, description="Tool calls the assistant made.")
    reasoning_content: str | None = Field(None, description="The assistant's reasoning, if it had any.")
    refusal: str | None = Field(None, description="Accepted and ignored.")
    name: str | None = Field(None, description="Accepted and ignored.")


class ToolMessage(_Message):
    role: Literal["tool"] = Field(description="A tool's result.")
    content: Content = Field(description="The result text.")
    tool_call_id: str = Field(description="The id of the call this answers.")
    name: str | None = Field(None, description="The tool's name (found from the call's id when absent).")


ChatMessage = Annotated[SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")]


# -- request: tools and formats ------------------------------------------------------------------


class FunctionDefinition(_Request):
    name: str = Field(description="The function's name.")
    description: str | None = Field(None, description="What it does, for the model.")
    parameters: dict[str, Any] | None = Field(None, description="A JSON schema of its arguments object.")
    strict: bool | None = Field(None, description="Accepted; arguments are always constrained to the schema.")


class Tool(_Request):
    """A client-side function: a call to it comes back in `tool_calls`, unexecuted."""

    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: FunctionDefinition = Field(description="The function.")


class NamedFunction(_Request):
    name: str = Field(description="The tool the model must call.")


class NamedToolChoice(_Request):
    type: Literal["function"] = Field("function", description="Always 'function'.")
    function: NamedFunction = Field(description="The tool the model must call.")


class JsonSchemaFormat(_Request):
    name: str = Field("response", description="A name for the schema.")
    description: str | None = Field(None, description="What the response is.")
    schema_: dict[str, Any] = Field(alias="schema", description="The JSON schema the reply must follow.")
    strict: bool | None = Field(None, description="Accepted; the reply is always constrained to the schema.")


class ResponseFormat(_Request):
    type: Literal["text", "json_object", "json_schema"] = Field(description="The reply's format.")
    json_schema: JsonSchemaFormat | None = Field(None, description="With type 'json_schema': the schema.")

    @model_validator(mode="after")
    def _schema_present(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type 'json_schema' needs a json_schema object with a schema")
        return self


class StreamOptions(_Request):
    include_usage: bool = Field(False, description="Send a last chunk with the usage and no choices.")


# -- request ---------------------------------------------------------------------------------------


class ChatCompletionRequest(_Request):
    """A chat completion request, OpenAI's fields plus mistral.rs's.

    MCP tools run inside the request (up to `max_tool_rounds` model turns); `tools` are the caller's own
    functions, returned as `tool_calls` for the caller to run. Accepted and ignored: `user`, `metadata`,
    `store`, `service_tier`, `reasoning_effort`, `truncate_sequence` (set trimming on the Runner),
    `adapters`, `enable_thinking` (passed on; the bundled models have no thinking mode).
    """

    model: str = Field(
        "default", description="The model id; 'default' (for a single-model Runner, any id) is the default model."
    )
    messages: list[ChatMessage] = Field(
        min_length=1, description="The conversation; a string is read as one user message."
    )
    max_tokens: int | None = Field(None, ge=1, description="Tokens per model turn at most.")
    max_completion_tokens: int | None = Field(None, ge=1, description="OpenAI's newer name for max_tokens.")
    temperature: float | None = Field(None, ge=0, description="Sampling temperature; 0 is greedy.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling.")
    top_k: int | None = Field(None, ge=0, description="Top-k sampling (0 disables it).")
    min_p: float | None = Field(None, ge=0, le=1, description="Min-p sampling.")
    presence_penalty: float | None = Field(None, ge=-2, le=2, description="Penalty for tokens already present.")
    frequency_penalty: float | None = Field(None, ge=-2, le=2, description="Penalty by how often a token appeared.")
    repetition_penalty: float | None = Field(None, gt=0, description="llama.cpp's repeat penalty (1 is off).")
    stop: str | list[str] | None = Field(None, description="Stop strings.")
    stop_seqs: list[str] | None = Field(None, description="mistral.rs's name for stop.")
    seed: int | None = Field(None, description="Sampling seed.")
    # The schema says "exactly 1"; the validator below says why.
    n: int = Field(1, json_schema_extra={"minimum": 1, "maximum": 1}, description="Choices: only 1 is supported.")
    n_choices: int = Field(
        1, json_schema_extra={"minimum": 1, "maximum": 1}, description="mistral.rs's name for n: only 1 is supported."
    )
    stream: bool = Field(False, description="Return chunks (with the agent's events) instead of one response.")
    stream_options: StreamOptions | None = Field(None, description="Streaming options.")
    tools: list[Tool] | None = Field(None, description="Client-side functions: calls come back unexecuted.")
    tool_schemas: list[str] | None = Field(None, description="mistral.rs: tools as JSON strings.")
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = Field(
        None, description="For the first model turn: auto, none, required, or a named tool."
    )
    parallel_tool_calls: bool | None = Field(None, description="False: at most one tool call per model turn.")
    max_tool_rounds: int | None = Field(None, ge=1, description="Model turns at most (ours; default: the Runner's).")
    response_format: ResponseFormat | None = Field(
        None, description="json_object or json_schema: the reply is constrained to it."
    )
    grammar: str | None = Field(None, description="mistral.rs: a grammar the reply must follow.")
    grammar_type: Literal["gbnf", "json_schema", "regex", "lark", "llguidance"] | None = Field(
        None, description="mistral.rs: the grammar's kind; gbnf and json_schema are supported."
    )
    enable_thinking: bool | None = Field(None, description="Passed on; the bundled models have no thinking mode.")
    reasoning_effort: str | None = Field(None, description="Accepted and ignored.")
    logprobs: bool = Field(False, description="Not supported (must be false).")
    top_logprobs: int | None = Field(None, description="Not supported.")
    logit_bias: dict[str, float] | None = Field(None, description="Not supported (must be empty).")
    web_search_options: dict[str, Any] | None = Field(None, description="Not supported (must be null).")
    truncate_sequence: bool = Field(False, description="Accepted and ignored: trimming is a Runner setting.")
    adapters: list[str] | None = Field(None, description="Accepted and ignored (mistral.rs, deprecated).")
    user: str | None = Field(None, description="Accepted and ignored.")
    metadata: dict[str, str] | None = Field(None, description="Accepted and ignored.")
    store: bool | None = Field(None, description="Accepted and ignored.")
    service_tier: str | None = Field(None, description="Accepted and ignored.")

    @field_validator("messages", mode="before")
    @classmethod
    def _prompt_string(cls, value: Any) -> Any:
        return [{"role": "user", "content": value}] if isinstance(value, str) else value

    @field_validator("tool_choice", mode="before")
    @classmethod
    def _choice_case(cls, value: Any) -> Any:
        # mistral.rs's ToolChoice enum values are "Auto" and "None".
        enum_value = getattr(value, "value", value)
        return enum_value.lower() if isinstance(enum_value, str) else value

    @field_validator("logit_bias", mode="before")
    @classmethod
    def _bias_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _unsupported(self) -> ChatCompletionRequest:
        if self.n != 1 or self.n_choices != 1:
            raise ValueError("n: only one choice per request is supported")
        if self.logprobs or self.top_logprobs:
            raise ValueError("logprobs: log probabilities are not supported")
        if self.logit_bias:
            raise ValueError("logit_bias: not supported")
        if self.web_search_options is not None:
            raise ValueError("web_search_options: web search is not supported; add a search MCP server instead")
        if self.grammar is not None and self.grammar_type in ("regex", "lark", "llguidance"):
            raise ValueError(f"grammar_type: {self.grammar_type!r} is not supported; use 'gbnf' or 'json_schema'")
        if self.grammar is not None and self.response_format is not None and self.response_format.type != "text":
            raise ValueError("grammar and response_format both constrain the reply: give one")
        return self


# -- response --------------------------------------------------------------------------------------


class ResponseMessage(BaseModel):
    role: Literal["assistant"] = Field("assistant", description="Always 'assistant'.")
    content: str | None = Field(description="The reply; null when the turn only calls client tools.")
    tool_calls: list[ToolCall] | None = Field(None, description="Calls to the caller's tools, to run and answer.")
    reasoning_content: str | None = Field(None, description="The model's reasoning, when it wrote any.")


class Choice(BaseModel):
    index: int = Field(0, description="Always 0: one choice per request.")
    message: ResponseMessage = Field(description="The final assistant message.")
    finish_reason: FinishReasonOut = Field(description="stop, length, or tool_calls (client tools pending).")
    logprobs: None = Field(None, description="Always null.")


class PromptTokensDetails(BaseModel):
    cached_tokens: int = Field(0, description="Prompt tokens reused from the KV cache.")


class CompletionUsage(BaseModel):
    """Tokens over every model turn of the request, with mistral.rs's timing fields."""

    prompt_tokens: int = Field(description="Prompt tokens, summed over the model turns.")
    completion_tokens: int = Field(description="Generated tokens, summed over the model turns.")
    total_tokens: int = Field(description="prompt_tokens + completion_tokens.")
    prompt_tokens_details: PromptTokensDetails = Field(
        default_factory=PromptTokensDetails, description="Cached prompt tokens."
    )
    avg_tok_per_sec: float = Field(0.0, description="(Evaluated prompt + generated tokens) / total_time_sec.")
    avg_prompt_tok_per_sec: float = Field(0.0, description="Evaluated (not cached) prompt tokens per second.")
    avg_compl_tok_per_sec: float = Field(0.0, description="Decode speed, tokens per second.")
    total_time_sec: float = Field(0.0, description="Model time: prompt plus completion.")
    total_prompt_time_sec: float = Field(0.0, description="Time to the first token of each turn, summed.")
    total_completion_time_sec: float = Field(0.0, description="Time after the first token of each turn, summed.")


class ToolCallRecordOut(BaseModel):
    """Ours: one MCP tool call the agent ran while serving the request."""

    round: int = Field(description="The model turn (1-based) that asked for it.")
    id: str = Field(description="The call's id.")
    name: str = Field(description="The registered (prefixed) tool name.")
    arguments: dict[str, Any] = Field(description="The arguments the model gave.")
    result: str = Field(description="The result's text.")
    is_error: bool = Field(description="Whether the tool (or the agent) reported an error.")
    structured_content: dict[str, Any] | None = Field(None, description="The result's structuredContent, if any.")
    duration_secs: float = Field(description="How long the call took.")


class ChatCompletionResponse(BaseModel):
    id: str = Field(description="chatcmpl-...")
    object: Literal["chat.completion"] = Field("chat.completion", description="Always 'chat.completion'.")
    created: int = Field(description="Unix time the request started.")
    model: str = Field(description="The model that served the request.")
    system_fingerprint: str | None = Field(None, description="The framework and version.")
    choices: list[Choice] = Field(description="One choice.")
    usage: CompletionUsage = Field(description="Tokens and timings over every model turn.")
    tool_call_records: list[ToolCallRecordOut] = Field(
        default_factory=list, description="Ours: every MCP tool call run for this request, in order."
    )


# -- stream ------------------------------------------------------------------------------------------


class DeltaFunctionCall(BaseModel):
    name: str | None = Field(None, description="The function's name (in the call's first delta).")
    arguments: str | None = Field(None, description="A piece of the arguments' JSON text.")


class DeltaToolCall(BaseModel):
    index: int = Field(description="Which call of the message this delta extends.")
    id: str | None = Field(None, description="The call's id (in its first delta).")
    type: Literal["function"] | None = Field(None, description="'function' (in the call's first delta).")
    function: DeltaFunctionCall | None = Field(None, description="The name and arguments text.")


class Delta(BaseModel):
    role: Literal["assistant"] | None = Field(None, description="'assistant' in the first chunk.")
    content: str | None = Field(None, description="A piece of the reply.")
    reasoning_content: str | None = Field(None, description="A piece of the reasoning.")
    tool_calls: list[DeltaToolCall] | None = Field(None, description="Calls to the caller's tools.")


class ChunkChoice(BaseModel):
    index: int = Field(0, description="Always 0.")
    delta: Delta = Field(default_factory=Delta, description="What this chunk adds.")
    finish_reason: FinishReasonOut | None = Field(None, description="Set in the last chunk with choices.")
    logprobs: None = Field(None, description="Always null.")


class ChatCompletionChunk(BaseModel):
    id: str = Field(description="The same for every chunk of a response.")
    object: Literal["chat.completion.chunk"] = Field("chat.completion.chunk", description="The object type.")
    created: int = Field(description="Unix time the request started.")
    model: str = Field(description="The model serving the request.")
    system_fingerprint: str | None = Field(None, description="The framework and version.")
    choices: list[ChunkChoice] = Field(description="One choice; empty in the usage chunk.")
    usage: CompletionUsage | None = Field(None, description="In the last chunk, with stream_options.include_usage.")
    mcpagent_event: dict[str, Any] | None = Field(
        None, description="Ours: the agent event this chunk reports (tool call started, finished, ...)."
    )
