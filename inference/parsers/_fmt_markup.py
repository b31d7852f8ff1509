"""Markup formats whose values say their own type: DeepSeek's DSML (V3.2, V4, V4.1) and Kimi K3's XTML.

A string value is raw text, kept verbatim (no stripping, no escapes); any other value is JSON. Both read
a whole calls section; a call cut off at the end of output is dropped, the complete ones before it kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from inference.parsers._decode import make_call, typed_value
from inference.parsers._fmt_tagged import THINK_BLOCK
from inference.parsers._readers import RawBody
from inference.parsers._render import PLAIN, THINK, Layout, Template, check_plain
from inference.parsers._spec import FormatSpec, Opener, Reasoning
from inference.parsers._types import ParsedTurn
from tools import ToolCall

_WS = re.compile(r"\s*")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_UNESCAPE = (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _attrs(text: str) -> dict[str, str]:
    found = {}
    for key, value in _ATTR.findall(text):
        for entity, char in _UNESCAPE:
            value = value.replace(entity, char)
        found[key] = value
    return found


def _escape_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;")


def _value(raw: str, is_string: bool) -> Any:
    return raw if is_string else typed_value(raw)


def _text(value: Any) -> str:
    """The inverse of `_value`: a string as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _calls(text: str, read_call: Callable[[str, int], tuple[ToolCall, int] | None]) -> list[ToolCall] | None:
    """Calls read one after another from the start of a section body; the first that does not read
    (cut off, or not a call) ends the list. No complete call at all is no call."""
    calls: list[ToolCall] = []
    pos = 0
    while (found := read_call(text, _WS.match(text, pos).end())) is not None:  # type: ignore[union-attr]
        call, pos = found
        calls.append(call)
    return calls or None


# -- DeepSeek DSML ---------------------------------------------------------------------------------

_DS_END = ("<｜end▁of▁sentence｜>",)


class _Dsml:
    """One DSML spelling: `<｜DSML｜function_calls>` (V3.2), `<｜DSML｜tool_calls>` (V4) or
    `<｜DSML｜ calls>` (V4.1), each holding `invoke` elements of `parameter` elements."""

    def __init__(self, tag: str, section: str) -> None:
        self.tag = tag
        self.open = f"<{tag}{section}>"
        self.close = f"</{tag}{section}>"
        t = re.escape(tag)
        self._invoke = re.compile(rf'<{t}invoke\s+name="([^"]*)"\s*(/?)>')
        self._param = re.compile(rf'<{t}parameter\s+name="([^"]*)"\s+string="(true|false)"\s*>')
        self._param_end = f"</{tag}parameter>"
        self._invoke_end = f"</{tag}invoke>"

    def read_call(self, text: str, pos: int) -> tuple[ToolCall, int] | None:
        m = self._invoke.match(text, pos)
        if m is None:
            return None
        args: dict[str, Any] = {}
        pos = m.end()
        if not m.group(2):
            while not text.startswith(self._invoke_end, pos := _WS.match(text, pos).end()):  # type: ignore[union-attr]
                p = self._param.match(text, pos)
                end = text.find(self._param_end, p.end()) if p is not None else -1
                if p is None or end < 0:
                    return None
                args[p.group(1)] = _value(text[p.end() : end], p.group(2) == "true")
                pos = end + len(self._param_end)
            pos += len(self._invoke_end)
        call = make_call(m.group(1), args)
        return None if call is None else (call, pos)

    def build(self, text: str) -> list[ToolCall] | None:
        return _calls(text, self.read_call)

    def write(self, calls: Sequence[ToolCall]) -> str:
        return "\n".join([self.open, *map(self._invoke_text, calls), self.close])

    def _invoke_text(self, call: ToolCall) -> str:
        params = []
        for key, value in call.arguments.items():
            kind = "true" if isinstance(value, str) else "false"
            name = check_plain(key, "argument")
            params.append(f'<{self.tag}parameter name="{name}" string="{kind}">{_text(value)}{self._param_end}')
        head = f'<{self.tag}invoke name="{check_plain(call.name, "tool name")}">'
        return "\n".join([head, *params, self._invoke_end])


def _dsml_spec(name: str, tag: str, section: str) -> FormatSpec:
    dsml = _Dsml(tag, section)
    return FormatSpec(
        name=name,
        openers=(
            Opener(
                marker=dsml.open,
                reader=RawBody(
                    build=dsml.build, expect=(f"<{tag}invoke",), close=(dsml.close,), stop=_DS_END, keeps_complete=True
                ),
            ),
        ),
        reasoning=(THINK_BLOCK,),
        end_tokens=_DS_END,
        drop=(dsml.close,),
        render=Layout(think=THINK, calls=dsml.write, sep="\n\n"),
        tool_result=Template("<result>{content}</result>"),
    )


DEEPSEEK_V3_2 = _dsml_spec("deepseek_v3_2", "｜DSML｜", "function_calls")
DEEPSEEK_V4 = _dsml_spec("deepseek_v4", "｜DSML｜", "tool_calls")
DEEPSEEK_V4_1 = _dsml_spec("deepseek_v4_1", "｜DSML｜ ", "calls")

# -- Kimi K3 XTML ----------------------------------------------------------------------------------


def _open(name: str) -> str:
    return f"<|open|>{name}<|sep|>"


def _close(name: str) -> str:
    return f"<|close|>{name}<|sep|>"


_K3_CALL = re.compile(r"<\|open\|>call((?:\s+[\w-]+=\"[^\"]*\")*)\s*<\|sep\|>")
_K3_ARG = re.compile(r"<\|open\|>argument((?:\s+[\w-]+=\"[^\"]*\")*)\s*<\|sep\|>")
_K3_ARG_END = _close("argument")
_K3_CALL_END = _close("call")
_K3_TYPES = ((bool, "boolean"), (str, "string"), (int, "number"), (float, "number"), (list, "array"), (dict, "object"))


def _k3_value_end(text: str, pos: int) -> int | None:
    """Where an argument value starting at `pos` ends: at the first `<|close|>argument<|sep|>` that the
    next argument or the end of the call follows. A value may hold the closing marker as text (the
    encoder writes it as ordinary tokens), so the first marker is not necessarily the end."""
    end = text.find(_K3_ARG_END, pos)
    while end >= 0:
        after = _WS.match(text, end + len(_K3_ARG_END)).end()  # type: ignore[union-attr]
        if text.startswith(_K3_CALL_END, after) or _K3_ARG.match(text, after):
            return end
        end = text.find(_K3_ARG_END, end + 1)
    return None


def _k3_read_call(text: str, pos: int) -> tuple[ToolCall, int] | None:
    m = _K3_CALL.match(text, pos)
    if m is None:
        return None
    args: dict[str, Any] = {}
    pos = m.end()
    while not text.startswith(_K3_CALL_END, pos := _WS.match(text, pos).end()):  # type: ignore[union-attr]
        arg = _K3_ARG.match(text, pos)
        end = _k3_value_end(text, arg.end()) if arg is not None else None
        if arg is None or end is None:
            return None
        attrs = _attrs(arg.group(1))
        args[attrs.get("key", "")] = _value(text[arg.end() : end], attrs.get("type") == "string")
        pos = end + len(_K3_ARG_END)
    call = make_call(_attrs(m.group(1)).get("tool"), args)
    return None if call is None else (call, pos + len(_K3_CALL_END))


def _k3_build(text: str) -> list[ToolCall] | None:
    return _calls(text, _k3_read_call)


def _k3_type(value: Any) -> str:
    return next((name for kind, name in _K3_TYPES if isinstance(value, kind)), "null")


def _k3_call(call: ToolCall, index: int) -> str:
    args = "".join(
        f'<|open|>argument key="{_escape_attr(key)}" type="{_k3_type(value)}"<|sep|>{_text(value)}{_K3_ARG_END}'
        for key, value in call.arguments.items()
    )
    return f'<|open|>call tool="{_escape_attr(call.name)}" index="{index}"<|sep|>{args}{_K3_CALL_END}'


def _k3_render(turn: ParsedTurn) -> str:
    think = _open("think") + turn.reasoning + _close("think") if turn.reasoning else ""
    response = _open("response") + (turn.content or "") + _close("response")
    calls = "".join(_k3_call(call, i) for i, call in enumerate(turn.tool_calls, start=1))
    return think + response + (_open("tools") + calls + _close("tools") if calls else "")


_K3_END = (_close("message"), "<|end_of_msg|>")

KIMI_K3 = FormatSpec(
    name="kimi_k3",
    openers=(
        Opener(
            marker=_open("tools"),
            reader=RawBody(
                build=_k3_build, expect=("<|open|>call",), close=(_close("tools"),), stop=_K3_END, keeps_complete=True
            ),
        ),
    ),
    # The prompt opens the think channel (or, without thinking, the response channel); a model that
    # skips thinking opens the response channel itself, which ends the reasoning just as well.
    reasoning=(Reasoning(open=(_open("think"),), close=(_close("think"), _open("response")), calls_inside=True),),
    end_tokens=_K3_END,
    drop=(_open("response"), _close("response"), _close("tools")),
    markdown=False,
    render=_k3_render,
    tool_result=PLAIN,
)

SPECS = (DEEPSEEK_V3_2, DEEPSEEK_V4, DEEPSEEK_V4_1, KIMI_K3)
