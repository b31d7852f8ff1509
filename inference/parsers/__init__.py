"""Tool-call and reasoning parsers for local models' raw output, one-shot and streaming, and the
inverse rendering. `get_parser(name)` for a format; `detect_format(template, metadata)` to pick one.
"""

from __future__ import annotations

from inference.parsers._detect import detect_format
from inference.parsers._registry import FormatParser, available_formats, get_parser
from inference.parsers._types import (
    ContentDelta,
    Delta,
    ParsedTurn,
    ReasoningDelta,
    ToolCallDelta,
    ToolCallParser,
    TurnStream,
)

__all__ = [
    "ContentDelta",
    "Delta",
    "FormatParser",
    "ParsedTurn",
    "ReasoningDelta",
    "ToolCallDelta",
    "ToolCallParser",
    "TurnStream",
    "available_formats",
    "detect_format",
    "get_parser",
]
