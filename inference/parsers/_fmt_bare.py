"""Formats with no opening token, or a plain word for one: Llama 3 JSON and built-ins, pythonic lists
(Llama 3.2/4, LFM2, Gemma 3 prompted), xLAM, llama.cpp's generic JSON, FireFunction v2 and Phi-4-mini.

Whole-message formats only read a call at the very start of the reply (after reasoning): call-shaped
JSON in the middle of an answer is text.
"""

from __future__ import annotations

import re
from typing import Any

from inference.parsers._decode import call_from_object, calls_by, decode_all, pythonic_calls
from inference.parsers._fmt_tagged import CHATML_END, THINK_BLOCK
from inference.parsers._readers import JsonBody
from inference.parsers._render import (
    PLAIN,
    THINK,
    Layout,
    Template,
    call_object,
    dump,
    each,
    json_list,
    nonempty,
    openai_build,
    python_call,
    python_list,
    pythonic_build,
    wrapped,
)
from inference.parsers._spec import Done, FormatSpec, Opener, openers
from tools import ToolCall

LLAMA3_END = ("<|eom_id|>", "<|eot_id|>", "<|end_of_text|>")
_FENCE = "```"


def _at_start(body: JsonBody, *literals: str) -> tuple[Opener, ...]:
    return tuple(Opener(marker=literal, reader=body, at_start=True) for literal in literals)


_XLAM_BODY = JsonBody(build=nonempty(openai_build))

XLAM = FormatSpec(
    name="xlam",
    openers=(
        *_at_start(_XLAM_BODY, "[", "{", _FENCE),
        Opener(marker="<tool_call>", reader=JsonBody(build=openai_build, multi=True, close=("</tool_call>",))),
        Opener(marker="[TOOL_CALLS]", reader=JsonBody(build=openai_build)),
    ),
    reasoning=(THINK_BLOCK,),
    end_tokens=CHATML_END,
    drop=("</tool_call>",),
    render=Layout(think=THINK, calls=json_list(), calls_first=True),
    tool_result=PLAIN,
)


def _generic_build(texts: list[str], _header: re.Match[str] | None) -> Done | None:
    """`{"tool_call": {...}}`, `{"tool_calls": [...]}` and/or `{"response": ...}` (llama.cpp's generic)."""
    values = decode_all(texts)
    if values is None or len(values) != 1 or not isinstance(values[0], dict):
        return None
    obj: dict[str, Any] = values[0]
    if not obj.keys() & {"tool_call", "tool_calls", "response"}:
        return None
    calls = calls_by([obj.get("tool_calls", []), *([obj["tool_call"]] if "tool_call" in obj else [])], call_from_object)
    response = obj.get("response")
    if calls is None or (response is not None and not isinstance(response, str)):
        return None
    return Done(calls, response)


def _generic_render(turn: Any) -> str:
    obj: dict[str, Any] = {}
    if turn.tool_calls:
        obj["tool_calls"] = [call_object(c, with_id=True) for c in turn.tool_calls]
    if turn.content or not obj:
        obj["response"] = turn.content or ""
    return dump(obj)


GENERIC = FormatSpec(
    name="generic",
    openers=_at_start(JsonBody(build=_generic_build, starts="{"), "{", _FENCE),
    carries_ids=True,
    render=_generic_render,
    tool_result=PLAIN,
)

_LLAMA3_JSON = JsonBody(build=nonempty(openai_build), starts="{", multi=True)
_llama3_call = each(lambda c: dump(call_object(c, args_key="parameters")), sep="; ")

LLAMA3_JSON = FormatSpec(
    name="llama3_json",
    openers=(
        *_at_start(_LLAMA3_JSON, "{", _FENCE),
        Opener(marker="<|python_tag|>", reader=JsonBody(build=openai_build, starts="{", multi=True, fence=False)),
    ),
    end_tokens=LLAMA3_END,
    render=Layout(calls=_llama3_call, calls_first=True),
    tool_result=PLAIN,
)

_BUILTINS = frozenset({"brave_search", "wolfram_alpha", "web_search", "code_interpreter", "python"})


def _builtin_build(texts: list[str], _header: re.Match[str] | None) -> list[ToolCall] | None:
    """After `<|python_tag|>`: `name.call(k=v)` built-in calls or JSON custom calls."""
    calls: list[ToolCall] = []
    for text in texts:
        found = openai_build([text]) if text.lstrip().startswith("{") else pythonic_calls(text, strip_suffix=".call")
        if not found:
            return None
        calls.extend(found)
    return calls


def _builtin_call(call: ToolCall) -> str:
    if call.name in _BUILTINS:
        return "<|python_tag|>" + python_call(ToolCall(id=call.id, name=call.name + ".call", arguments=call.arguments))
    return "<|python_tag|>" + dump(call_object(call, args_key="parameters"))


LLAMA3_BUILTIN = FormatSpec(
    name="llama3_builtin",
    openers=(
        *_at_start(_LLAMA3_JSON, "{", _FENCE),
        Opener(
            marker="<|python_tag|>",
            reader=JsonBody(build=_builtin_build, starts="{", pythonic=True, multi=True, fence=False),
        ),
    ),
    end_tokens=LLAMA3_END,
    render=Layout(calls=each(_builtin_call)),
    tool_result=PLAIN,
)

_FUNCTOOLS = Opener(marker="functools", reader=JsonBody(build=openai_build, starts="[", fence=False))

FIREFUNCTION_V2 = FormatSpec(
    name="firefunction_v2",
    openers=(_FUNCTOOLS,),
    end_tokens=LLAMA3_END,
    render=Layout(calls=wrapped(json_list(), " functools")),
    tool_result=PLAIN,
)

PHI4_MINI = FormatSpec(
    name="phi4_mini",
    openers=(
        _FUNCTOOLS,
        Opener(
            marker="<|tool_call|>",
            reader=JsonBody(build=openai_build, multi=True, close=("<|/tool_call|>",)),
        ),
    ),
    end_tokens=("<|end|>", "<|endoftext|>"),
    drop=("<|/tool_call|>",),
    render=Layout(calls=wrapped(json_list(), "functools")),
    tool_result=Template("<|tool_response|>{content}<|/tool_response|>"),
)

_PY_LIST = JsonBody(build=nonempty(pythonic_build), starts="[", pythonic=True)

PYTHONIC = FormatSpec(
    name="pythonic",
    openers=_at_start(_PY_LIST, "[", _FENCE),
    end_tokens=LLAMA3_END,
    render=Layout(calls=python_list, calls_first=True),
    tool_result=PLAIN,
)


def _python_list_in(closer: str) -> JsonBody:
    """A pythonic list between tokens (`<|python_start|>`, `<|tool_call_start|>`, a tool_code fence)."""
    return JsonBody(build=pythonic_build, starts="[", pythonic=True, fence=False, close=(closer,))


LLAMA4_PYTHONIC = FormatSpec(
    name="llama4_pythonic",
    openers=(*_at_start(_PY_LIST, "[", _FENCE), *openers({"<|python_start|>": _python_list_in("<|python_end|>")})),
    end_tokens=("<|eot|>", "<|eom|>", "<|end_of_text|>"),
    drop=("<|python_end|>",),
    render=Layout(calls=python_list, calls_first=True),
    tool_result=PLAIN,
)

LFM2 = FormatSpec(
    name="lfm2",
    openers=openers({"<|tool_call_start|>": _python_list_in("<|tool_call_end|>")}),
    reasoning=(THINK_BLOCK,),
    end_tokens=CHATML_END,
    drop=("<|tool_call_end|>",),
    render=Layout(think=THINK, calls=wrapped(python_list, "<|tool_call_start|>", "<|tool_call_end|>")),
    tool_result=Template("<|tool_response_start|>{content}<|tool_response_end|>"),
)


GEMMA3_PROMPTED = FormatSpec(
    name="gemma3_prompted",
    openers=(
        *_at_start(JsonBody(build=nonempty(pythonic_build), pythonic=True), "[", "{", _FENCE),
        *openers({"```tool_code": _python_list_in(_FENCE)}),
    ),
    end_tokens=("<end_of_turn>", "<eos>"),
    render=Layout(calls=python_list, calls_first=True),
    tool_result=Template("```tool_output\n{content}\n```"),
)

SPECS = (
    XLAM,
    GENERIC,
    LLAMA3_JSON,
    LLAMA3_BUILTIN,
    FIREFUNCTION_V2,
    PHI4_MINI,
    PYTHONIC,
    LLAMA4_PYTHONIC,
    LFM2,
    GEMMA3_PROMPTED,
)
