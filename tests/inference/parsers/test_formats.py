"""Every format against its table of real and malformed outputs, one-shot and streamed."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from inference.parsers import ContentDelta, ReasoningDelta, available_formats, get_parser
from tests.inference.parsers.cases import ALL_CASES, Case
from tests.inference.parsers.helpers import call_deltas, comparable, joined, stream_text

_GENERATED_ID = re.compile(r"[A-Za-z0-9]{9}")


def test_every_format_has_five_cases() -> None:
    counts = Counter(case.fmt for case in ALL_CASES)
    assert set(counts) == set(available_formats())
    assert min(counts.values()) >= 5, counts


def _check(case: Case, turn: object) -> None:
    assert turn.content == case.content  # type: ignore[attr-defined]
    assert turn.reasoning == case.reasoning  # type: ignore[attr-defined]
    calls = turn.tool_calls  # type: ignore[attr-defined]
    assert [(c.name, c.arguments) for c in calls] == [call[:2] for call in case.calls]
    for call, expected in zip(calls, case.calls, strict=True):
        if len(expected) == 3:
            assert call.id == expected[2]
        else:
            assert _GENERATED_ID.fullmatch(call.id), call.id


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_parse(case: Case) -> None:
    _check(case, get_parser(case.fmt, thinking_open=case.thinking_open).parse(case.text))


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_stream_char_by_char(case: Case) -> None:
    turn, deltas = stream_text(case.fmt, list(case.text), thinking_open=case.thinking_open)
    _check(case, turn)
    one_shot = get_parser(case.fmt, thinking_open=case.thinking_open).parse(case.text)
    assert comparable(turn, ids=False) == comparable(one_shot, ids=False)  # generated ids differ; _check saw ids
    assert joined(deltas, ContentDelta) == (turn.content or "")
    assert joined(deltas, ReasoningDelta) == (turn.reasoning or "")
    sent = [(d.index, d.call.id, d.call.name) for d in call_deltas(deltas)]
    assert sent == [(i, c.id, c.name) for i, c in enumerate(turn.tool_calls)]
