"""Mistral formats: `[TOOL_CALLS]` + JSON array (tokenizer v3-v7), `[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}`
(v11+, also `name{...}` as mistral-common decodes it), and Magistral's `[THINK]` (2506: `<think>`) reasoning.

Both readers accept both bodies: a v11 model that slips into the array form still parses.
"""

from __future__ import annotations

import re

from inference.parsers._readers import JsonBody
from inference.parsers._render import (
    Layout,
    Template,
    dump,
    each,
    header_build,
    json_list,
    openai_build,
    wrapped,
)
from inference.parsers._spec import FormatSpec, Opener, Reasoning
from tools import ToolCall

MISTRAL_END = ("</s>",)
_V11_HEADER = re.compile(r"\s*(?P<name>[^\s\[\]{}]+)\s*(?:\[CALL_ID\]\s*(?P<id>[^\s\[\]{}]+)\s*)?(?:\[ARGS\])?\s*")


def _v11_build(texts: list[str], header: re.Match[str] | None) -> list[ToolCall] | None:
    return openai_build(texts) if header is None else header_build(texts, header)


_V11_BODY = JsonBody(build=_v11_build, header=_V11_HEADER, header_optional=True, fence=False)


def _v11_call(call: ToolCall) -> str:
    return f"[TOOL_CALLS]{call.name}[CALL_ID]{call.id}[ARGS]{dump(call.arguments)}"


MISTRAL_V3 = FormatSpec(
    name="mistral_v3",
    openers=(Opener(marker="[TOOL_CALLS]", reader=_V11_BODY),),
    end_tokens=MISTRAL_END,
    carries_ids=True,
    render=Layout(calls=wrapped(json_list(with_id=True), "[TOOL_CALLS]")),
    tool_result=Template('[TOOL_RESULTS]{{"content": {content_json}, "call_id": "{id}"}}[/TOOL_RESULTS]'),
)

_V11_RESULT = Template("[TOOL_RESULTS]{id}[TOOL_CONTENT]{content}[/TOOL_RESULTS]")

MISTRAL_V11 = FormatSpec(
    name="mistral_v11",
    openers=(Opener(marker="[TOOL_CALLS]", reader=_V11_BODY),),
    end_tokens=MISTRAL_END,
    carries_ids=True,
    render=Layout(calls=each(_v11_call, sep="")),
    tool_result=_V11_RESULT,
)

MAGISTRAL = FormatSpec(
    name="magistral",
    openers=(Opener(marker="[TOOL_CALLS]", reader=_V11_BODY),),
    # Magistral 2506 writes its reasoning as plain `<think>` text (its system prompt asks for it), later
    # versions as [THINK] control tokens; the text form counts only at the start of the reply.
    reasoning=(
        Reasoning(open=("[THINK]",), close=("[/THINK]",)),
        Reasoning(open=("<think>",), close=("</think>",), at_start=True),
    ),
    end_tokens=MISTRAL_END,
    carries_ids=True,
    render=Layout(think=("[THINK]", "[/THINK]"), calls=each(_v11_call, sep="")),
    tool_result=_V11_RESULT,
)

SPECS = (MISTRAL_V3, MISTRAL_V11, MAGISTRAL)
