"""Formats framed by special tokens around a name and a JSON body: DeepSeek R1 and V3.1, Kimi K2,
Functionary v3.1 and v3.2, and GPT-OSS harmony channels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from inference.parsers._decode import decode_all, make_call
from inference.parsers._fmt_bare import LLAMA3_END
from inference.parsers._fmt_recipient import RecipientBody
from inference.parsers._fmt_tagged import CHATML_END, THINK_BLOCK
from inference.parsers._readers import JsonBody, RawBody
from inference.parsers._render import PLAIN, THINK, Layout, Template, dump, each, header_build
from inference.parsers._spec import FormatSpec, Opener, Outcome, Reasoning, Switch
from inference.parsers._types import ParsedTurn
from tools import ToolCall, new_call_id

# -- DeepSeek --------------------------------------------------------------------------------------

_DS_CALLS_BEGIN = "<｜tool▁calls▁begin｜>"
_DS_OPENERS = (
    _DS_CALLS_BEGIN,
    "<｜tool_calls_begin｜>",
    "<｜tool calls begin｜>",
    "<｜tool\\_calls\\_begin｜>",
    "<｜tool▁calls｜>",
    "<｜tool▁call▁begin｜>",
)
_DS_DROP = ("<｜tool▁calls▁end｜>", "<｜tool_calls_end｜>", "<｜tool▁call▁end｜>")
_DS_END = ("<｜end▁of▁sentence｜>",)
_DS_RESULT = Template("<｜tool▁output▁begin｜>{content}<｜tool▁output▁end｜>")
_R1_HEADER = re.compile(
    r"\s*(?:<｜tool▁call▁begin｜>)?\s*(?:function)?\s*<｜tool▁sep｜>\s*(?P<name>[^\n`<{]+?)\s*(?:```(?:json)?)?\s*"
)
_V31_HEADER = re.compile(r"\s*(?:<｜tool▁call▁begin｜>)?\s*(?P<name>[^\s<>{}]+)\s*<｜tool▁sep｜>\s*")


_DS_CALL_BEGIN = "<｜tool▁call▁begin｜>"


def _deepseek_openers(body: JsonBody) -> tuple[Opener, ...]:
    """After the model's own calls-section token each call needs its call-begin token (a section without
    one holds no well-formed call, as vLLM's tests say); the misspelt section openers some distilled
    models write are read as llama.cpp does, with the call-begin optional."""
    assert body.header is not None
    optional = f"(?:{_DS_CALL_BEGIN})?"
    strict = replace(body, header=re.compile(body.header.pattern.replace(optional, _DS_CALL_BEGIN, 1)))
    return tuple(Opener(marker=m, reader=strict if m == _DS_CALLS_BEGIN else body) for m in _DS_OPENERS)


def _r1_call(call: ToolCall) -> str:
    return (
        f"<｜tool▁call▁begin｜>function<｜tool▁sep｜>{call.name}\n```json\n{dump(call.arguments)}\n```"
        "<｜tool▁call▁end｜>"
    )


def _v31_call(call: ToolCall) -> str:
    return f"<｜tool▁call▁begin｜>{call.name}<｜tool▁sep｜>{dump(call.arguments)}<｜tool▁call▁end｜>"


def _deepseek_calls(write_one: Callable[[ToolCall], str]) -> Layout:
    calls = each(write_one, sep="\n")
    return Layout(think=THINK, calls=lambda cs: _DS_CALLS_BEGIN + calls(cs) + "<｜tool▁calls▁end｜>")


DEEPSEEK_R1 = FormatSpec(
    name="deepseek_r1",
    openers=_deepseek_openers(
        JsonBody(
            build=header_build,
            header=_R1_HEADER,
            starts="{",
            fence=False,
            close=("```", "<｜tool▁call▁end｜>"),
        )
    ),
    reasoning=(THINK_BLOCK,),
    end_tokens=_DS_END,
    drop=_DS_DROP,
    render=_deepseek_calls(_r1_call),
    tool_result=_DS_RESULT,
)

DEEPSEEK_V3_1 = FormatSpec(
    name="deepseek_v3_1",
    openers=_deepseek_openers(
        JsonBody(build=header_build, header=_V31_HEADER, starts="{", fence=False, close=("<｜tool▁call▁end｜>",))
    ),
    reasoning=(Reasoning(open=("<think>",), close=("</think>",), calls_inside=True),),
    end_tokens=_DS_END,
    drop=_DS_DROP,
    render=_deepseek_calls(_v31_call),
    tool_result=_DS_RESULT,
)

# -- Kimi K2 ---------------------------------------------------------------------------------------

# Text a model writes between the section opener and its first call is noise, not part of the call.
_KIMI_HEADER = re.compile(
    r"(?:[^<{]*<\|tool_call_begin\|>)?\s*(?P<id>(?:functions\.)?(?P<name>[^\s<>:{}]+?)(?::\d+)?)\s*"
    r"<\|tool_call_argument_begin\|>\s*"
)


def _kimi_build(texts: list[str], header: re.Match[str] | None) -> list[ToolCall] | None:
    """The id is `functions.NAME:IDX`; without the index it is not an id the template can echo back."""
    calls = header_build(texts, header)
    if calls and ":" not in calls[0].id:
        calls = [ToolCall(id=new_call_id(), name=calls[0].name, arguments=calls[0].arguments)]
    return calls


def _kimi_id(call: ToolCall, index: int) -> str:
    if re.fullmatch(rf"functions\.{re.escape(call.name)}:\d+", call.id):
        return call.id
    return f"functions.{call.name}:{index}"


def _kimi_calls(calls: Sequence[ToolCall]) -> str:
    body = "".join(
        f"<|tool_call_begin|>{_kimi_id(c, i)}<|tool_call_argument_begin|>{dump(c.arguments)}<|tool_call_end|>"
        for i, c in enumerate(calls)
    )
    return "<|tool_calls_section_begin|>" + body + "<|tool_calls_section_end|>"


_KIMI_BODY = JsonBody(
    build=_kimi_build,
    header=_KIMI_HEADER,
    starts="{",
    fence=False,
    close=("<|tool_call_end|>",),
    empty=("<|tool_calls_section_end|>",),
)

KIMI_K2 = FormatSpec(
    name="kimi_k2",
    openers=(
        Opener(marker="<|tool_calls_section_begin|>", reader=_KIMI_BODY),
        Opener(marker="<|tool_call_begin|>", reader=_KIMI_BODY),
    ),
    reasoning=(Reasoning(open=("<think>",), close=("</think>",), calls_inside=True),),
    end_tokens=CHATML_END,
    drop=("<|tool_calls_section_end|>", "<|tool_call_end|>"),
    carries_ids=True,
    render=Layout(think=THINK, calls=_kimi_calls),
    tool_result=Template("## Return of {id}\n{content}"),
)

# -- Functionary -----------------------------------------------------------------------------------


def _python_code(text: str) -> list[ToolCall] | None:
    code = text.strip()
    call = make_call("python", {"code": code}) if code else None
    return None if call is None else [call]


FUNCTIONARY_V3_1 = FormatSpec(
    name="functionary_v3_1",
    openers=(
        Opener(
            marker="<function=",
            reader=JsonBody(
                build=header_build,
                header=re.compile(r"\s*(?P<name>[^>\s]+)>\s*"),
                starts="{",
                fence=False,
                close=("</function>",),
            ),
        ),
        Opener(marker="<|python_tag|>", reader=RawBody(build=_python_code, stop=LLAMA3_END)),
    ),
    end_tokens=LLAMA3_END,
    drop=("</function>",),
    render=Layout(calls=each(lambda c: f"<function={c.name}>{dump(c.arguments)}</function>", sep="")),
    tool_result=PLAIN,
)


def _functionary_v32_render(turn: ParsedTurn) -> str:
    segments = [f"all\n{turn.content}"] if turn.content else []
    segments += [f"{c.name}\n{dump(c.arguments)}" for c in turn.tool_calls]
    return ">>>".join(segments)


_RECIPIENT = RecipientBody(code_call=_python_code)

FUNCTIONARY_V3_2 = FormatSpec(
    name="functionary_v3_2",
    openers=(Opener(marker="", reader=_RECIPIENT, at_start=True), Opener(marker=">>>", reader=_RECIPIENT)),
    end_tokens=LLAMA3_END,
    render=_functionary_v32_render,
    tool_result=PLAIN,
)

# -- GPT-OSS harmony -------------------------------------------------------------------------------

_ANALYSIS = Reasoning(open=(), close=("<|end|>",))
_BUILT_IN = Reasoning(open=(), close=("<|end|>",), hidden=True)
"""A message to a built-in tool (`to=python`, `to=browser.search`): no function call, and not text either."""
_RECIPIENT_RE = re.compile(r"to=functions\.([^\s<]+)")
_OTHER_RECIPIENT_RE = re.compile(r"to=(?!assistant\b)[^\s<]")
_CHANNEL_RE = re.compile(r"<\|channel\|>\s*(\w+)|^\s*(\w+)")
_HEADER_WORDS = r"assistant|analysis|commentary|final|json|code|to=[^\s<]*|<\|channel\|>|<\|constrain\|>"
_CUT_HEADER = re.compile(rf"(?:\s*(?:{_HEADER_WORDS}))*\s*(?:<\|?\w*\|?)?")
"""A message header as far as the end of output let the model write it (a marker may be cut too)."""


def _harmony_route(header: re.Match[str]) -> Outcome | None:
    """A message header: a recipient makes a call; the analysis channel is reasoning; the rest content."""
    head = header.group(0)
    if _RECIPIENT_RE.search(head):
        return None
    if _OTHER_RECIPIENT_RE.search(head):
        return Switch(_BUILT_IN)
    channels = [a or b for a, b in _CHANNEL_RE.findall(head)]
    channel = channels[-1] if channels else ""
    return Switch(_ANALYSIS if channel == "analysis" else None)


def _harmony_build(texts: list[str], header: re.Match[str] | None) -> list[ToolCall] | None:
    recipient = _RECIPIENT_RE.search(header.group(0)) if header is not None else None
    values = decode_all(texts)
    if recipient is None or values is None or len(values) != 1:
        return None
    call = make_call(recipient.group(1), values[0])
    return None if call is None else [call]


def _gpt_oss_render(turn: ParsedTurn) -> str:
    messages = []
    if turn.reasoning:
        messages.append(f"<|channel|>analysis<|message|>{turn.reasoning}<|end|>")
    if turn.content:
        channel = "commentary" if turn.tool_calls else "final"
        messages.append(f"<|channel|>{channel}<|message|>{turn.content}<|end|>")
    messages += [
        f"<|channel|>commentary to=functions.{c.name} <|constrain|>json<|message|>{dump(c.arguments)}<|call|>"
        for c in turn.tool_calls
    ]
    return "<|start|>assistant".join(messages)


_HARMONY_BODY = JsonBody(
    build=_harmony_build,
    header=re.compile(r".*", re.DOTALL),
    header_until="<|message|>",
    route=_harmony_route,
    cut=_CUT_HEADER,
    fence=False,
    close=("<|call|>",),
)

GPT_OSS = FormatSpec(
    name="gpt_oss",
    openers=(
        Opener(marker="<|start|>", reader=_HARMONY_BODY),
        Opener(marker="<|channel|>", reader=_HARMONY_BODY),
        # The prompt ends in `<|start|>assistant`: a recipient in the role header starts the output.
        Opener(marker="to=", reader=_HARMONY_BODY, at_start=True),
    ),
    reasoning=(_ANALYSIS, _BUILT_IN),
    end_tokens=("<|end|>",),
    stop_tokens=("<|return|>", "<|call|>"),
    markdown=False,
    render=_gpt_oss_render,
    tool_result=Template("<|start|>functions.{name} to=assistant<|channel|>commentary<|message|>{content}<|end|>"),
)

SPECS = (DEEPSEEK_R1, DEEPSEEK_V3_1, KIMI_K2, FUNCTIONARY_V3_1, FUNCTIONARY_V3_2, GPT_OSS)
