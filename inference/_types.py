"""Runtime values of the inference core: chat messages, requests, responses, usage and stream deltas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tools import ToolCall, ToolSpec

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One chat message. Tool results are `role="tool"` with the `tool_call_id` they answer."""

    role: Role
    content: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedTool:
    """`tool_choice` that forces one tool by name."""

    name: str


ToolChoice = Literal["auto", "none", "required"] | NamedTool


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingParams:
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 40
    min_p: float = 0.05
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    repeat_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    messages: Sequence[Message]
    tools: Sequence[ToolSpec] = ()
    tool_choice: ToolChoice = "auto"
    sampling: SamplingParams = field(default_factory=SamplingParams)
    max_calls_per_turn: int = 4
    """Cap on tool calls in one model turn (enforced by the grammar where there is one)."""
    grammar: str | None = None
    """A GBNF grammar the whole turn must follow. It replaces the tool-call grammar."""
    json_schema: Mapping[str, Any] | None = None
    """A JSON schema the answer must follow (compiled to a grammar). Without tools, or with `tool_choice`
    "none", the whole turn is such an answer; with tools, a backend whose `model_info.schema_with_tools` is
    true makes the turn a tool call or such an answer, and the others constrain the whole turn."""
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """More variables for the model's chat template (`enable_thinking`, ...), as `apply_chat_template` takes them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens that were already in the KV cache and were not evaluated again."""
    prompt_secs: float = 0.0
    """Time to the first generated token: evaluating the prompt and sampling once."""
    decode_secs: float = 0.0
    """Time after the first token."""
    decode_tokens: int = 0
    """Tokens generated within `decode_secs` (all but the first)."""

    @property
    def evaluated_prompt_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    @property
    def prompt_tokens_per_sec(self) -> float:
        return self.evaluated_prompt_tokens / self.prompt_secs if self.prompt_secs > 0 else 0.0

    @property
    def decode_tokens_per_sec(self) -> float:
        return self.decode_tokens / self.decode_secs if self.decode_secs > 0 else 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            prompt_secs=self.prompt_secs + other.prompt_secs,
            decode_secs=self.decode_secs + other.decode_secs,
            decode_tokens=self.decode_tokens + other.decode_tokens,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatResponse:
    message: Message
    """The assistant message, with tool calls already parsed out of the raw text."""
    finish_reason: FinishReason
    usage: Usage
    raw_text: str = ""
    """What the model generated, before parsing."""
    cut_call: str | None = None
    """The raw text of a tool call the output ended inside (cut off by max_tokens, or never closed): not in
    `message`, never to be run; `finish_reason` is then "length"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TextDelta:
    """More user-visible text. Concatenated, the text deltas of a turn equal its final content."""

    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasoningDelta:
    """More reasoning text. Concatenated, the reasoning deltas of a turn equal its final reasoning."""

    text: str
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallDelta:
    """A whole tool call, as soon as its end is seen in the output: a call cut off later is no call."""

    index: int
    call: ToolCall
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseDone:
    """The last item of every stream: the whole response."""

    response: ChatResponse
    type: Literal["done"] = "done"


Delta = TextDelta | ReasoningDelta | ToolCallDelta
"""Content text, reasoning text and tool calls as they are generated (what a turn's parser yields)."""
StreamItem = Delta | ResponseDone
"""A stream's items: deltas as they are generated; the last item is ResponseDone."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    id: str
    path: str | None = None
    n_ctx: int = 0
    chat_format: str = ""
    """The tool-call format this model writes (a parser name)."""
    schema_with_tools: bool = False
    """A request with tools and a `json_schema` is one pass: a tool call, or an answer following the schema."""
