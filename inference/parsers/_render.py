"""Rendering turns back into a family's raw text (the inverse of parsing), and shared call builders.

A `Layout` places reasoning, content and calls; each format supplies how its calls are written.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inference.parsers._decode import (
    calls_by,
    calls_from_values,
    decode_all,
    make_call,
    python_literal_source,
    pythonic_calls,
)
from inference.parsers._types import ParsedTurn
from tools import ToolCall

CallWriter = Callable[[Sequence[ToolCall]], str]


def dump(value: Any) -> str:
    """Compact-ish JSON as models write it (`", "` and `": "` separators, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False)


def call_object(call: ToolCall, *, args_key: str = "arguments", with_id: bool = False) -> dict[str, Any]:
    obj: dict[str, Any] = {"name": call.name, args_key: call.arguments}
    if with_id:
        obj["id"] = call.id
    return obj


def json_list(*, args_key: str = "arguments", with_id: bool = False) -> CallWriter:
    """Calls as one JSON array of `{"name", args_key}` objects."""
    return lambda calls: dump([call_object(c, args_key=args_key, with_id=with_id) for c in calls])


def wrapped(writer: CallWriter, before: str, after: str = "") -> CallWriter:
    return lambda calls: before + writer(calls) + after


def each(write_one: Callable[[ToolCall], str], sep: str = "\n") -> CallWriter:
    return lambda calls: sep.join(write_one(c) for c in calls)


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Where reasoning, content and calls go in one assistant message."""

    calls: CallWriter
    think: tuple[str, str] | None = None
    content: tuple[str, str] = ("", "")
    calls_first: bool = False
    sep: str = "\n"

    def __call__(self, turn: ParsedTurn) -> str:
        head = ""
        if self.think is not None and turn.reasoning:
            head = self.think[0] + turn.reasoning + self.think[1]
        content = self.content[0] + turn.content + self.content[1] if turn.content else ""
        calls = self.calls(turn.tool_calls) if turn.tool_calls else ""
        body = [calls, content] if self.calls_first else [content, calls]
        return head + self.sep.join(part for part in body if part)


@dataclass(frozen=True, slots=True)
class Template:
    """A tool-result body: `{content}`, `{name}`, `{id}` and `{content_json}` are filled in."""

    text: str

    def __call__(self, call: ToolCall, content: str) -> str:
        return self.text.format(content=content, name=call.name, id=call.id, content_json=dump(content))


THINK = ("<think>\n", "\n</think>\n\n")
TOOL_RESPONSE = Template("<tool_response>\n{content}\n</tool_response>")
PLAIN = Template("{content}")


def items_build(
    to_call: Callable[[Any], ToolCall | None],
) -> Callable[[list[str], re.Match[str] | None], list[ToolCall] | None]:
    """A build reading JSON values whose items (or list items) `to_call` turns into calls."""

    def build(texts: list[str], _header: re.Match[str] | None) -> list[ToolCall] | None:
        values = decode_all(texts)
        return None if values is None else calls_by(values, to_call)

    return build


def openai_build(texts: list[str], _header: re.Match[str] | None = None) -> list[ToolCall] | None:
    """Calls from JSON values that are call objects or lists of them."""
    values = decode_all(texts)
    return None if values is None else calls_from_values(values)


def nonempty(
    build: Callable[[list[str], re.Match[str] | None], list[ToolCall] | None],
) -> Callable[[list[str], re.Match[str] | None], list[ToolCall] | None]:
    """The same build, where an empty result is no call (`[]` at the start of a reply is just text)."""

    def strict(texts: list[str], header: re.Match[str] | None) -> list[ToolCall] | None:
        return build(texts, header) or None

    return strict


def header_build(texts: list[str], header: re.Match[str] | None) -> list[ToolCall] | None:
    """One call whose name (and id) came from the header and whose arguments are the single value."""
    values = decode_all(texts)
    if values is None or len(values) != 1 or header is None:
        return None
    groups = header.groupdict()
    call = make_call(groups.get("name"), values[0], groups.get("id"))
    return None if call is None else [call]


def pythonic_build(texts: list[str], _header: re.Match[str] | None = None) -> list[ToolCall] | None:
    """Calls from Python call expressions or lists of them; a JSON object/array text is read as JSON calls."""
    calls: list[ToolCall] = []
    for text in texts:
        found = pythonic_calls(text)
        if found is None and text.lstrip()[:1] in ("{", "["):
            found = openai_build([text])
        if not found:
            return None
        calls.extend(found)
    return calls


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def python_call(call: ToolCall) -> str:
    """`name(key=literal, ...)`.

    Raises:
        ValueError: the name or an argument key is not a Python identifier.
    """
    if not _IDENTIFIER.fullmatch(call.name):
        raise ValueError(f"tool name {call.name!r} cannot be written as a Python call")
    for key in call.arguments:
        if not key.isidentifier() or keyword.iskeyword(key):
            raise ValueError(f"argument {key!r} of {call.name!r} cannot be written as a Python keyword")
    args = ", ".join(f"{k}={python_literal_source(v)}" for k, v in call.arguments.items())
    return f"{call.name}({args})"


def python_list(calls: Sequence[ToolCall]) -> str:
    return "[" + ", ".join(python_call(c) for c in calls) + "]"


def check_plain(text: str, what: str, forbidden: str = "<>\"'=\n") -> str:
    """A name or key written bare inside markup.

    Raises:
        ValueError: it is empty or holds a character the markup cannot carry.
    """
    if not text or any(c in forbidden for c in text) or text != text.strip():
        raise ValueError(f"{what} {text!r} cannot be written in this format")
    return text
