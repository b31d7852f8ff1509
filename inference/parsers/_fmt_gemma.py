"""FunctionGemma and Gemma 4: `call:NAME{key:<escape>text<escape>,n:3}` between call tokens.

Strings are delimited by an escape token (`<escape>`, or `<|"|>` for Gemma 4); other values are raw
JSON literals, read as typed values (`n:3` is the number 3, unlike vLLM's all-strings helper).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from inference.parsers._decode import make_call
from inference.parsers._readers import RawBody
from inference.parsers._render import Layout, Template, check_plain, each
from inference.parsers._spec import FormatSpec, Opener, Reasoning
from tools import ToolCall

_CALL = re.compile(r"\s*call:([\w.\-]+)\s*(?=\{)")
_BARE_END = re.compile(r"\s*[,}\]]")
_KEY_CHARS = ":,{}[]<>\n"


class _ArgsReader:
    """A small recursive-descent reader of Gemma's argument syntax."""

    def __init__(self, text: str, escape: str) -> None:
        self.s = text
        self.i = 0
        self.esc = escape

    def _skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def _expect(self, char: str) -> None:
        self._skip()
        if not self.s.startswith(char, self.i):
            raise ValueError(f"expected {char!r} at {self.i}")
        self.i += 1

    def value(self) -> Any:
        self._skip()
        s, i = self.s, self.i
        if s.startswith(self.esc, i):
            end = s.find(self.esc, i + len(self.esc))
            if end < 0:
                raise ValueError("unterminated string")
            self.i = end + len(self.esc)
            return s[i + len(self.esc) : end]
        if s.startswith("{", i):
            return self.obj()
        if s.startswith("[", i):
            return self.items("[", "]", lambda: None)
        end = i
        while end < len(s) and s[end] not in ",}]":
            end += 1
        self.i = end
        raw = s[i:end].strip()
        try:
            return json.loads(raw)
        except ValueError:
            if not raw:
                raise
            return raw

    def items(self, opener: str, closer: str, key: Callable[[], str | None]) -> Any:
        self._expect(opener)
        keys: list[str | None] = []
        values: list[Any] = []
        self._skip()
        if self.s.startswith(closer, self.i):
            self.i += 1
        else:
            while True:
                keys.append(key())
                values.append(self.value())
                self._skip()
                if self.s.startswith(closer, self.i):
                    self.i += 1
                    break
                self._expect(",")
        if opener == "[":
            return values
        return dict(zip(keys, values, strict=True))

    def key(self) -> str:
        self._skip()
        if self.s.startswith(self.esc, self.i):
            name = self.value()
        else:
            end = self.s.find(":", self.i)
            if end < 0:
                raise ValueError("missing ':'")
            name = self.s[self.i : end].strip()
            self.i = end
        self._expect(":")
        if not isinstance(name, str) or not name:
            raise ValueError("bad key")
        return name

    def obj(self) -> dict[str, Any]:
        result: dict[str, Any] = self.items("{", "}", self.key)
        return result


def gemma_calls(text: str, escape: str) -> list[ToolCall] | None:
    """Every `call:NAME{...}` in text (nothing else but whitespace allowed)."""
    calls: list[ToolCall] = []
    pos = 0
    while pos < len(text.rstrip()):
        m = _CALL.match(text, pos)
        if m is None:
            return None
        reader = _ArgsReader(text, escape)
        reader.i = m.end()
        try:
            args = reader.obj()
        except (ValueError, RecursionError):
            return None
        call = make_call(m.group(1), args)
        if call is None:
            return None
        calls.append(call)
        pos = reader.i
    return calls or None


def gemma_value(value: Any, escape: str) -> str:
    """Write a JSON value in Gemma's argument syntax.

    Raises:
        ValueError: a string holds the escape token, or a key cannot be written bare.
    """
    if isinstance(value, str):
        if escape in value:
            raise ValueError(f"string {value!r} holds the escape token {escape!r}")
        return escape + value + escape
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{check_plain(k, 'argument', _KEY_CHARS)}:{gemma_value(v, escape)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(gemma_value(v, escape) for v in value) + "]"
    return json.dumps(value)


def _spec(
    name: str,
    *,
    escape: str,
    opener: str,
    closer: str,
    end_tokens: tuple[str, ...],
    reasoning: tuple[Reasoning, ...],
    think: tuple[str, str] | None,
    result: str,
    bare: bool,
) -> FormatSpec:
    def build(text: str) -> list[ToolCall] | None:
        return gemma_calls(text, escape)

    def write(call: ToolCall) -> str:
        return (
            f"{opener}call:{check_plain(call.name, 'tool name', _KEY_CHARS)}"
            f"{gemma_value(call.arguments, escape)}{closer}"
        )

    def whole(body: str) -> bool:  # the arguments' braces closed, and no escaped string left open
        return body.rstrip().endswith("}") and body.count(escape) % 2 == 0

    body = RawBody(build=build, expect=("call:",), close=(closer,), stop=end_tokens, whole=whole, unclosed_ok=True)
    openers = [Opener(marker=opener, reader=body)]
    if bare:  # vLLM's fallback: a reply that is just `call:NAME{...}`
        openers.append(Opener(marker="call:", reader=RawBody(build=build, stop=end_tokens), at_start=True))
    return FormatSpec(
        name=name,
        openers=tuple(openers),
        reasoning=reasoning,
        end_tokens=end_tokens,
        drop=(closer,),
        render=Layout(think=think, calls=each(write, sep="")),
        tool_result=Template(result),
    )


FUNCTIONGEMMA = _spec(
    "functiongemma",
    escape="<escape>",
    opener="<start_function_call>",
    closer="<end_function_call>",
    end_tokens=("<end_of_turn>", "<start_function_response>", "<eos>"),
    reasoning=(),
    think=None,
    result="<start_function_response>response:{name}{{value:<escape>{content}<escape>}}<end_function_response>",
    bare=False,
)

GEMMA4 = _spec(
    "gemma4",
    escape='<|"|>',
    opener="<|tool_call>",
    closer="<tool_call|>",
    end_tokens=("<turn|>", "<eos>"),
    reasoning=(Reasoning(open=("<|channel>thought",), close=("<channel|>",)),),
    think=("<|channel>thought\n", "<channel|>"),
    result='<|tool_response>response:{name}{{value:<|"|>{content}<|"|>}}<tool_response|>',
    bare=True,
)

SPECS = (FUNCTIONGEMMA, GEMMA4)
