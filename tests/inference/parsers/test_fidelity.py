"""What a parser must not do to what the model wrote: run a call the output ended inside, leak half-written
markup, end a value at marker text inside it, guess a type the tool's schema fixes, strip whitespace that
is data; the lenient readings real models need, and their reverse. Each case is parsed whole and streamed
one character at a time, with the tools and the generation prompt the runtime gives the parser.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from inference._turns import TurnFormat
from inference.parsers import ParsedTurn
from tools import ToolSpec

WRITE = ToolSpec(
    name="write_file",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}},
)
TIMER = ToolSpec(
    name="set_timer",
    input_schema={
        "type": "object",
        "properties": {
            "seconds": {"type": "integer"},
            "label": {"type": "string"},
            "zip": {"type": "string"},
            "repeat": {"type": "boolean"},
            "payload": {"type": "string"},
            "flag": {"type": "string"},
            "volume": {"type": ["number", "null"]},
        },
    },
)
WEATHER = ToolSpec(name="get_weather", input_schema={"type": "object", "properties": {"city": {"type": "string"}}})
TOOLS = (WRITE, TIMER, WEATHER)


def _both(fmt: str, text: str, *, prompt: str = "", tools: tuple[ToolSpec, ...] = TOOLS) -> ParsedTurn:
    """The one-shot turn, after checking that a stream fed one character at a time ends in the same."""
    turns = TurnFormat(native=True, parser=fmt)
    whole = turns.parse(text, prompt=prompt, tools=tools)
    stream = turns.stream(prompt=prompt, tools=tools)
    for char in text:
        stream.feed(char)
    streamed = stream.finish()
    assert (streamed.content, streamed.reasoning, streamed.cut) == (whole.content, whole.reasoning, whole.cut)
    assert [(c.name, c.arguments) for c in streamed.tool_calls] == [(c.name, c.arguments) for c in whole.tool_calls]
    return whole


def _calls(turn: ParsedTurn) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.arguments) for c in turn.tool_calls]


# -- the prompt opened the reasoning ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "prompt"),
    [
        ("glm45", "<|user|>\nhi<|assistant|><think>"),
        ("kimi_k2", "<|im_assistant|>assistant<|im_middle|><think>"),
        ("hermes", "<|im_start|>assistant\n<think>\n"),
        ("qwen3_coder", "<|im_start|>assistant\n<think>\n"),
    ],
)
def test_reasoning_the_prompt_opened_is_reasoning(fmt: str, prompt: str) -> None:
    turn = _both(fmt, "The user wants Paris.</think>It is sunny.", prompt=prompt)
    assert (turn.reasoning, turn.content) == ("The user wants Paris.", "It is sunny.")


def test_a_prompt_that_closed_the_reasoning_opens_nothing() -> None:
    turn = _both("hermes", "It is sunny.", prompt="<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert (turn.reasoning, turn.content) == (None, "It is sunny.")


# -- a call the output ended inside is no call ------------------------------------------------------

CUT = [
    ("hermes", '<tool_call>\n{"name": "write_file", "arguments": {"path": "b.sh", "content": "rm -rf /'),
    ("hermes", '<tool_call>\n{"name": "write_file", "arguments": {"path": "b.sh"}'),  # its closing brace
    ("hermes", "<tool_call>"),
    (
        "qwen3_coder",
        "<tool_call>\n<function=write_file>\n<parameter=path>\nb.sh\n</parameter>\n<parameter=content>\nrm -rf /",
    ),
    ("glm45", "<tool_call>write_file<arg_key>path</arg_key><arg_value>b.sh</arg_value>"),
    ("gemma4", '<|tool_call>call:write_file{path:<|"|>b.sh<|"|>,content:<|"|>rm -rf /'),
    (
        "kimi_k2",
        '<|tool_calls_section_begin|><|tool_call_begin|>functions.write_file:0<|tool_call_argument_begin|>{"path"',
    ),
]


@pytest.mark.parametrize(("fmt", "text"), CUT)
def test_a_call_cut_off_is_reported_and_neither_a_call_nor_text(fmt: str, text: str) -> None:
    turn = _both(fmt, "Writing it.\n" + text)
    assert turn.tool_calls == [] and turn.content == "Writing it."
    assert turn.cut == text


def test_the_complete_calls_before_a_cut_one_stay() -> None:
    first = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
    turn = _both("hermes", first + '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Ber')
    assert _calls(turn) == [("get_weather", {"city": "Paris"})] and turn.content is None and turn.cut


# -- half-written markup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text", "content"),
    [
        ("kimi_k2", "Checking. <|tool_calls_section_begin|><|tool_calls_section_end|>", "Checking."),
        ("magistral", "Let me check.[TOOL_CALLS]", "Let me check."),
        ("qwen3_coder", "Let me check.\n<tool_call>", "Let me check."),
    ],
)
def test_half_written_markup_never_reaches_the_content(fmt: str, text: str, content: str) -> None:
    assert _both(fmt, text).content == content


# -- marker text inside values ----------------------------------------------------------------------

DOC = "Close with </function> then </tool_call>; open with <tool_call> and <function=x>.\n"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (
            "qwen3_coder",
            f"<tool_call>\n<function=write_file>\n<parameter=path>\nx.md\n</parameter>\n"
            f"<parameter=content>\n{DOC}\n</parameter>\n</function>\n</tool_call>",
        ),
        (
            "glm45",
            f"<tool_call>write_file\n<arg_key>path</arg_key>\n<arg_value>x.md</arg_value>\n"
            f"<arg_key>content</arg_key>\n<arg_value>{DOC}</arg_value>\n</tool_call>",
        ),
        (
            "hermes",
            '<tool_call>\n{"name": "write_file", "arguments": {"path": "x.md", "content": '
            + json.dumps(DOC)
            + "}}\n</tool_call>",
        ),
    ],
)
def test_marker_text_inside_a_value_is_the_value(fmt: str, text: str) -> None:
    turn = _both(fmt, text)
    assert _calls(turn) == [("write_file", {"path": "x.md", "content": DOC})] and turn.content is None


def test_marker_text_inside_a_gemma_string_is_the_string() -> None:
    value = "Calls end with <tool_call|>."
    text = f'<|tool_call>call:write_file{{path:<|"|>x.md<|"|>,content:<|"|>{value}<|"|>}}<tool_call|>'
    assert _calls(_both("gemma4", text)) == [("write_file", {"path": "x.md", "content": value})]


# -- XML values typed by the tool's schema, whitespace kept ------------------------------------------


def _qwen(name: str, **params: str) -> str:
    body = "".join(f"<parameter={k}>\n{v}\n</parameter>\n" for k, v in params.items())
    return f"<tool_call>\n<function={name}>\n{body}</function>\n</tool_call>"


def test_xml_values_are_typed_by_the_offered_schema() -> None:
    text = _qwen(
        "set_timer",
        seconds="3",
        label="3",
        zip="02139",
        repeat="False",
        payload='{"a": 1}',
        flag="true",
        volume="0.5",
    )
    ((_, args),) = _calls(_both("qwen3_coder", text))
    assert args == {
        "seconds": 3,
        "label": "3",
        "zip": "02139",
        "repeat": False,
        "payload": '{"a": 1}',
        "flag": "true",
        "volume": 0.5,
    }


def test_without_tools_xml_values_are_guessed_as_before() -> None:
    ((_, args),) = _calls(_both("qwen3_coder", _qwen("set_timer", seconds="3", label="3"), tools=()))
    assert args == {"seconds": 3, "label": 3}


def test_xml_whitespace_is_data_but_the_template_newlines() -> None:
    code = "    if x:\n        return 1\n"
    ((_, args),) = _calls(_both("qwen3_coder", _qwen("write_file", path=" a.py", content=code)))
    assert args == {"path": " a.py", "content": code}
    glm = "<tool_call>get_weather<arg_key>city</arg_key><arg_value>  Beijing  </arg_value></tool_call>"
    assert _calls(_both("glm45", glm)) == [("get_weather", {"city": "  Beijing  "})]


# -- lenient readings, and their reverse ------------------------------------------------------------

CALL_JSON = '{"name": "get_weather", "arguments": {"city": "Paris"}}'


@pytest.mark.parametrize(
    ("text", "content"),
    [
        (f"I will look it up.\n```json\n{CALL_JSON}\n```", "I will look it up."),
        (f"I will look it up.\n```json\n[{CALL_JSON}]\n```", "I will look it up."),
        (f"<think>Weather needs the tool.</think>\n{CALL_JSON}", None),
    ],
)
def test_untagged_json_calls_real_models_write_are_calls(text: str, content: str | None) -> None:
    turn = _both("hermes", text)
    assert _calls(turn) == [("get_weather", {"city": "Paris"})] and turn.content == content


@pytest.mark.parametrize(
    "text",
    [
        'To call a tool, write <tool_call>{"name": "FUNCTION_NAME", "arguments": {"PARAM_NAME": "value"}}</tool_call>.',
        "Wrap each call in <tool_call> and </tool_call>.",
        'Example:\n```json\n{"name": "unknown_tool", "arguments": {}}\n```',
    ],
)
def test_prose_about_the_syntax_stays_verbatim(text: str) -> None:
    turn = _both("hermes", text)
    assert turn.tool_calls == [] and turn.content == text


def test_placeholder_calls_in_qwen_xml_are_text() -> None:
    text = "Syntax: " + _qwen("FUNCTION_NAME", PARAM_NAME="value")
    assert _both("qwen3_coder", text).tool_calls == []
