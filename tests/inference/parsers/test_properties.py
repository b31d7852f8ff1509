"""Properties over all formats: parse never raises, any chunking streams to the one-shot result, the
deltas add up, no delta carries a piece of a marker, and render/parse round-trips."""

from __future__ import annotations

import keyword
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.parsers import ContentDelta, ParsedTurn, ReasoningDelta, available_formats, get_parser
from tests.inference.parsers.cases import ALL_CASES
from tests.inference.parsers.helpers import PROPERTY, call_deltas, comparable, joined, split_at, stream_text
from tools import ToolCall, new_call_id

FORMATS = available_formats()
_ALL_MARKERS = sorted({m for f in FORMATS for m in get_parser(f).markers} - {""})
_SNIPPETS = [
    '{"name": "f", "arguments": {"a": 1}}',
    "[f(a=1)]",
    '{"a": [1, {"b": "}"}]}',
    "```json\n",
    "```",
    "`",
    "\n",
    " ",
    "call:f{a:1}",
    "<function=f>",
    "<parameter=a>",
    "all\n",
    ">>>",
    '"',
    "'",
    "\\",
    "<|message|>",
    "functools",
    "Here is my thought process:",
    "<escape>",
    '<|"|>',
]
_SOUP = st.lists(
    st.one_of(st.sampled_from(_ALL_MARKERS), st.sampled_from(_SNIPPETS), st.text(max_size=6)), max_size=25
).map("".join)
_CUTS = st.lists(st.integers(min_value=0, max_value=10_000), max_size=30)


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(text=st.one_of(st.text(), _SOUP), thinking_open=st.booleans(), cuts=_CUTS)
def test_parse_never_raises_and_chunking_does_not_matter(
    fmt: str, text: str, thinking_open: bool, cuts: list[int]
) -> None:
    one_shot = get_parser(fmt, thinking_open=thinking_open).parse(text)
    turn, deltas = stream_text(fmt, split_at(text, cuts), thinking_open=thinking_open)
    assert comparable(turn, ids=False) == comparable(one_shot, ids=False)
    assert joined(deltas, ContentDelta) == (turn.content or "")
    assert joined(deltas, ReasoningDelta) == (turn.reasoning or "")
    assert [d.call.name for d in call_deltas(deltas)] == [c.name for c in turn.tool_calls]


_POSITIVE = [case for case in ALL_CASES if case.calls or case.reasoning]


@pytest.mark.parametrize("case", _POSITIVE, ids=lambda case: case.id)
@PROPERTY
@given(cuts=_CUTS)
def test_table_texts_stream_the_same_in_any_chunks(case: Any, cuts: list[int]) -> None:
    one_shot = get_parser(case.fmt, thinking_open=case.thinking_open).parse(case.text)
    turn, deltas = stream_text(case.fmt, split_at(case.text, cuts), thinking_open=case.thinking_open)
    assert comparable(turn, ids=False) == comparable(one_shot, ids=False)
    assert joined(deltas, ContentDelta) == (turn.content or "")
    markers = get_parser(case.fmt).markers
    for delta in deltas:
        if isinstance(delta, (ContentDelta, ReasoningDelta)):
            final = (turn.content if isinstance(delta, ContentDelta) else turn.reasoning) or ""
            for marker in markers:
                for size in range(2, len(marker) + 1):
                    fragment = marker[:size]
                    assert fragment not in delta.text or fragment in final, (delta, marker)


# -- render / parse ------------------------------------------------------------------------------

_SAFE = st.characters(
    codec="utf-8",
    exclude_characters="<>[]{}()`|;,:=\\\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    exclude_categories=("Cs", "Cc", "Zl", "Zp"),
)
_TEXT = st.text(_SAFE, min_size=1, max_size=30).map(str.strip).filter(lambda s: s[:1].isalpha())
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))
_STRING = st.text(st.characters(codec="utf-8", exclude_characters="<\r", exclude_categories=("Cs",)), max_size=12)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    _STRING,
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_NAME, inner, max_size=3)),
    max_leaves=6,
)
_ARGS = st.dictionaries(_NAME, _VALUE, max_size=4)


@st.composite
def turns(draw: st.DrawFn, fmt: str) -> ParsedTurn:
    parser = get_parser(fmt)
    calls = []
    for index in range(draw(st.integers(0, 3))):
        name = draw(_NAME)
        call_id = f"functions.{name}:{index}" if fmt == "kimi_k2" else new_call_id()
        calls.append(ToolCall(id=call_id, name=name, arguments=draw(_ARGS)))
    reasoning = draw(st.none() | _TEXT) if parser.has_reasoning else None
    return ParsedTurn(content=draw(st.none() | _TEXT), reasoning=reasoning, tool_calls=calls)


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.data())
def test_render_then_parse_round_trips(fmt: str, data: st.DataObject) -> None:
    """Ids round-trip where the format writes them; elsewhere parsing generates fresh ones."""
    parser = get_parser(fmt)
    turn = data.draw(turns(fmt))
    text = parser.render(turn)
    assert comparable(parser.parse(text), ids=parser.carries_ids) == comparable(turn, ids=parser.carries_ids)
    streamed, _ = stream_text(fmt, split_at(text, data.draw(_CUTS)))
    assert comparable(streamed, ids=parser.carries_ids) == comparable(turn, ids=parser.carries_ids)
