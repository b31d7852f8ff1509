"""The typed events of an agent run, delivered in order to whoever watches the run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from inference import FinishReason, Message, Usage
from tools import ToolCall, ToolResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallRecord:
    """One executed tool call: which round, what was asked, what came back, how long it took."""

    round: int
    call: ToolCall
    result: ToolResult
    duration_secs: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    answer: str
    """The final assistant content ("" when the run ended on pending external calls)."""
    messages: tuple[Message, ...]
    """The whole conversation, the input included, ending with the final assistant message (followed, when
    client calls are pending, by the results of the agent's own calls of that turn)."""
    rounds: int
    usage: Usage
    tool_calls: tuple[ToolCallRecord, ...] = ()
    wall_secs: float = 0.0
    finish_reason: FinishReason = "stop"
    """"stop" (an answer), "length" (the last turn hit max_tokens) or "tool_calls" (external calls pending)."""
    pending_tool_calls: tuple[ToolCall, ...] = ()
    """Calls to external (client-side) tools: not executed; the caller runs them and continues the conversation."""
    reasoning: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    tools: tuple[str, ...]
    type: Literal["run_started"] = "run_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelTurn:
    """The model finished one turn (before its tool calls, if any, run)."""

    round: int
    message: Message
    usage: Usage
    type: Literal["model_turn"] = "model_turn"


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """Answer text as the model writes it (tool-call markup is never part of it)."""

    round: int
    text: str
    type: Literal["token"] = "token"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reasoning:
    """Reasoning ("thinking") text as the model writes it."""

    round: int
    text: str
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolProgress:
    """A running tool reported progress."""

    round: int
    call: ToolCall
    progress: float
    total: float | None = None
    message: str | None = None
    type: Literal["progress"] = "progress"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerStatusChanged:
    """An MCP server went up, down, or is reconnecting."""

    server: str
    state: str
    error: str | None = None
    type: Literal["server_status"] = "server_status"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallStarted:
    round: int
    call: ToolCall
    type: Literal["tool_call_started"] = "tool_call_started"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallFinished:
    round: int
    call: ToolCall
    result: ToolResult
    duration_secs: float
    type: Literal["tool_call_finished"] = "tool_call_finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallCutOff:
    """The model's turn ended inside a tool call (max_tokens, or the call was never closed): the call is
    not run. `text` is what the model wrote of it."""

    round: int
    text: str
    type: Literal["tool_call_cut_off"] = "tool_call_cut_off"


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalAnswer:
    text: str
    type: Literal["final_answer"] = "final_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished:
    result: RunResult = field(repr=False)
    type: Literal["run_finished"] = "run_finished"


Event = (
    RunStarted
    | Token
    | Reasoning
    | ModelTurn
    | ToolCallStarted
    | ToolCallCutOff
    | ToolProgress
    | ToolCallFinished
    | ServerStatusChanged
    | FinalAnswer
    | RunFinished
)

EventHandler = Callable[[Event], Awaitable[None]]
"""Awaited with each event of a run, in order."""
