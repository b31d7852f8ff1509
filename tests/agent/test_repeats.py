"""The repeat guard: an exact repeat is answered from the first call's result, and the run is told to stop."""

from __future__ import annotations

from typing import Any

import pytest

from agent.repeats import RepeatGuard, canonical_arguments
from tools import ToolCall, ToolResult


def _call(id_: str, name: str = "get_time", **arguments: Any) -> ToolCall:
    return ToolCall(id=id_, name=name, arguments=arguments)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"x": 2.0}, {"x": 2}, True),
        ({"x": {"q": [1, 2.0]}}, {"x": {"q": [1.0, 2]}}, True),
        ({"x": [1, 2]}, {"x": [2, 1]}, False),
        ({"x": "1"}, {"x": 1}, False),
        ({"x": True}, {"x": 1}, False),
        ({"x": 0.5}, {"x": 0.50}, True),
        ({"city": "Zürich"}, {"city": "Zu\u0308rich"}, False),  # no Unicode normalization: a different string
        ({}, {}, True),
    ],
)
def test_canonical_arguments(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    assert (canonical_arguments(a) == canonical_arguments(b)) is same


def test_a_new_call_is_let_through_and_a_repeat_is_answered_with_the_earlier_result() -> None:
    guard = RepeatGuard()
    first = _call("aaaaaaaa1", city="Tokyo")
    assert guard.seen(first) is None
    guard.record(first, ToolResult.from_text("14:05 in Tokyo"))
    assert not guard.exhausted and guard.repeats == 0

    reply = guard.seen(_call("bbbbbbbb2", city="Tokyo"))
    assert reply is not None and reply.is_error
    assert "already called get_time with exactly these arguments" in reply.text
    assert "It returned this result:\n14:05 in Tokyo\n" in reply.text
    assert "final answer" in reply.text
    assert guard.repeats == 1 and guard.exhausted


@pytest.mark.parametrize(
    ("second", "caught"),
    [
        (_call("x2", city="Tokyo"), True),
        (_call("x2", name="get_time", city="Paris"), False),
        (_call("x2", name="get_date", city="Tokyo"), False),
        (_call("x2"), False),
    ],
)
def test_only_same_name_and_same_arguments_is_a_repeat(second: ToolCall, caught: bool) -> None:
    guard = RepeatGuard()
    first = _call("x1", city="Tokyo")
    guard.seen(first)
    guard.record(first, ToolResult.from_text("ok"))
    assert (guard.seen(second) is not None) is caught


def test_exhausted_after_max_repeats() -> None:
    guard = RepeatGuard(max_repeats=3)
    call = _call("c0")
    guard.seen(call)
    guard.record(call, ToolResult.from_text("now"))
    for n in range(1, 4):
        assert not guard.exhausted
        assert guard.seen(_call(f"c{n}")) is not None
        assert guard.repeats == n
    assert guard.exhausted


def test_an_earlier_error_is_quoted_as_an_error() -> None:
    guard = RepeatGuard()
    call = _call("e1", path="/nope")
    guard.seen(call)
    guard.record(call, ToolResult.from_text("no such file", is_error=True))
    reply = guard.seen(_call("e2", path="/nope"))
    assert reply is not None and "It returned an error:\nno such file" in reply.text


def test_the_same_call_twice_in_one_turn_points_at_the_other_reply() -> None:
    guard = RepeatGuard()
    assert guard.seen(_call("turnA0001")) is None  # still running when its twin arrives
    reply = guard.seen(_call("turnB0002"))
    assert reply is not None and reply.is_error
    assert "Its result is in the reply to call turnA0001." in reply.text


def test_recording_the_guards_own_reply_keeps_the_first_result() -> None:
    guard = RepeatGuard(max_repeats=5)
    first, second, third = _call("r1"), _call("r2"), _call("r3")
    guard.seen(first)
    twin = guard.seen(second)  # caught before the first finished
    assert twin is not None
    guard.record(second, twin)
    guard.record(first, ToolResult.from_text("12:00"))
    reply = guard.seen(third)
    assert reply is not None and "It returned this result:\n12:00\n" in reply.text


def test_a_long_earlier_result_is_truncated() -> None:
    guard = RepeatGuard(max_result_chars=100)
    call = _call("l1")
    guard.seen(call)
    guard.record(call, ToolResult.from_text("x" * 5000))
    reply = guard.seen(_call("l2"))
    assert reply is not None
    assert "x" * 100 + "[... 4900 more characters ...]" in reply.text
    assert "x" * 101 not in reply.text


def test_record_without_seen_is_remembered() -> None:
    guard = RepeatGuard()
    guard.record(_call("p1", q="a"), ToolResult.from_text("A"))
    reply = guard.seen(_call("p2", q="a"))
    assert reply is not None and "\nA\n" in reply.text


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"max_repeats": 0}, "max_repeats"), ({"max_result_chars": -1}, "max_result_chars")]
)
def test_bad_settings_are_rejected(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RepeatGuard(**kwargs)
