"""A format as data: its reasoning blocks, call openers with their body readers, and tokens to drop.

The stream machine (`_machine.py`) runs any `FormatSpec`; the format modules only fill these in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from inference.parsers._types import ParsedTurn
from tools import ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class Reasoning:
    """A reasoning block: any opener starts it, any closer ends it; unclosed, it runs to the end."""

    open: tuple[str, ...]
    close: tuple[str, ...]
    calls_inside: bool = False
    """A call opener ends an unclosed block (Kimi K2, Qwen3.5, DeepSeek V3.1 call from inside thinking)."""
    at_start: bool = False
    """The opener counts only before any content (plain-text markers such as Granite 3.2's)."""
    hidden: bool = False
    """The block's text is neither reasoning nor content (a harmony message to a built-in tool)."""


@dataclass(frozen=True, slots=True)
class Done:
    """The body held these calls (possibly none, as SmolLM2's `[]`), and maybe content (generic)."""

    calls: list[ToolCall]
    content: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Not a call after all: the opener and what the reader took go back out as plain text."""

    code: bool = False
    """The reader took the opening line of a Markdown fence: what follows is a code block."""


@dataclass(frozen=True, slots=True)
class Cut:
    """The output ended inside the body (max_tokens, a missing closing brace or tag): no call, and no text."""


@dataclass(frozen=True, slots=True)
class Switch:
    """The opener began a message header that routes to reasoning (`reasoning`) or content (None)."""

    reasoning: Reasoning | None = None


Outcome = Done | Reject | Cut | Switch


class BodyReader(Protocol):
    """Reads one call body after its opener, incrementally."""

    def step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        """Consume from buf[pos:]; return the new position and, once decided, the outcome.

        What is left unconsumed must be short (a possible closing marker, whitespace before a decision).
        With `final` (end of output) an outcome is required.
        """
        ...

    def raw(self) -> str:
        """All the text this reader consumed (what a Reject gives back as text)."""
        ...

    def waits_on(self, text: str) -> bool:
        """Whether the reader, given only `text`, would still be waiting on a closing literal (a cheap
        check that lets a chunk be queued without running the reader)."""
        ...

    def gate(self) -> Callable[[str], object] | None:
        """A search that finds nothing in a chunk which cannot change the reader's state (such a chunk
        may be queued unread); None when every chunk matters."""
        ...


ReaderFactory = Callable[[str], BodyReader]
"""Makes a reader for one body, given the opener text that started it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Opener:
    """A literal that starts a call body."""

    marker: str
    reader: ReaderFactory
    at_start: bool = False
    """Only at the start of the message (whole-message formats: `{`, `[`, a fence); the marker itself is
    left for the reader to read. The empty marker means "try the reader at the start"."""
    offered_only: bool = False
    """Its calls count only when each names an offered tool (lenient readings of untagged JSON); else the
    text stays text."""


def openers(
    readers: Mapping[str, ReaderFactory], *, at_start: bool = False, offered_only: bool = False
) -> tuple[Opener, ...]:
    """Openers from `{marker: reader}`."""
    return tuple(
        Opener(marker=marker, reader=reader, at_start=at_start, offered_only=offered_only)
        for marker, reader in readers.items()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatSpec:
    """Everything the stream machine and the renderer need to know about one format."""

    name: str
    render: Callable[[ParsedTurn], str]
    tool_result: Callable[[ToolCall, str], str]
    openers: tuple[Opener, ...] = ()
    reasoning: tuple[Reasoning, ...] = ()
    end_tokens: tuple[str, ...] = ()
    """End-of-turn tokens: dropped wherever they appear, never content."""
    stop_tokens: tuple[str, ...] = ()
    """Tokens that stop generation: dropped at the very end of the output; anywhere else the model wrote
    them as text (harmony's `<|call|>` and `<|return|>` in reasoning or an answer that explains them)."""
    drop: tuple[str, ...] = ()
    """Markers dropped from content (section ends, response tags, stray closing tags)."""
    markdown: bool = True
    """Inline code spans and fences shield markers; a fence around a call is stripped."""
    carries_ids: bool = False
    """Whether the format writes call ids (they must round-trip through render and parse)."""
    fenced_json: ReaderFactory | None = None
    """Reads a Markdown ```json block that holds no marker as a call (Hermes models write one after a
    sentence of prose) when it names offered tools; any other block stays a code block."""
