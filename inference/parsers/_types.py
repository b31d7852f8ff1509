"""Public values and protocols of the parsers: the parsed turn, parser and stream roles.

Streams yield inference's own stream items (`TextDelta`, `ReasoningDelta`, `ToolCallDelta`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from inference._types import Delta
from tools import ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedTurn:
    """One assistant turn split into its parts.

    `content` and `reasoning` are stripped and None when they hold no non-whitespace text; several
    reasoning blocks are joined with a newline. `tool_calls` keep the model's order.
    """

    content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    cut: str | None = None
    """The raw text of a call the output ended inside (cut off by max_tokens, or never closed): it is
    neither a call (it must never run) nor content."""


@runtime_checkable
class TurnStream(Protocol):
    """Incremental parsing of one assistant turn. Feeding any chunking ends in the one-shot result."""

    def feed(self, chunk: str) -> list[Delta]:
        """Take more generated text; return the deltas that are now certain."""
        ...

    def close(self) -> list[Delta]:
        """End of output: return the deltas that were held back (a possible marker, a pending call)."""
        ...

    def finish(self) -> ParsedTurn:
        """The whole turn. Closes the stream first if needed (dropping the deltas `close` would return)."""
        ...


@runtime_checkable
class ToolCallParser(Protocol):
    """Reads and writes one model family's raw tool-call and reasoning format."""

    @property
    def format(self) -> str:
        """The format's name, as `get_parser` takes it."""
        ...

    @property
    def thinking_open(self) -> bool:
        """Whether the rendered prompt ended inside an opened thinking block."""
        ...

    def parse(self, text: str) -> ParsedTurn:
        """Split raw generated text into content, reasoning and tool calls. Never raises."""
        ...

    def stream(self) -> TurnStream:
        """A fresh incremental parser for one turn."""
        ...

    def render(self, turn: ParsedTurn) -> str:
        """The assistant text this model family would have written for `turn` (history rendering)."""
        ...

    def render_tool_result(self, call: ToolCall, content: str) -> str:
        """The body of the tool-result message answering `call`, in the family's own framing."""
        ...
