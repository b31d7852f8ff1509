"""Conversations exported to JSON and imported again: exact round trips, strict reading, atomic files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.session import FORMAT, VERSION, SessionError, export_conversation, import_conversation, load, save
from inference import Message
from tools import ToolCall

CONVERSATION = [
    Message(role="system", content="You are terse."),
    Message(role="user", content="Weather in Zürich, and 2+2?"),
    Message(
        role="assistant",
        reasoning="Two tools.",
        tool_calls=(
            ToolCall(id="aB3dE5gH7", name="weather_now", arguments={"city": "Zürich", "days": 1}),
            ToolCall(id="Zz9yY8xX7", name="calc", arguments={"expr": "2+2", "opts": {"exact": True, "x": None}}),
        ),
    ),
    Message(role="tool", content='{"temp":21.5}', tool_call_id="aB3dE5gH7", name="weather_now"),
    Message(role="tool", content="4", tool_call_id="Zz9yY8xX7", name="calc"),
    Message(role="assistant", content="21.5 °C; 4.", reasoning=""),
]

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_calls = st.builds(
    ToolCall,
    id=st.text(min_size=1, max_size=9),
    name=st.text(min_size=1, max_size=20),
    arguments=st.dictionaries(st.text(max_size=8), _json, max_size=4),
)
_messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=st.none() | st.text(),
    reasoning=st.none() | st.text(max_size=20),
    tool_calls=st.lists(_calls, max_size=3).map(tuple),
    tool_call_id=st.none() | st.text(max_size=9),
    name=st.none() | st.text(max_size=20),
)


def test_round_trip_of_a_real_conversation() -> None:
    text = export_conversation(CONVERSATION, meta={"model": "smollm2-135m", "rounds": 2})
    assert import_conversation(text) == (CONVERSATION, {"model": "smollm2-135m", "rounds": 2})


def test_the_format_is_readable_json() -> None:
    data = json.loads(export_conversation(CONVERSATION[2:4]))
    assert data == {
        "format": FORMAT,
        "version": VERSION,
        "meta": {},
        "messages": [
            {
                "role": "assistant",
                "reasoning": "Two tools.",
                "tool_calls": [
                    {"id": "aB3dE5gH7", "name": "weather_now", "arguments": {"city": "Zürich", "days": 1}},
                    {
                        "id": "Zz9yY8xX7",
                        "name": "calc",
                        "arguments": {"expr": "2+2", "opts": {"exact": True, "x": None}},
                    },
                ],
            },
            {"role": "tool", "content": '{"temp":21.5}', "tool_call_id": "aB3dE5gH7", "name": "weather_now"},
        ],
    }
    assert "Zürich" in export_conversation(CONVERSATION)  # not \\u-escaped


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(_messages, max_size=6), meta=st.dictionaries(st.text(max_size=5), _json, max_size=3))
def test_round_trip_is_exact(messages: list[Message], meta: dict[str, Any]) -> None:
    assert import_conversation(export_conversation(messages, meta=meta)) == (messages, meta)


def _doc(*messages: Any, **top: Any) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "messages": list(messages), **top})


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("{", ["not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"]),
        ("[]", ["conversation: expected an object"]),
        (
            json.dumps({"format": "other", "version": 1, "messages": []}),
            ["format: 'other' is not one of 'mcpagent.conversation'"],
        ),
        (
            json.dumps({"format": FORMAT, "version": 2, "messages": []}),
            ["version: 2 is not supported (this build reads 1)"],
        ),
        (json.dumps({"format": FORMAT, "messages": []}), ["version: required field missing"]),
        (_doc(extra=1), ["extra: unknown field"]),
        (_doc({"role": "user", "content": 5}), ["messages[0].content: expected a string"]),
        (_doc({"role": "bot"}), ["messages[0].role: 'bot' is not one of 'system', 'user', 'assistant' or 'tool'"]),
        (_doc({"content": "hi"}), ["messages[0].role: required field missing"]),
        (_doc({"role": "user", "text": "hi"}), ["messages[0].text: unknown field"]),
        (
            _doc(
                {"role": "user"},
                {"role": "user"},
                {"role": "user"},
                {"role": "assistant", "tool_calls": [{"id": "a", "name": "f", "arguments": "{}"}]},
            ),
            ["messages[3].tool_calls[0].arguments: expected an object"],
        ),
        (_doc({"role": "assistant", "tool_calls": {"id": "a"}}), ["messages[0].tool_calls: expected an array"]),
        (
            _doc({"role": "assistant", "tool_calls": [{"name": 3, "arguments": {}}]}),
            [
                "messages[0].tool_calls[0].id: required field missing",
                "messages[0].tool_calls[0].name: expected a string",
            ],
        ),
        (_doc(meta=[1]), ["meta: expected an object"]),
        (
            json.dumps({"format": FORMAT, "version": "1", "messages": []}),
            ["version: '1' is not supported (this build reads 1)"],
        ),
        (
            json.dumps({"format": FORMAT, "version": True, "messages": []}),
            ["version: True is not supported (this build reads 1)"],
        ),
    ],
)
def test_bad_input_names_the_place(text: str, problems: list[str]) -> None:
    with pytest.raises(SessionError) as caught:
        import_conversation(text)
    assert list(caught.value.problems) == problems
    assert str(caught.value) == "invalid conversation: " + "; ".join(problems)
    assert isinstance(caught.value, ValueError)


def test_many_problems_are_capped() -> None:
    with pytest.raises(SessionError) as caught:
        import_conversation(_doc(*({"role": "x"} for _ in range(30))))
    assert len(caught.value.problems) == 11 and caught.value.problems[-1] == "and 20 more problems"


@pytest.mark.parametrize(
    ("messages", "meta"),
    [
        ([Message(role="assistant", tool_calls=(ToolCall(id="a", name="f", arguments={"x": float("nan")}),))], None),
        (CONVERSATION, {"when": object()}),
    ],
)
def test_values_json_cannot_hold_are_refused_on_export(messages: list[Message], meta: dict[str, Any] | None) -> None:
    with pytest.raises(SessionError, match="cannot be written as JSON"):
        export_conversation(messages, meta=meta)


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    save(path, CONVERSATION, meta={"title": "demo"})
    assert load(path) == (CONVERSATION, {"title": "demo"})
    save(str(path), CONVERSATION[:2])  # overwrite, a str path
    assert load(str(path)) == (CONVERSATION[:2], {})
    assert sorted(os.listdir(tmp_path)) == ["chat.json"]  # no temporary file left behind


def test_save_keeps_a_lone_surrogate(tmp_path: Path) -> None:
    messages = [Message(role="tool", content="bad \udcff byte", tool_call_id="a", name="f")]
    save(tmp_path / "s.json", messages)
    assert load(tmp_path / "s.json") == (messages, {})


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    save(path, CONVERSATION)
    before = path.read_bytes()
    with pytest.raises(SessionError):
        save(path, CONVERSATION, meta={"x": float("inf")})
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["chat.json"]


def test_save_into_a_missing_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        save(tmp_path / "nope" / "chat.json", CONVERSATION)


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(_doc({"role": "user", "content": 1}), encoding="utf-8")
    with pytest.raises(SessionError, match=r"broken\.json: messages\[0\]\.content: expected a string"):
        load(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(SessionError, match=r"broken\.json: not UTF-8 text"):
        load(path)
