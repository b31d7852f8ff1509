"""Our dialect of the OpenAI chat-completion wire: `inference.openai_types`' shapes, subclassed where we add
to them, for the Runner API and the HTTP server.

Requests refuse unknown fields (a misspelt field is an error, not silently dropped) and take mistral.rs's
fields (`stop_seqs`, `n_choices`, `grammar`, `tool_schemas`, ...); usage carries mistral.rs's timings; and
two extensions are ours: `tool_call_records` on the response (every MCP tool call the agent ran) and
`mcpagent_event` on stream chunks (the agent's events). Conversions live in `agent.completions._convert`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from inference import openai_types as wire
from inference.openai_types import (
    AssistantMessage,
    ChatMessage,
    Choice,
    ChunkChoice,
    Content,
    ContentPart,
    Delta,
    DeltaFunctionCall,
    DeltaToolCall,
    FunctionCall,
    OtherPart,
    PromptTokensDetails,
    ResponseMessage,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)

FinishReasonOut = Literal["stop", "length", "tool_calls"]
_FORBID = ConfigDict(extra="forbid")

# -- request: tools and formats, strict ------------------------------------------------------------


class FunctionDefinition(wire.FunctionDefinition):
    model_config = _FORBID


class Tool(wire.Tool):
    """A client-side function: a call to it comes back in `tool_calls`, unexecuted."""

    model_config = _FORBID
    function: FunctionDefinition = Field(description="The function.")


class NamedFunction(wire.NamedFunction):
    model_config = _FORBID


class NamedToolChoice(wire.NamedToolChoice):
    model_config = _FORBID
    function: NamedFunction = Field(description="The tool the model must call.")


class JsonSchemaFormat(wire.JsonSchemaFormat):
    model_config = _FORBID


class ResponseFormat(wire.ResponseFormat):
    model_config = _FORBID
    json_schema: JsonSchemaFormat | None = Field(None, description="With type 'json_schema': the schema.")


class StreamOptions(wire.StreamOptions):
    model_config = _FORBID


# -- request ---------------------------------------------------------------------------------------


class ChatCompletionRequest(wire.ChatCompletionRequest):
    """A chat completion request, OpenAI's fields plus mistral.rs's.

    MCP tools run inside the request (up to `max_tool_rounds` model turns); `tools` are the caller's own
    functions, returned as `tool_calls` for the caller to run. Not supported (refused when set): `n` above 1,
    `logprobs`, `top_logprobs`, `logit_bias`, `web_search_options`. Accepted and ignored: `user`, `metadata`,
    `store`, `service_tier`, `reasoning_effort`, a message's `name` and `refusal`, a function's `strict` and a
    schema's `strict` (calls and constrained replies always follow the schema), `truncate_sequence` (set
    trimming on the Runner), `adapters`, `enable_thinking` (given to the chat template).
    """

    model_config = _FORBID

    model: str = Field(
        "default", description="The model id; 'default' (for a single-model Runner, any id) is the default model."
    )
    messages: list[ChatMessage] = Field(
        min_length=1, description="The conversation; a string is read as one user message."
    )
    # The schema says "exactly 1"; the validator below says why.
    n: int = Field(1, json_schema_extra={"minimum": 1, "maximum": 1}, description="Choices: only 1 is supported.")
    stream_options: StreamOptions | None = Field(None, description="Streaming options.")
    tools: list[Tool] | None = Field(None, description="Client-side functions: calls come back unexecuted.")
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = Field(
        None, description="For the first model turn: auto, none, required, or a named tool."
    )
    response_format: ResponseFormat | None = Field(
        None, description="json_object or json_schema: the reply is constrained to it."
    )
    # mistral.rs's fields
    top_k: int | None = Field(None, ge=0, description="Top-k sampling (0 disables it).")
    min_p: float | None = Field(None, ge=0, le=1, description="Min-p sampling.")
    repetition_penalty: float | None = Field(None, gt=0, description="llama.cpp's repeat penalty (1 is off).")
    stop_seqs: list[str] | None = Field(None, description="mistral.rs's name for stop.")
    n_choices: int = Field(
        1, json_schema_extra={"minimum": 1, "maximum": 1}, description="mistral.rs's name for n: only 1 is supported."
    )
    tool_schemas: list[str] | None = Field(None, description="mistral.rs: tools as JSON strings.")
    grammar: str | None = Field(None, description="mistral.rs: a grammar the reply must follow.")
    grammar_type: Literal["gbnf", "json_schema", "regex", "lark", "llguidance"] | None = Field(
        None, description="mistral.rs: the grammar's kind; gbnf and json_schema are supported."
    )
    enable_thinking: bool | None = Field(
        None, description="Given to the model's chat template as `enable_thinking` (templates that read it)."
    )
    chat_template_kwargs: dict[str, Any] | None = Field(
        None, description="More variables for the model's chat template, as vLLM and transformers take them."
    )
    truncate_sequence: bool = Field(False, description="Accepted and ignored: trimming is a Runner setting.")
    adapters: list[str] | None = Field(None, description="Accepted and ignored (mistral.rs, deprecated).")
    # ours
    max_tool_rounds: int | None = Field(None, ge=1, description="Model turns at most (ours; default: the Runner's).")

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


class CompletionUsage(wire.CompletionUsage):
    """Tokens over every model turn of the request, with mistral.rs's timing fields."""

    avg_tok_per_sec: float = Field(0.0, description="(Evaluated prompt + generated tokens) / total_time_sec.")
    avg_prompt_tok_per_sec: float = Field(0.0, description="Evaluated (not cached) prompt tokens per second.")
    avg_compl_tok_per_sec: float = Field(0.0, description="Decode speed, tokens per second.")
    total_time_sec: float = Field(0.0, description="Model time: prompt plus completion.")
    total_prompt_time_sec: float = Field(0.0, description="Time to the first token of each turn, summed.")
    total_completion_time_sec: float = Field(0.0, description="Time after the first token of each turn, summed.")


class ToolCallRecordOut(wire.Wire):
    """Ours: one MCP tool call the agent ran while serving the request."""

    round: int = Field(description="The model turn (1-based) that asked for it.")
    id: str = Field(description="The call's id.")
    name: str = Field(description="The registered (prefixed) tool name.")
    arguments: dict[str, Any] = Field(description="The arguments the model gave.")
    result: str = Field(description="The result's text.")
    is_error: bool = Field(description="Whether the tool (or the agent) reported an error.")
    structured_content: dict[str, Any] | None = Field(None, description="The result's structuredContent, if any.")
    duration_secs: float = Field(description="How long the call took.")


class ChatCompletionResponse(wire.ChatCompletionResponse):
    usage: CompletionUsage = Field(description="Tokens and timings over every model turn.")
    tool_call_records: list[ToolCallRecordOut] = Field(
        default_factory=list, description="Ours: every MCP tool call run for this request, in order."
    )


class ChatCompletionChunk(wire.ChatCompletionChunk):
    usage: CompletionUsage | None = Field(None, description="In the last chunk, with stream_options.include_usage.")
    mcpagent_event: dict[str, Any] | None = Field(
        None, description="Ours: the agent event this chunk reports (tool call started, finished, ...)."
    )


__all__ = [
    "AssistantMessage",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatCompletionResponse",
    "ChatMessage",
    "Choice",
    "ChunkChoice",
    "CompletionUsage",
    "Content",
    "ContentPart",
    "Delta",
    "DeltaFunctionCall",
    "DeltaToolCall",
    "FinishReasonOut",
    "FunctionCall",
    "FunctionDefinition",
    "JsonSchemaFormat",
    "NamedFunction",
    "NamedToolChoice",
    "OtherPart",
    "PromptTokensDetails",
    "ResponseFormat",
    "ResponseMessage",
    "StreamOptions",
    "SystemMessage",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallRecordOut",
    "ToolMessage",
    "UserMessage",
]
