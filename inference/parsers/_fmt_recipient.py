"""Functionary v3.2's recipient segments: `NAME\\n{json}`, `all\\n<text>` and `python\\n<code>`.

A segment follows `>>>`, except the first, which follows the prompt's own `>>>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from inference.parsers._decode import decode_all, make_call
from inference.parsers._readers import Collector
from inference.parsers._scan import MarkerSet, ValueScanner, skip_ws
from inference.parsers._spec import Done, Outcome, Reject, Switch
from tools import ToolCall

_HEAD = re.compile(r"(\w+)\n")
_WORD = re.compile(r"\w*")
_MAX_NAME = 64
_NEXT = MarkerSet({">>>": True})


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientBody:
    code_call: Callable[[str], list[ToolCall] | None]
    """Builds the call for raw `python` code."""

    def __call__(self, opener: str) -> RecipientReader:
        return RecipientReader(self)


class RecipientReader(Collector):
    """Reads one segment (see `BodyReader`); keeps the JSON value or the code."""

    __slots__ = ("_b", "_name", "_scan", "_code")

    def __init__(self, body: RecipientBody) -> None:
        super().__init__()
        self._b = body
        self._name = ""
        self._scan: ValueScanner | None = None
        self._code = False

    def gate(self) -> Callable[[str], object] | None:
        return None

    def waits_on(self, text: str) -> bool:
        return False

    def step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        if not self._name:
            head = _HEAD.match(buf, pos)
            if head is None:
                word_end = _WORD.match(buf, pos).end()  # type: ignore[union-attr]
                if not final and word_end == len(buf) and word_end - pos < _MAX_NAME:
                    return pos, None
                return pos, Reject()
            self._take(head.group(), keep=False)
            if head.group(1) == "all":
                return head.end(), Switch()
            self._name = head.group(1)
            pos = head.end()
        if self._scan is None and not self._code:
            q = skip_ws(buf, pos)
            if q == len(buf) and not final:
                return pos, None
            if buf.startswith("{", q):
                self._take(buf[pos:q], keep=False)
                self._scan = ValueScanner()
                pos = q
            elif self._name == "python":
                self._code = True
            else:
                return pos, Reject()
        return self._code_step(buf, pos, final) if self._code else self._value_step(buf, pos, final)

    def _value_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        assert self._scan is not None
        end = self._scan.scan(buf, pos)
        self._take(buf[pos : len(buf) if end is None else end])
        if end is None and not final:
            return len(buf), None
        values = decode_all(["".join(self._kept)]) if end is not None else None
        call = make_call(self._name, values[0]) if values else None
        return (len(buf) if end is None else end), (Reject() if call is None else Done([call]))

    def _code_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        m = _NEXT.find(buf, pos)
        cut = m.start() if m is not None else (len(buf) if final else _NEXT.tail(buf, pos))
        self._take(buf[pos:cut])
        if m is None and not final:
            return cut, None
        calls = self._b.code_call("".join(self._kept))
        return cut, (Reject() if calls is None else Done(calls))
