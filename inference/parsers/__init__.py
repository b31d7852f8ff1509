"""Tool-call and reasoning parsers for local models' raw output, one-shot and streaming, and the
inverse rendering.

    parser = get_parser(detect_format(template, metadata), tools=tools).following(prompt)
    turn = parser.parse(text)                     # ParsedTurn(content, reasoning, tool_calls, cut)
    stream = parser.stream()
    for chunk in chunks:
        for delta in stream.feed(chunk): ...      # TextDelta | ReasoningDelta | ToolCallDelta (inference's)
    for delta in stream.close(): ...              # what end of output releases
    turn = stream.finish()                        # the same turn `parse` gives for the whole text

Conventions: content and reasoning are stripped (None when blank; reasoning blocks joined by a
newline); end-of-turn tokens never reach content; a call is reported once it is complete (a call the
output ends inside is `cut`: neither a call nor content); untyped values (XML families) are typed by
the offered tool's schema; ids the model wrote are kept, missing ones are
`tools.new_call_id()`; `render(turn)` writes a turn back so that `parse(render(turn)) == turn`
(ids compared only where the format writes them).
"""

from __future__ import annotations

from inference._types import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from inference.parsers._detect import detect_format
from inference.parsers._registry import FormatParser, available_formats, get_parser
from inference.parsers._types import ParsedTurn, ToolCallParser, TurnStream

ContentDelta = TextDelta
"""The parsers' earlier name for `inference.TextDelta` (one class: this is an alias)."""

__all__ = [
    "ContentDelta",
    "Delta",
    "FormatParser",
    "ParsedTurn",
    "ReasoningDelta",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallParser",
    "TurnStream",
    "available_formats",
    "detect_format",
    "get_parser",
]
