"""AgentOptions: the knobs of one agent run (rounds, tool choice, concurrency, budgets, approval, sampling)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.approval import Approver
from inference import SamplingParams, ToolChoice


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentOptions:
    max_rounds: int = 6
    """Model turns at most; on the last one tool calls are disabled, so the model must answer."""
    tool_choice: ToolChoice = "auto"
    """For the first round. After a round with tool calls it goes back to "auto", so "required" cannot loop."""
    max_calls_per_turn: int = 4
    max_concurrent_calls: int = 10
    tool_timeout_secs: float | None = None
    sampling: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str | None = None
    approval: Approver | None = None
    """Asked before each call; a denied call is not run and the model is told why."""
    max_repeats: int = 2
    """Identical calls (same tool, same arguments) caught before the model must answer."""
    max_error_rounds: int = 3
    """Rounds in a row in which every call failed before the model must answer."""
    result_budget_tokens: int | None = 1024
    """Each tool result is cut to this many tokens (head and tail kept); None keeps results whole."""
    tool_budget_tokens: int | None = None
    """When the tool schemas take more tokens than this, each turn offers the tools most relevant to the
    conversation (BM25 over names and descriptions), recently used ones first; None offers them all."""
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """More variables for the model's chat template on every turn (`enable_thinking`, ...)."""
