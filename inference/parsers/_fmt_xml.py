"""XML-style formats with untyped values: Qwen3-Coder (and Nemotron-3), Seed-OSS, GLM-4.5 and MiniMax-M2.

Values are raw text less the newline the template writes on each side, typed by the offered tool's
schema (`type_arguments`; without one, JSON-decoded when the text is JSON). Rendering writes a string raw
only when it reads back as the same string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from inference.parsers._decode import Untyped, make_call, render_untyped, untyped
from inference.parsers._fmt_tagged import CHATML_END, THINK_BLOCK
from inference.parsers._readers import RawBody
from inference.parsers._render import THINK, TOOL_RESPONSE, Layout, Template, check_plain, each
from inference.parsers._spec import FormatSpec, Opener, Reasoning
from tools import ToolCall

# A closing tag ends a value or a call only where the next tag of the format follows it: the same text
# inside a value (a file that documents the format) is part of the value.
_QWEN_FUNCTION = re.compile(r"<function=([^>\n]+)>(.*?)(?:</function>\s*(?=<function=|</tool_call>|\Z)|\Z)", re.DOTALL)
_QWEN_PARAM = re.compile(
    r"<parameter=([^>\n]+)>(.*?)(?:</parameter>\s*(?=<parameter=|</function>|\Z)|(?=\n<parameter=)|\Z)", re.DOTALL
)
_MINIMAX_INVOKE = re.compile(r"<invoke\s+name=\"([^\"]+)\"\s*>(.*?)(?:</invoke>\s*(?=<invoke|\Z)|\Z)", re.DOTALL)
_MINIMAX_PARAM = re.compile(
    r"<parameter\s+name=\"([^\"]+)\"\s*>(.*?)(?:</parameter>\s*(?=<parameter|\Z)|(?=\n<parameter)|\Z)", re.DOTALL
)
_GLM_CALL = re.compile(r"\s*([^\s<>]+)\s*(<arg_key>.*)?", re.DOTALL)
_GLM_NAME_FORBIDDEN = "<> \t\n"
_GLM_ARG = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)(?:</arg_value>\s*(?=<arg_key>|\Z)|\Z)", re.DOTALL)


def _calls_from_blocks(text: str, block: re.Pattern[str], param: re.Pattern[str]) -> list[ToolCall] | None:
    """Calls from `block` matches (name, body), each body holding `param` matches (key, raw value)."""
    calls: list[ToolCall] = []
    for name, body in block.findall(text):
        args = _typed_args((key.strip(), value) for key, value in param.findall(body))
        call = make_call(name, args)
        if call is None:
            return None
        calls.append(call)
    return calls or None


def _typed_args(pairs: Iterable[tuple[str, str]], *, padded: bool = True) -> dict[str, Any]:
    """Raw values, typed later by the tool's schema (`type_arguments`). `padded`: the template writes a
    newline on each side of a value (Qwen), which is not part of it; GLM writes values bare."""
    return {key: untyped(value) if padded else Untyped(value) for key, value in pairs}


def _ends_with(closer: str) -> Callable[[str], bool]:
    return lambda body: body.rstrip().endswith(closer)


def _glm_whole(body: str) -> bool:
    return "<arg_key>" not in body or body.rstrip().endswith("</arg_value>")


def _qwen_build(text: str) -> list[ToolCall] | None:
    return _calls_from_blocks(text, _QWEN_FUNCTION, _QWEN_PARAM)


def _params(call: ToolCall, template: str) -> str:
    """The arguments, each written with `template` ({key}, {value})."""
    return "".join(
        template.format(key=check_plain(k, "argument"), value=render_untyped(v)) for k, v in call.arguments.items()
    )


def _qwen_call(call: ToolCall) -> str:
    params = _params(call, "<parameter={key}>\n{value}\n</parameter>\n")
    return f"<function={check_plain(call.name, 'tool name')}>\n{params}</function>"


def _xml_layout(think: tuple[str, str], before: str, after: str) -> Layout:
    return Layout(think=think, calls=each(lambda c: f"{before}\n{_qwen_call(c)}\n{after}"))


def _xml_spec(
    name: str,
    opener: str,
    closer: str,
    *,
    reasoning: Reasoning,
    think: tuple[str, str],
    end_tokens: tuple[str, ...],
    tool_result: Callable[[ToolCall, str], str],
) -> FormatSpec:
    body = RawBody(
        build=_qwen_build,
        expect=("<function=",),
        close=(closer,),
        stop=end_tokens,
        whole=_ends_with("</function>"),
        unclosed_ok=True,
    )
    return FormatSpec(
        name=name,
        openers=(
            Opener(marker=opener, reader=body),
            Opener(
                marker="<function=",
                reader=RawBody(build=_qwen_build, close=("</function>",), stop=end_tokens, keep_opener=True),
            ),
        ),
        reasoning=(reasoning,),
        end_tokens=end_tokens,
        drop=(closer,),  # after a bare `<function=...>...</function>` call (Qwen3-Coder without its opener)
        render=_xml_layout(think, opener, closer),
        tool_result=tool_result,
    )


QWEN3_CODER = _xml_spec(
    "qwen3_coder",
    "<tool_call>",
    "</tool_call>",
    # Qwen3.5 calls from inside an unclosed think; the reader's `<function=` check keeps prose out.
    reasoning=Reasoning(open=("<think>",), close=("</think>",), calls_inside=True),
    think=THINK,
    end_tokens=CHATML_END,
    tool_result=TOOL_RESPONSE,
)

SEED_OSS = _xml_spec(
    "seed_oss",
    "<seed:tool_call>",
    "</seed:tool_call>",
    reasoning=Reasoning(open=("<seed:think>",), close=("</seed:think>",)),
    think=("<seed:think>", "</seed:think>\n"),
    end_tokens=("<seed:eos>",),
    tool_result=Template("<seed:bos>tool\n{content}<seed:eos>"),
)


def _glm_build(text: str) -> list[ToolCall] | None:
    m = _GLM_CALL.fullmatch(text)
    if m is None:
        return None
    call = make_call(m.group(1), _typed_args(_GLM_ARG.findall(m.group(2) or ""), padded=False))
    return None if call is None else [call]


def _glm_call(call: ToolCall) -> str:
    args = _params(call, "<arg_key>{key}</arg_key>\n<arg_value>{value}</arg_value>\n")
    name = check_plain(call.name, "tool name", _GLM_NAME_FORBIDDEN)
    return f"<tool_call>{name}\n{args}</tool_call>"


GLM45 = FormatSpec(
    name="glm45",
    openers=(
        Opener(marker="<tool_call>", reader=RawBody(build=_glm_build, close=("</tool_call>",), whole=_glm_whole)),
    ),
    reasoning=(THINK_BLOCK,),
    end_tokens=("<|user|>", "<|observation|>", "<|endoftext|>"),
    render=Layout(think=THINK, calls=each(_glm_call)),
    tool_result=Template("<tool_response>\n{content}\n</tool_response>"),
)


def _minimax_build(text: str) -> list[ToolCall] | None:
    return _calls_from_blocks(text, _MINIMAX_INVOKE, _MINIMAX_PARAM)


def _minimax_invoke(call: ToolCall) -> str:
    params = _params(call, '<parameter name="{key}">{value}</parameter>\n')
    return f'<invoke name="{check_plain(call.name, "tool name")}">\n{params}</invoke>'


MINIMAX_M2 = FormatSpec(
    name="minimax_m2",
    openers=(
        Opener(
            marker="<minimax:tool_call>",
            reader=RawBody(
                build=_minimax_build,
                expect=("<invoke",),
                close=("</minimax:tool_call>",),
                whole=_ends_with("</invoke>"),
                unclosed_ok=True,
            ),
        ),
    ),
    reasoning=(THINK_BLOCK,),
    end_tokens=("[e~[",),
    render=Layout(
        think=THINK,
        calls=lambda calls: "<minimax:tool_call>\n" + each(_minimax_invoke)(calls) + "\n</minimax:tool_call>",
    ),
    tool_result=Template("<response>{content}</response>"),
)

SPECS = (QWEN3_CODER, SEED_OSS, GLM45, MINIMAX_M2)
