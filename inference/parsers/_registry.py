"""The parser objects and the table of formats by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference.parsers import (
    _fmt_bare,
    _fmt_gemma,
    _fmt_markup,
    _fmt_mistral,
    _fmt_tagged,
    _fmt_tokens,
    _fmt_xml,
)
from inference.parsers._machine import FormatStream
from inference.parsers._spec import FormatSpec
from inference.parsers._tables import tables_for
from inference.parsers._types import ParsedTurn
from tools import ToolCall, ToolSpec

_SPECS: Mapping[str, FormatSpec] = {
    spec.name: spec
    for module in (_fmt_tagged, _fmt_bare, _fmt_mistral, _fmt_tokens, _fmt_xml, _fmt_gemma, _fmt_markup)
    for spec in module.SPECS
}


class FormatParser:
    """A `ToolCallParser` for one format. Cheap to make; holds no per-turn state."""

    __slots__ = ("_spec", "_thinking_open", "_tools", "_schemas")

    def __init__(self, spec: FormatSpec, *, thinking_open: bool = False, tools: Sequence[ToolSpec] = ()) -> None:
        self._spec = spec
        self._thinking_open = thinking_open
        self._tools = tuple(tools)
        self._schemas: Mapping[str, Mapping[str, Any]] = {t.name: t.input_schema for t in tools}

    def __repr__(self) -> str:
        return f"FormatParser({self._spec.name!r}, thinking_open={self._thinking_open})"

    @property
    def format(self) -> str:
        return self._spec.name

    @property
    def thinking_open(self) -> bool:
        return self._thinking_open

    def following(self, prompt: str) -> FormatParser:
        """This parser for the output that follows `prompt`: `thinking_open` when the prompt ends inside an
        opened reasoning block (generation prompts of GLM 4.7/5, Kimi K2.6, Qwen3 thinking templates)."""
        tail = prompt.rstrip()
        opened = any(tail.endswith(o) for block in self._spec.reasoning if not block.at_start for o in block.open)
        return FormatParser(self._spec, thinking_open=opened, tools=self._tools)

    @property
    def carries_ids(self) -> bool:
        """Whether the format writes call ids (else ids are generated on every parse)."""
        return self._spec.carries_ids

    @property
    def has_reasoning(self) -> bool:
        """Whether the format has reasoning markers (else `render` drops a turn's reasoning)."""
        return bool(self._spec.reasoning)

    @property
    def markers(self) -> frozenset[str]:
        """Every literal the format treats as a marker (openers, reasoning tags, end-of-turn tokens)."""
        spec = self._spec
        found = {o.marker for o in spec.openers if not o.at_start} | set(spec.end_tokens + spec.stop_tokens + spec.drop)
        for block in spec.reasoning:
            found |= set(block.open) | set(block.close)
        return frozenset(found)

    def parse(self, text: str) -> ParsedTurn:
        stream = FormatStream(
            tables_for(self._spec), thinking_open=self._thinking_open, collect=False, schemas=self._schemas
        )
        stream.feed(text)
        return stream.finish()

    def stream(self) -> FormatStream:
        return FormatStream(tables_for(self._spec), thinking_open=self._thinking_open, schemas=self._schemas)

    def render(self, turn: ParsedTurn) -> str:
        """Raises ValueError when a name or argument cannot be written in this format."""
        return self._spec.render(turn)

    def render_tool_result(self, call: ToolCall, content: str) -> str:
        return self._spec.tool_result(call, content)


def available_formats() -> list[str]:
    """The names `get_parser` accepts, sorted."""
    return sorted(_SPECS)


def get_parser(name: str, *, thinking_open: bool = False, tools: Sequence[ToolSpec] = ()) -> FormatParser:
    """The parser for one format.

    Args:
        name: a format name from `available_formats()` (e.g. "hermes", "mistral_v11").
        thinking_open: the rendered prompt ended inside an opened thinking block (`<think>\\n`), so
            the output starts with reasoning (`FormatParser.following(prompt)` decides it from the prompt).
        tools: the offered tools: arguments written as untyped text (XML families) are typed by their schema.

    Raises:
        ValueError: unknown format name.
    """
    spec = _SPECS.get(name)
    if spec is None:
        raise ValueError(f"format: {name!r} is not one of {', '.join(available_formats())}")
    return FormatParser(spec, thinking_open=thinking_open, tools=tools)
