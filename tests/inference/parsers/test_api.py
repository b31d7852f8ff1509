"""The public surface: names, protocols, deltas, errors, tool-result rendering, and the lenient decoder."""

from __future__ import annotations

import dataclasses

import pytest

from inference.parsers import (
    ContentDelta,
    ParsedTurn,
    ReasoningDelta,
    ToolCallDelta,
    ToolCallParser,
    TurnStream,
    available_formats,
    get_parser,
)
from inference.parsers._decode import loads_lenient, pythonic_calls, typed_value
from tools import ToolCall

ISSUE_FORMATS = (
    "hermes qwen3_coder llama3_json llama3_builtin llama4_pythonic pythonic mistral_v3 mistral_v11 magistral "
    "gpt_oss deepseek_r1 deepseek_v3_1 granite granite_thought kimi_k2 functiongemma gemma3_prompted gemma4 "
    "functionary_v3_1 functionary_v3_2 firefunction_v2 command_r7b phi4_mini apertus glm45 smollm2 smollm3 "
    "minimax_m2 seed_oss nemotron_v2 lfm2 xlam generic"
).split()
ISSUE_16_FORMATS = "deepseek_v3_2 deepseek_v4 deepseek_v4_1 kimi_k3".split()
"""The families issue 16 added: DeepSeek's DSML (V3.2, V4, V4.1) and Kimi K3's XTML."""


def test_the_issue_formats_exist() -> None:
    assert sorted(ISSUE_FORMATS + ISSUE_16_FORMATS) == available_formats()


def test_unknown_format_is_a_developer_error() -> None:
    with pytest.raises(ValueError, match="'nope' is not one of"):
        get_parser("nope")


@pytest.mark.parametrize("fmt", available_formats())
def test_parsers_and_streams_meet_the_protocols(fmt: str) -> None:
    parser = get_parser(fmt, thinking_open=True)
    assert isinstance(parser, ToolCallParser)
    assert parser.format == fmt and parser.thinking_open
    assert isinstance(parser.stream(), TurnStream)


@pytest.mark.parametrize("fmt", available_formats())
def test_tool_results_carry_the_content(fmt: str) -> None:
    call = ToolCall(id="a1B2c3D4e", name="get_weather", arguments={"city": "Paris"})
    assert "sunny, 21 C" in get_parser(fmt).render_tool_result(call, "sunny, 21 C")


def test_tool_results_in_the_family_framing() -> None:
    call = ToolCall(id="a1B2c3D4e", name="get_weather", arguments={})
    assert get_parser("hermes").render_tool_result(call, "ok") == "<tool_response>\nok\n</tool_response>"
    mistral = get_parser("mistral_v3").render_tool_result(call, 'say "hi"')
    assert mistral == '[TOOL_RESULTS]{"content": "say \\"hi\\"", "call_id": "a1B2c3D4e"}[/TOOL_RESULTS]'
    assert get_parser("kimi_k2").render_tool_result(call, "ok") == "## Return of a1B2c3D4e\nok"


def test_deltas_are_frozen_keyword_only_values() -> None:
    delta = ContentDelta(text="hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delta.text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ContentDelta("hi")  # type: ignore[misc]
    assert delta == ContentDelta(text="hi") and ReasoningDelta(text="hi") != delta


def test_a_stream_reports_calls_whole_with_their_arguments() -> None:
    stream = get_parser("hermes").stream()
    deltas = []
    for chunk in ['<tool_call>{"name": "f", ', '"arguments": {"a": [1, 2]}}</tool', "_call>Done"]:
        deltas += stream.feed(chunk)
    deltas += stream.close()
    (call,) = [d for d in deltas if isinstance(d, ToolCallDelta)]
    assert call.index == 0 and call.call.name == "f" and call.call.arguments == {"a": [1, 2]}
    assert [d.text for d in deltas if isinstance(d, ContentDelta)] == ["Done"]
    assert stream.finish() == ParsedTurn(
        content="Done", tool_calls=[ToolCall(id=call.call.id, name="f", arguments={"a": [1, 2]})]
    )


def test_held_back_marker_prefix_is_released_when_ruled_out() -> None:
    stream = get_parser("hermes").stream()
    assert [d.text for d in stream.feed("a <tool")] == ["a"]
    assert [d.text for d in stream.feed("box> b")] == [" <toolbox> b"]


def test_feed_after_close_is_an_error() -> None:
    stream = get_parser("hermes").stream()
    stream.close()
    assert stream.close() == []
    with pytest.raises(RuntimeError):
        stream.feed("x")


def test_render_refuses_what_the_format_cannot_carry() -> None:
    with pytest.raises(ValueError, match="cannot be written as a Python keyword"):
        get_parser("pythonic").render(ParsedTurn(tool_calls=[ToolCall(id="x", name="f", arguments={"a-b": 1})]))
    with pytest.raises(ValueError, match="escape token"):
        get_parser("functiongemma").render(
            ParsedTurn(tool_calls=[ToolCall(id="x", name="f", arguments={"s": "<escape>"})])
        )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('{"a": 1,}', {"a": 1}),
        ("{'a': True, 'b': None}", {"a": True, "b": None}),
        ("{'a': true, 'b': null}", {"a": True, "b": None}),
        ('{"p": "C:\\Users\\me"}', {"p": "C:\\Users\\me"}),
        ('{"re": "\\d+"}', {"re": "\\d+"}),
        ('{"s": "line\nbreak"}', {"s": "line\nbreak"}),
        ('{\\"q\\": \\"x\\"}', {"q": "x"}),
        ("{'s': \"it's\"}", {"s": "it's"}),
    ],
)
def test_lenient_json(text: str, value: object) -> None:
    assert loads_lenient(text) == value


@pytest.mark.parametrize("text", ['{"a": "unterminated', '{"a": "x" "b"}', "not json", ""])
def test_lenient_json_refuses_what_is_ambiguous(text: str) -> None:
    with pytest.raises(ValueError):
        loads_lenient(text)


def test_untyped_values_follow_llama_cpp() -> None:
    assert [typed_value(v) for v in ("30", " true ", "01234", "x y", '"q"', "[1]")] == [
        30,
        True,
        "01234",
        "x y",
        "q",
        [1],
    ]


def test_pythonic_calls_accept_literals_only() -> None:
    (call,) = pythonic_calls("[f(a=-1, b=[True, None], c={'k': 2.5})]") or []
    assert call.arguments == {"a": -1, "b": [True, None], "c": {"k": 2.5}}
    assert pythonic_calls("[f(a=x)]") is None
    assert pythonic_calls("[f(1)]") is None
    assert pythonic_calls("[]") is None
