"""Formats whose calls are JSON inside tags: Hermes/Qwen, SmolLM2/3, Nemotron v2, Granite, Apertus,
Command R7B."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from inference.parsers._decode import call_from_object, make_call
from inference.parsers._readers import JsonBody
from inference.parsers._render import (
    THINK,
    TOOL_RESPONSE,
    Layout,
    Template,
    call_object,
    dump,
    each,
    header_build,
    items_build,
    json_list,
    openai_build,
    pythonic_build,
    wrapped,
)
from inference.parsers._spec import FormatSpec, Reasoning, openers
from tools import ToolCall

CHATML_END = ("<|im_end|>", "<|endoftext|>")
THINK_BLOCK = Reasoning(open=("<think>",), close=("</think>",))

_TOOL_CALL = JsonBody(build=openai_build, multi=True, close=("</tool_call>",))
_FUNCTION_TAG = JsonBody(
    build=header_build, header=re.compile(r"\s*(?P<name>[^>\s]+)>\s*"), starts="{", close=("</function>",)
)


def _hermes_call(call: ToolCall) -> str:
    return "<tool_call>\n" + dump(call_object(call)) + "\n</tool_call>"


# Calls Qwen/Hermes models write without their tags: a fenced ```json block after a sentence, or a bare
# object as the whole reply (right after the reasoning). Only `{"name", "arguments"}` objects that name
# offered tools count: a documented example without tools stays text.
_BARE_CALL = JsonBody(build=openai_build, multi=True, fence=False)

HERMES = FormatSpec(
    name="hermes",
    openers=(
        *openers({"<tool_call>": _TOOL_CALL, "<function=": _FUNCTION_TAG}),
        *openers({"": JsonBody(build=openai_build, starts="{", fence=False)}, at_start=True, offered_only=True),
    ),
    fenced_json=_BARE_CALL,
    reasoning=(THINK_BLOCK,),
    end_tokens=CHATML_END,
    render=Layout(think=THINK, calls=each(_hermes_call)),
    tool_result=TOOL_RESPONSE,
)

SMOLLM2 = FormatSpec(
    name="smollm2",
    openers=openers({"<tool_call>": _TOOL_CALL}),
    end_tokens=CHATML_END,
    drop=("</tool_call>",),
    render=Layout(calls=wrapped(json_list(), "<tool_call>", "</tool_call>")),
    tool_result=TOOL_RESPONSE,
)

_CODE_CALL = JsonBody(build=pythonic_build, starts="", pythonic=True, fence=False, close=("</code>",))

# SmolLM3 writes Hermes calls with `xml_tools`, and `<code>f(x=1)</code>` with `python_tools`.
SMOLLM3 = replace(HERMES, name="smollm3", openers=openers({"<tool_call>": _TOOL_CALL, "<code>": _CODE_CALL}))

NEMOTRON_V2 = FormatSpec(
    name="nemotron_v2",
    openers=openers({"<TOOLCALL>": JsonBody(build=openai_build, multi=True, close=("</TOOLCALL>",))}),
    reasoning=(THINK_BLOCK,),
    end_tokens=("<SPECIAL_12>", "<SPECIAL_11>", "</s>"),
    drop=("</TOOLCALL>",),
    render=Layout(think=THINK, calls=wrapped(json_list(), "<TOOLCALL>", "</TOOLCALL>")),
    tool_result=TOOL_RESPONSE,
)

_GRANITE_ARRAY = JsonBody(build=openai_build)
_GRANITE_OPENERS = openers({"<|tool_call|>": _GRANITE_ARRAY, "<tool_call>": _GRANITE_ARRAY})
_GRANITE_CALLS = wrapped(json_list(), "<|tool_call|>")

GRANITE = FormatSpec(
    name="granite",
    openers=_GRANITE_OPENERS,
    reasoning=(THINK_BLOCK,),
    end_tokens=("<|end_of_text|>",),
    drop=("<response>", "</response>"),
    render=Layout(think=THINK, calls=_GRANITE_CALLS),
    tool_result=Template("{content}"),
)

GRANITE_THOUGHT = FormatSpec(
    name="granite_thought",
    openers=_GRANITE_OPENERS,
    reasoning=(
        Reasoning(
            open=("Here is my thought process:", "Here's my thought process:"),
            close=("Here is my response:", "Here's my response:"),
            at_start=True,
        ),
    ),
    end_tokens=("<|end_of_text|>",),
    render=Layout(think=("Here is my thought process:\n", "\nHere is my response:\n"), calls=_GRANITE_CALLS),
    tool_result=Template("{content}"),
)


def _apertus_item(item: Any) -> ToolCall | None:
    """Short form `{"NAME": {args}}`; the long `{"name", "arguments"}` form is read too."""
    call = call_from_object(item)
    if call is None and isinstance(item, dict) and len(item) == 1:
        ((name, args),) = item.items()
        call = make_call(name, args)
    return call


_apertus_build = items_build(_apertus_item)


APERTUS = FormatSpec(
    name="apertus",
    openers=openers({"<|tools_prefix|>": JsonBody(build=_apertus_build, close=("<|tools_suffix|>",))}),
    reasoning=(Reasoning(open=("<|inner_prefix|>",), close=("<|inner_suffix|>",)),),
    end_tokens=("<|assistant_end|>",),
    drop=("<|tools_suffix|>",),
    render=Layout(
        think=("<|inner_prefix|>", "<|inner_suffix|>"),
        calls=wrapped(
            lambda calls: dump([{c.name: c.arguments} for c in calls]), "<|tools_prefix|>", "<|tools_suffix|>"
        ),
    ),
    tool_result=Template("<|tools_output_prefix|>{content}<|tools_output_suffix|>"),
)


def _r7b_item(item: Any) -> ToolCall | None:
    return call_from_object(item, name_key="tool_name", id_key="tool_call_id") or call_from_object(item)


_r7b_build = items_build(_r7b_item)


def _r7b_calls(calls: Sequence[ToolCall]) -> str:
    items: list[dict[str, Any]] = [
        {"tool_call_id": c.id, "tool_name": c.name, "parameters": c.arguments} for c in calls
    ]
    return "<|START_ACTION|>" + dump(items) + "<|END_ACTION|>"


COMMAND_R7B = FormatSpec(
    name="command_r7b",
    openers=openers({"<|START_ACTION|>": JsonBody(build=_r7b_build, close=("<|END_ACTION|>",))}),
    reasoning=(Reasoning(open=("<|START_THINKING|>",), close=("<|END_THINKING|>",)),),
    end_tokens=("<|END_OF_TURN_TOKEN|>",),
    drop=("<|START_RESPONSE|>", "<|END_RESPONSE|>", "<|END_ACTION|>"),
    carries_ids=True,
    render=Layout(
        think=("<|START_THINKING|>", "<|END_THINKING|>"),
        content=("<|START_RESPONSE|>", "<|END_RESPONSE|>"),
        calls=_r7b_calls,
    ),
    tool_result=Template(
        '<|START_TOOL_RESULT|>[{{"tool_call_id": "{id}", "results": {{"0": {content_json}}}}}]<|END_TOOL_RESULT|>'
    ),
)

SPECS = (HERMES, SMOLLM2, SMOLLM3, NEMOTRON_V2, GRANITE, GRANITE_THOUGHT, APERTUS, COMMAND_R7B)
