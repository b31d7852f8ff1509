"""Shared helpers for the parser tests: hypothesis settings, turn comparison, streaming a text."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from hypothesis import HealthCheck, settings

from inference.parsers import ContentDelta, Delta, ParsedTurn, ReasoningDelta, ToolCallDelta, get_parser

PROPERTY = settings(
    max_examples=int(os.environ.get("PARSERS_MAX_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Settings for these tests only, so the directory stays under a minute; PARSERS_MAX_EXAMPLES=400 digs
deeper. (A profile loaded here would change every other package's hypothesis tests too.)"""


def comparable(turn: ParsedTurn, *, ids: bool) -> tuple[object, ...]:
    """A turn as a comparable value. Ids are compared only for formats that carry them: the others get
    fresh generated ids on every parse, so comparing those would compare random numbers."""
    calls = tuple((c.id if ids else "", c.name, _frozen(c.arguments)) for c in turn.tool_calls)
    return (turn.content, turn.reasoning, calls)


def _frozen(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return (type(value) is bool, value)


def stream_text(fmt: str, chunks: Iterable[str], *, thinking_open: bool = False) -> tuple[ParsedTurn, list[Delta]]:
    stream = get_parser(fmt, thinking_open=thinking_open).stream()
    deltas: list[Delta] = []
    for chunk in chunks:
        deltas.extend(stream.feed(chunk))
    deltas.extend(stream.close())
    return stream.finish(), deltas


def split_at(text: str, cuts: Sequence[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in zip(points, points[1:], strict=False)]


def joined(deltas: Iterable[Delta], kind: type[ContentDelta] | type[ReasoningDelta]) -> str:
    return "".join(d.text for d in deltas if isinstance(d, kind))


def call_deltas(deltas: Iterable[Delta]) -> list[ToolCallDelta]:
    return [d for d in deltas if isinstance(d, ToolCallDelta)]
