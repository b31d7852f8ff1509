"""Call-body readers: a JSON/Python-literal body (with optional header, fence and closing markers) and a
raw body that runs to a closing marker (XML families, Gemma). Formats configure them; the machine runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from inference.parsers._decode import OVER_ESCAPED
from inference.parsers._scan import MarkerSet, ValueScanner, partial_prefix, skip_ws, ws_settles
from inference.parsers._spec import Cut, Done, Outcome, Reject
from tools import ToolCall

Built = list[ToolCall] | Done | None
_FENCE = "```"
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_MAX_FENCE_LINE = 64
_NEVER = re.compile(r"(?!)").search
_CLOSER = re.compile(r"[}\])]").search


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonBody:
    """A body of one or more bracketed values (JSON, Python literals, or Python calls).

    Layout after the opener: optional fence line, optional header (matched whole by `header`), the
    value(s), then the optional closing literals in order (each may be missing, as at end of output).
    """

    build: Callable[[list[str], re.Match[str] | None], Built]
    starts: str = "{["
    pythonic: bool = False
    """A value may also be a call `name(...)`."""
    multi: bool = False
    """Several values, separated by whitespace, `,` or `;`."""
    fence: bool = True
    close: tuple[str, ...] = ()
    header: re.Pattern[str] | None = None
    header_until: str = ""
    """A literal that ends the header (consumed); empty: the header ends before the first `{`."""
    header_optional: bool = False
    """No header when the body starts with a value (Mistral's pre-v11 array after `[TOOL_CALLS]`)."""
    route: Callable[[re.Match[str]], Outcome | None] | None = None
    """Decides from the header whether this is a call at all (harmony channels)."""
    cut: re.Pattern[str] | None = None
    """A header the end of output cut off that matches this is dropped, not given back as text."""
    max_header: int = 512
    empty: tuple[str, ...] = ()
    """Closing literals that may follow the opener at once: an empty body, which holds no call (Kimi's
    empty tool-call section)."""

    def __call__(self, opener: str) -> JsonReader:
        return JsonReader(self)


_FENCE_ST, _HEADER, _VALUE, _IN, _POST, _CLOSE = range(6)


class JsonReader:
    """Runs a `JsonBody` incrementally (see `BodyReader`)."""

    __slots__ = (
        "_b",
        "_parts",
        "_size",
        "_state",
        "_spans",
        "_scan",
        "_match",
        "_ci",
        "_fenced",
        "_fence_closed",
    )

    def __init__(self, body: JsonBody) -> None:
        self._b = body
        self._parts: list[str] = []
        self._size = 0
        self._state = _FENCE_ST if body.fence else (_HEADER if body.header is not None else _VALUE)
        self._spans: list[int] = []
        self._scan = ValueScanner()
        self._match: re.Match[str] | None = None
        self._ci = 0
        self._fenced = self._fence_closed = False

    def raw(self) -> str:
        return "".join(self._parts)

    def gate(self) -> Callable[[str], object] | None:
        # Inside a value only a closing bracket can end it.
        return _CLOSER if self._state == _IN else None

    def waits_on(self, text: str) -> bool:
        """Whether `text` (all there is left) cannot yet decide the header or the closing literal."""
        b = self._b
        if self._state == _HEADER:
            stripped = text.lstrip(" \t\r\n")
            if b.header_optional and (not stripped or stripped[0] in b.starts):
                return False
            return (b.header_until or "{") not in text and len(text) < b.max_header
        closes = ((_FENCE,) if self._fenced else ()) + b.close
        if self._state != _CLOSE or self._ci >= len(closes):
            return False
        rest = text.lstrip(" \t\r\n")
        literal = closes[self._ci]
        return len(rest) < len(literal) and literal.startswith(rest) and len(text) - len(rest) < 64

    def _take(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._size += len(text)

    def step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        while True:
            pos, outcome, go_on = _STEPS[self._state](self, buf, pos, final)
            if outcome is not None or not go_on:
                return pos, outcome

    def _next_after_fence(self) -> int:
        return _HEADER if self._b.header is not None else _VALUE

    def _fence_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        q = skip_ws(buf, pos)
        if ws_settles(buf, pos, q):
            pass
        elif buf.startswith(_FENCE, q):
            nl = buf.find("\n", q)
            if nl < 0:
                if final or len(buf) - q > _MAX_FENCE_LINE:
                    return pos, Reject(), False
                return pos, None, False
            self._take(buf[pos : nl + 1])
            self._fenced = True
            pos = nl + 1
        elif not final and len(buf) - q < 3 and _FENCE.startswith(buf[q:]):
            return pos, None, False
        self._state = self._next_after_fence()
        return pos, None, True

    def _header_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        # Nothing is consumed until the header is decided, so a rejected header is scanned again as
        # text, the same whatever the chunking (the wait is bounded by max_header).
        b = self._b
        if b.empty:
            q = skip_ws(buf, pos)
            found, wait = partial_prefix(buf, q, b.empty)
            if found is not None:
                self._take(buf[pos : q + len(found)])
                return q + len(found), Done([]), False
            if (wait or q == len(buf)) and not final:
                return pos, None, False
        if b.header_optional:
            q = skip_ws(buf, pos)
            if q == len(buf) and not final:
                return pos, None, False
            if q < len(buf) and buf[q] in b.starts:
                self._state = _VALUE
                return pos, None, True
        until = b.header_until or "{"
        idx = buf.find(until, pos, pos + b.max_header + len(until))
        if idx < 0:
            if final and skip_ws(buf, pos) == len(buf):
                return pos, Cut(), False  # the output ended right after the opener: a call that never was
            if final and b.cut is not None and b.cut.fullmatch(buf, pos):
                self._take(buf[pos:])  # a header the end of output cut off: dropped, never text
                return len(buf), Done([]), False
            if final or len(buf) - pos >= b.max_header + len(until):
                return pos, Reject(code=self._fenced), False
            return pos, None, False
        end = idx + len(b.header_until)
        assert b.header is not None
        self._match = b.header.fullmatch(buf, pos, idx)
        if self._match is None:
            return pos, Reject(code=self._fenced), False
        self._take(buf[pos:end])
        if b.route is not None:
            routed = b.route(self._match)
            if routed is not None:
                return end, routed, False
        self._state = _VALUE
        return end, None, True

    def _value_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        q = skip_ws(buf, pos)
        if ws_settles(buf, pos, q):
            q = len(buf) + 1  # as if nothing followed
        elif q == len(buf) and not final:
            return pos, None, False
        starts_value = q < len(buf) and buf[q] in self._b.starts
        if not starts_value and q < len(buf) and self._b.pythonic:
            m = _IDENT.match(buf, q)
            if m is not None:
                if m.end() == len(buf) and not final and m.end() - q < 128:
                    return pos, None, False
                starts_value = buf.startswith("(", m.end())
        if starts_value:
            self._take(buf[pos:q])
            self._spans.append(self._size)
            self._scan = ValueScanner()
            self._state = _IN
            return q, None, True
        if not self._spans:
            return pos, (Cut() if q >= len(buf) and final else Reject(code=self._fenced)), False
        self._state = _CLOSE
        return pos, None, True

    def _in_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        end = self._scan.scan(buf, pos)
        if end is None:
            self._take(buf[pos:])
            if final and self._over_escaped():
                self._state = _CLOSE
                return len(buf), None, True
            # The output ended inside the value: a call cut off is never repaired into one.
            return len(buf), (Cut() if final else None), False
        self._take(buf[pos:end])
        self._spans.append(self._size)
        self._state = _POST if self._b.multi else _CLOSE
        return end, None, True

    def _over_escaped(self) -> bool:
        """An over-escaped value (`{\\"q\\": 1}`), whose quotes the scan cannot pair, ran to the end of
        output: it ends before the closing literals that end the output."""
        value = self.raw()[self._spans[-1] :]
        if not value.startswith(OVER_ESCAPED):
            return False
        end = len(value.rstrip())
        for literal in reversed(self._b.close):
            if value.startswith(literal, end - len(literal)):
                end = len(value[: end - len(literal)].rstrip())
        self._spans.append(self._spans[-1] + end)
        return True

    def _post_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        q = skip_ws(buf, pos)
        if ws_settles(buf, pos, q):
            q = len(buf) + 1
        elif q == len(buf) and not final:
            return pos, None, False
        if q < len(buf) and buf[q] in ",;":
            self._take(buf[pos : q + 1])
            self._state = _VALUE
            return q + 1, None, True
        self._state = _VALUE if q < len(buf) and buf[q] in self._b.starts else _CLOSE
        return pos, None, True

    def _close_step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None, bool]:
        closes = ((_FENCE,) if self._fenced else ()) + self._b.close
        while self._ci < len(closes):
            literal = closes[self._ci]
            q = skip_ws(buf, pos)
            if ws_settles(buf, pos, q):
                pass
            elif buf.startswith(literal, q):
                self._take(buf[pos : q + len(literal)])
                pos = q + len(literal)
                self._fence_closed = self._fence_closed or literal == _FENCE
            elif not final and len(buf) - q < len(literal) and literal.startswith(buf[q:]):
                return pos, None, False
            self._ci += 1
        return pos, self._done(), False

    def _done(self) -> Outcome:
        raw = self.raw()
        spans = self._spans
        texts = [raw[spans[i] : spans[i + 1]] for i in range(0, len(spans), 2)]
        built = self._b.build(texts, self._match)
        if isinstance(built, Done):
            return built
        if built is None:
            return Reject(code=self._fenced and not self._fence_closed)
        return Done(built)


_STEPS = (
    JsonReader._fence_step,
    JsonReader._header_step,
    JsonReader._value_step,
    JsonReader._in_step,
    JsonReader._post_step,
    JsonReader._close_step,
)
"""The step for each state, in state order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawBody:
    """A body of raw text up to a closing marker, read by `build` once complete."""

    build: Callable[[str], list[ToolCall] | None]
    close: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    """Markers that end the body without being part of it (end-of-turn tokens)."""
    expect: tuple[str, ...] = ()
    """The body must begin, after whitespace, with one of these (else it is prose naming the opener)."""
    keep_opener: bool = False
    whole: Callable[[str], bool] | None = None
    """Whether the body read so far holds its inner closers (Qwen's `</function>`): only then does a closing
    marker end it (an earlier one is text inside a value), and only then may the turn end without one.
    None: the first closing marker ends the body, and a turn that ends before it cuts the call off."""
    unclosed_ok: bool = False
    """A whole body may end the turn without its closing marker (Qwen stops after `</function>`)."""
    keeps_complete: bool = False
    """A body the end of output cut off keeps the complete calls before the cut (a section of several
    calls, each closed on its own: DeepSeek's DSML, Kimi K3); the cut one is dropped, never run."""

    def __call__(self, opener: str) -> RawReader:
        return RawReader(self, opener)


class Collector:
    """What a reader consumed (`raw()`, given back on a Reject) and the part it keeps as the body."""

    __slots__ = ("_parts", "_kept")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._kept: list[str] = []

    def raw(self) -> str:
        return "".join(self._parts)

    def _take(self, text: str, *, keep: bool = True) -> None:
        self._parts.append(text)
        if keep:
            self._kept.append(text)


class RawReader(Collector):
    """Runs a `RawBody` incrementally (see `BodyReader`)."""

    __slots__ = ("_b", "_opener", "_checked", "_markers")

    def __init__(self, body: RawBody, opener: str) -> None:
        super().__init__()
        self._b = body
        self._opener = opener
        self._checked = not body.expect
        self._markers = MarkerSet({**{m: False for m in body.stop}, **{m: True for m in body.close}})

    def waits_on(self, text: str) -> bool:
        return False

    def gate(self) -> Callable[[str], object] | None:
        if not self._checked:
            return None
        return self._markers.special or _NEVER

    def step(self, buf: str, pos: int, final: bool) -> tuple[int, Outcome | None]:
        if not self._checked:
            q = skip_ws(buf, pos)
            found, wait = partial_prefix(buf, q, self._b.expect)
            if found is None:
                if final and q == len(buf):
                    return pos, Cut()
                return pos, (None if wait and not final else Reject())
            self._checked = True
        markers = self._markers
        while True:
            m = markers.find(buf, pos)
            if m is None:
                cut = len(buf) if final else markers.tail(buf, pos)
                self._take(buf[pos:cut])
                return cut, (self._ended() if final else None)
            if not final and markers.must_wait(buf, m.start()):
                self._take(buf[pos : m.start()])
                return m.start(), None
            self._take(buf[pos : m.start()])
            if not markers.actions[m.group()]:
                return m.start(), self._ended()
            if self._whole():
                self._take(m.group(), keep=False)
                return m.end(), self._done()
            self._take(m.group())  # a closing marker inside a value (the call's own closers are not all there)
            pos = m.end()

    def _whole(self) -> bool:
        whole = self._b.whole
        return whole is None or whole("".join(self._kept))

    def _ended(self) -> Outcome:
        """The turn ended before the closing marker: a body without one, or whole, or ending in a closing
        marker that a value seemed to hold, is read; else a body that began as a call (`expect`), or reads
        as one, is cut off; any other is text."""
        b = self._b
        body = "".join(self._kept).rstrip()
        closer = next((c for c in b.close if body.endswith(c)), None)
        if closer is not None:
            self._kept = [body[: -len(closer)]]
            return self._done()
        if not b.close or (b.whole is not None and b.unclosed_ok and self._whole()):
            return self._done()
        if b.keeps_complete and isinstance(kept := self._done(), Done):
            return kept
        if b.expect:
            return Cut()
        done = self._done()
        return Cut() if isinstance(done, Done) else done

    def _done(self) -> Outcome:
        text = (self._opener if self._b.keep_opener else "") + "".join(self._kept)
        calls = self._b.build(text)
        return Reject() if calls is None else Done(calls)
