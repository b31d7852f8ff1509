"""The stream machine: runs any `FormatSpec` over text fed in chunks, emits deltas, builds the turn.

One-shot parsing is the same machine fed once, so streaming and one-shot cannot disagree. Text is
scanned once; only a short tail that could still become a marker is held back between chunks.
"""

from __future__ import annotations

import json
import re
from functools import cache

from inference.parsers._scan import MarkerSet, partial_prefix, skip_ws
from inference.parsers._spec import BodyReader, Done, FormatSpec, Opener, Reasoning, Reject, Switch
from inference.parsers._types import ContentDelta, Delta, ParsedTurn, ReasoningDelta, ToolCallDelta
from tools import ToolCall

_CONTENT, _REASONING, _CODE, _BODY = range(4)
_DROP, _THINK, _UNTHINK, _OPEN, _FENCE, _TICK, _ENDCODE = range(7)
Action = tuple[int, object]
_FENCE_MARK = "```"
_FENCE_LOOKAHEAD = 256
_never = re.compile(r"(?!)").search

# The hot path makes one delta per chunk; building frozen dataclasses through their generated
# __init__ (object.__setattr__ per field) costs about half the per-chunk budget, so set the slot directly.
_new = object.__new__
_set_content = ContentDelta.__dict__["text"].__set__
_set_reasoning = ReasoningDelta.__dict__["text"].__set__


def _content_delta(text: str) -> Delta:
    delta = _new(ContentDelta)
    _set_content(delta, text)
    return delta


def _reasoning_delta(text: str) -> Delta:
    delta = _new(ReasoningDelta)
    _set_reasoning(delta, text)
    return delta


class _Sink:
    """Accumulates content or reasoning, stripped: leading whitespace dropped, trailing held back."""

    __slots__ = ("parts", "_lead", "_pending")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._lead = True
        self._pending = ""

    def push(self, text: str) -> str:
        """Add text; return what is now certain to be part of the final value."""
        if self._lead:
            text = text.lstrip()
            if not text:
                return ""
            self._lead = False
        body = text.rstrip()
        if not body:
            self._pending += text
            return ""
        if self._pending:
            body = self._pending + body
        self._pending = text[len(text.rstrip()) :]
        self.parts.append(body)
        return body

    def segment(self) -> None:
        """Start a new block (reasoning): stripped on its own, joined to the last with a newline."""
        self._lead = True
        self._pending = "\n" if self.parts else ""

    def value(self) -> str | None:
        return "".join(self.parts) or None


class Tables:
    """The marker tables of one format, built once and shared by all its streams."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        inline = [o for o in spec.openers if not o.at_start]
        content: dict[str, Action] = {}
        for block in spec.reasoning:
            content.update({c: (_DROP, None) for c in block.close})
        content.update({t: (_DROP, None) for t in spec.drop + spec.end_tokens})
        if spec.markdown:
            content.update({_FENCE_MARK: (_FENCE, None), "``": (_TICK, None), "`": (_TICK, None)})
        for block in spec.reasoning:
            if not block.at_start:
                content.update({o: (_THINK, block) for o in block.open})
        content.update({o.marker: (_OPEN, o) for o in inline})
        self.content = MarkerSet(content)
        start: list[tuple[str, Action]] = [(o.marker, (_OPEN, o)) for o in spec.openers if o.at_start]
        for block in spec.reasoning:
            if block.at_start:
                start.extend((o, (_THINK, block)) for o in block.open)
        self.start = sorted(start, key=lambda item: -len(item[0]))
        self.fence_openers = {o.marker: o for o in inline}
        self.reasoning: dict[Reasoning, MarkerSet[Action]] = {}
        for block in spec.reasoning:
            acts: dict[str, Action] = {t: (_DROP, None) for t in spec.end_tokens}
            if block.calls_inside:
                acts.update({o.marker: (_OPEN, o) for o in inline})
            acts.update({c: (_UNTHINK, None) for c in block.close})
            self.reasoning[block] = MarkerSet(acts)
        self.code: dict[str, MarkerSet[Action]] = {}
        for closer in ("`", "``", _FENCE_MARK):
            acts = {t: (_DROP, None) for t in spec.end_tokens}
            acts[closer] = (_ENDCODE, None)
            if closer != _FENCE_MARK:
                acts["\n"] = (_ENDCODE, None)
            self.code[closer] = MarkerSet(acts)


@cache
def tables_for(spec: FormatSpec) -> Tables:
    return Tables(spec)


class FormatStream:
    """Incremental parser of one turn (see `TurnStream`)."""

    __slots__ = (
        "_t",
        "_collect",
        "_buf",
        "_out",
        "_mode",
        "_markers",
        "_fast",
        "_sink",
        "_make",
        "_content",
        "_reasoning",
        "_calls",
        "_block",
        "_reader",
        "_origin",
        "_opener_text",
        "_fresh",
        "_start_spent",
        "_fence_pending",
        "_closed",
    )

    def __init__(self, tables: Tables, *, thinking_open: bool = False, collect: bool = True) -> None:
        self._t = tables
        self._collect = collect
        self._buf = ""
        self._out: list[Delta] = []
        self._content = _Sink()
        self._reasoning = _Sink()
        self._calls: list[ToolCall] = []
        self._block: Reasoning | None = None
        self._reader: BodyReader | None = None
        self._origin: tuple[int, Reasoning | None] = (_CONTENT, None)
        self._opener_text = ""
        self._fresh = True
        self._start_spent = False
        self._fence_pending = False
        self._closed = False
        self._mode = _CONTENT
        self._markers = tables.content
        self._sink = self._content
        self._make = _content_delta
        self._fast = None
        if thinking_open and tables.spec.reasoning:
            self._to_reasoning(tables.spec.reasoning[0])
        else:
            self._to_content()

    # -- public ----------------------------------------------------------------------------------

    def feed(self, chunk: str) -> list[Delta]:
        if self._closed:
            raise RuntimeError("feed() after close(): this stream's turn is finished")
        fast = self._fast
        if fast is not None and not self._buf and fast(chunk) is None:
            text = self._sink.push(chunk)
            return [self._make(text)] if text and self._collect else []
        self._buf += chunk
        self._run(False)
        out, self._out = self._out, []
        return out

    def close(self) -> list[Delta]:
        if self._closed:
            return []
        self._run(True)
        self._closed = True
        out, self._out = self._out, []
        return out

    def finish(self) -> ParsedTurn:
        self.close()
        return ParsedTurn(
            content=self._content.value(), reasoning=self._reasoning.value(), tool_calls=list(self._calls)
        )

    # -- modes -----------------------------------------------------------------------------------

    def _set_fast(self) -> None:
        text_mode = self._mode in (_CONTENT, _REASONING)
        if not text_mode or (self._mode == _CONTENT and (self._fresh or self._fence_pending)):
            self._fast = None
        else:
            self._fast = self._markers.special or _never

    def _to_content(self) -> None:
        self._mode = _CONTENT
        self._markers = self._t.content
        self._sink = self._content
        self._make = _content_delta
        self._fresh = not self._content.parts and not self._calls and not self._start_spent
        self._set_fast()

    def _to_reasoning(self, block: Reasoning, *, new_segment: bool = True) -> None:
        self._mode = _REASONING
        self._block = block
        self._markers = self._t.reasoning[block]
        self._sink = self._reasoning
        self._make = _reasoning_delta
        if new_segment:
            self._reasoning.segment()
        self._set_fast()

    def _to_code(self, closer: str) -> None:
        self._mode = _CODE
        self._markers = self._t.code[closer]
        self._sink = self._content
        self._make = _content_delta
        self._fast = None

    def _open(self, opener: Opener, marker: str) -> None:
        self._reader = opener.reader(marker)
        self._origin = (self._mode, self._block)
        self._opener_text = marker
        self._mode = _BODY
        self._fast = None

    def _emit(self, text: str) -> None:
        out = self._sink.push(text)
        if out and self._collect:
            self._out.append(self._make(out))

    # -- the loop --------------------------------------------------------------------------------

    def _run(self, final: bool) -> None:
        buf, pos = self._buf, 0
        again = True
        while again:
            if self._mode == _BODY:
                pos, again = self._body_step(buf, pos, final)
            else:
                pos, again = self._text_step(buf, pos, final)
        self._buf = buf[pos:] if pos else buf

    def _text_step(self, buf: str, pos: int, final: bool) -> tuple[int, bool]:
        if self._mode == _CONTENT and (self._fresh or self._fence_pending):
            pos, decided = self._peek_step(buf, pos, final)
            if not decided:
                return pos, False
            if self._mode != _CONTENT:
                return pos, True
        markers = self._markers
        while True:
            m = markers.find(buf, pos)
            if m is None:
                cut = len(buf) if final else markers.tail(buf, pos)
                if cut > pos:
                    self._emit(buf[pos:cut])
                return cut, False
            start = m.start()
            if not final and markers.must_wait(buf, start):
                if start > pos:
                    self._emit(buf[pos:start])
                return start, False
            if start > pos:
                self._emit(buf[pos:start])
            marker = m.group()
            kind, arg = markers.actions[marker]
            pos = m.end()
            if kind == _DROP:
                continue
            if kind == _FENCE:
                return self._fence_step(buf, start, final)
            if kind in (_TICK, _ENDCODE):
                self._emit(marker)
                if kind == _TICK:
                    self._to_code(marker)
                else:
                    self._to_content()
            elif kind == _THINK:
                assert isinstance(arg, Reasoning)
                self._to_reasoning(arg)
            elif kind == _UNTHINK:
                self._to_content()
            else:
                assert isinstance(arg, Opener)
                self._open(arg, marker)
            return pos, True

    def _peek_step(self, buf: str, pos: int, final: bool) -> tuple[int, bool]:
        """At the start of content (whole-message openers) or after a fenced call (its closing fence)."""
        q = skip_ws(buf, pos)
        if q == len(buf) and not final:
            return (q if self._fresh else pos), False
        if self._fresh:
            found, wait = None, False
            for literal, action in self._t.start:
                if buf.startswith(literal, q):
                    found = (literal, action)
                    break
                wait = wait or (not final and len(buf) - q < len(literal) and literal.startswith(buf[q:]))
            if found is not None:
                literal, (kind, arg) = found
                if kind == _THINK:
                    assert isinstance(arg, Reasoning)
                    self._to_reasoning(arg)
                    return q + len(literal), True
                assert isinstance(arg, Opener)
                self._open(arg, "")
                return q, True
            if wait:
                return q, False
            self._fresh = False
            pos = q
        if self._fence_pending:
            if buf.startswith(_FENCE_MARK, q):
                self._fence_pending = False
                pos = q + len(_FENCE_MARK)
            else:
                found_opener, wait = partial_prefix(buf, q, (_FENCE_MARK, *self._t.fence_openers))
                if wait and not final:
                    return pos, False
                self._fence_pending = found_opener is not None
        self._set_fast()
        return pos, True

    def _fence_step(self, buf: str, start: int, final: bool) -> tuple[int, bool]:
        """A Markdown fence: around a call it is stripped; otherwise it opens a code block."""
        nl = buf.find("\n", start, start + _FENCE_LOOKAHEAD)
        q = skip_ws(buf, nl + 1) if nl >= 0 else len(buf)
        limit = start + _FENCE_LOOKAHEAD
        if q < limit:
            found, wait = partial_prefix(buf, q, self._t.fence_openers) if nl >= 0 else (None, True)
            if found is not None:
                self._fence_pending = True
                self._open(self._t.fence_openers[found], found)
                return q + len(found), True
            if (wait or q == len(buf)) and not final:
                return start, False
        self._emit(_FENCE_MARK)
        self._to_code(_FENCE_MARK)
        return start + len(_FENCE_MARK), True

    def _body_step(self, buf: str, pos: int, final: bool) -> tuple[int, bool]:
        reader = self._reader
        assert reader is not None
        pos, outcome = reader.step(buf, pos, final)
        if outcome is None:
            if not final:
                return pos, False
            outcome = Reject()
        self._reader = None
        origin, block = self._origin
        if isinstance(outcome, Done):
            for call in outcome.calls:
                self._add_call(call)
            self._to_content()
            if outcome.content:
                self._emit(outcome.content)
            self._fresh = False
        elif isinstance(outcome, Switch):
            if outcome.reasoning is not None:
                self._to_reasoning(outcome.reasoning)
            else:
                self._to_content()
        else:
            self._reject(reader, outcome, origin, block)
        self._set_fast()
        return pos, True

    def _reject(self, reader: BodyReader, outcome: Reject, origin: int, block: Reasoning | None) -> None:
        raw = self._opener_text + reader.raw()
        for token in self._t.spec.end_tokens:
            raw = raw.replace(token, "")
        if origin == _REASONING and block is not None:
            self._to_reasoning(block, new_segment=False)
        else:
            if not self._opener_text:
                self._start_spent = True
            self._to_content()
            self._fresh = False
        self._emit(raw)
        if outcome.code:
            self._to_code(_FENCE_MARK)

    def _add_call(self, call: ToolCall) -> None:
        if self._collect:
            delta = ToolCallDelta(
                index=len(self._calls),
                id=call.id,
                name=call.name,
                arguments_delta=json.dumps(call.arguments, ensure_ascii=False),
            )
            self._out.append(delta)
        self._calls.append(call)
