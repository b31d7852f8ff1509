"""The stream machine: runs any `FormatSpec` over text fed in chunks, emits deltas, builds the turn.

One-shot parsing is the same machine fed once, so streaming and one-shot cannot disagree. Text is
scanned once; only a short tail that could still become a marker is held back between chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from inference._types import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from inference.parsers._decode import type_arguments
from inference.parsers._scan import partial_prefix, skip_ws
from inference.parsers._spec import BodyReader, Cut, Done, Opener, Reasoning, Reject, Switch
from inference.parsers._tables import (
    DROP,
    ENDCODE,
    FENCE,
    FENCE_MARK,
    STOP,
    THINK,
    TICK,
    UNTHINK,
    Sink,
    Tables,
)
from inference.parsers._types import ParsedTurn
from tools import ToolCall

_CONTENT, _REASONING, _CODE, _BODY = range(4)
_FENCE_MARK = FENCE_MARK
_FENCE_LOOKAHEAD = 256

# The hot path makes one delta per chunk; building frozen dataclasses through their generated
# __init__ (object.__setattr__ per field) costs about half the per-chunk budget, so set the slots directly.
_new = object.__new__
_Maker = tuple[type, Callable[[object, str], None], Callable[[object, str], None], str]
"""A delta class, the setters of its `text` and `type` slots, and its `type` value."""
_TEXT_DELTA: _Maker = (TextDelta, TextDelta.__dict__["text"].__set__, TextDelta.__dict__["type"].__set__, "text")
_REASONING_DELTA: _Maker = (
    ReasoningDelta,
    ReasoningDelta.__dict__["text"].__set__,
    ReasoningDelta.__dict__["type"].__set__,
    "reasoning",
)


def _delta(maker: _Maker, text: str) -> Delta:
    cls, set_text, set_type, kind = maker
    delta: Delta = _new(cls)
    set_text(delta, text)
    set_type(delta, kind)
    return delta


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
        "_gate",
        "_held",
        "_cut",
        "_schemas",
        "_opener",
    )

    def __init__(
        self,
        tables: Tables,
        *,
        thinking_open: bool = False,
        collect: bool = True,
        schemas: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._t = tables
        self._schemas = schemas or {}
        self._collect = collect
        self._buf = ""
        self._out: list[Delta] = []
        self._content = Sink()
        self._reasoning = Sink()
        self._calls: list[ToolCall] = []
        self._block: Reasoning | None = None
        self._reader: BodyReader | None = None
        self._origin: tuple[int, Reasoning | None] = (_CONTENT, None)
        self._opener_text = ""
        self._opener: Opener | None = None
        self._fresh = True
        self._start_spent = False
        self._fence_pending = False
        self._closed = False
        self._mode = _CONTENT
        self._markers = tables.content
        self._sink = self._content
        self._make: _Maker | None = _TEXT_DELTA
        self._fast: Callable[[str], bool] | None = None
        self._gate: Callable[[str], object] | None = None
        self._held: list[str] = []
        self._cut: str | None = None
        if thinking_open and tables.spec.reasoning:
            self._to_reasoning(tables.spec.reasoning[0])
        else:
            self._to_content()
        self._refresh()

    # -- public ----------------------------------------------------------------------------------

    def feed(self, chunk: str) -> list[Delta]:
        fast = self._fast
        if fast is not None and chunk and (fast(chunk) or self._markers.inert(chunk)):
            # Hot path: plain text in a text mode, nothing held back. This is Sink.push inlined for
            # the cases that make up nearly all chunks of prose (about 0.5 us a chunk in all).
            sink = self._sink
            if sink.lead:
                text = sink.push(chunk)
                if not text:
                    return []
            else:
                body = chunk.rstrip()
                if body is chunk:  # no trailing whitespace (rstrip returns the very same str)
                    if sink.pending:
                        text = sink.pending + chunk
                        sink.pending = ""
                    else:
                        text = chunk
                elif body:
                    text = sink.pending + body
                    sink.pending = chunk[len(body) :]
                else:
                    sink.pending += chunk
                    return []
                sink.parts.append(text)
            cls, set_text, set_type, kind = self._make  # type: ignore[misc]  # a hidden block has no fast path
            delta: Delta = _new(cls)
            set_text(delta, text)
            set_type(delta, kind)
            return [delta]
        gate = self._gate
        if gate is not None and gate(chunk) is None:
            # Inside a call body, text that cannot end it is only queued (scanned later, in one go).
            self._held.append(chunk)
            return []
        if self._closed:
            raise RuntimeError("feed() after close(): this stream's turn is finished")
        if self._held:
            chunk = "".join(self._held) + chunk
            self._held.clear()
        if self._buf:
            chunk = self._buf + chunk
            if self._mode != _BODY:
                if chunk in self._markers.prefixes:  # still only part of a marker
                    self._buf = chunk
                    return []
            elif self._reader is not None and self._reader.waits_on(chunk):
                self._buf = chunk
                return []
        self._run(chunk, False)
        out, self._out = self._out, []
        return out

    def close(self) -> list[Delta]:
        if self._closed:
            return []
        self._run(self._buf + "".join(self._held), True)
        self._held.clear()
        self._closed = True
        self._fast = self._gate = None
        out, self._out = self._out, []
        return out

    def finish(self) -> ParsedTurn:
        self.close()
        return ParsedTurn(
            content=self._content.value(),
            reasoning=self._reasoning.value(),
            tool_calls=list(self._calls),
            cut=self._cut,
        )

    # -- modes -----------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Choose the fast path for the next chunk: none while text is held back or at a decision point."""
        self._fast = self._gate = None
        if self._fresh and self._content.parts:
            self._fresh = False
        if self._buf or self._closed:
            return
        if self._mode == _BODY:
            assert self._reader is not None
            self._gate = self._reader.gate()
        elif self._make is not None and (self._mode != _CONTENT or not (self._fresh or self._fence_pending)):
            self._fast = self._markers.plain

    def _to_content(self) -> None:
        self._mode = _CONTENT
        self._markers = self._t.content
        self._sink = self._content
        self._make = _TEXT_DELTA
        self._fresh = not self._content.parts and not self._calls and not self._start_spent

    def _to_reasoning(self, block: Reasoning, *, new_segment: bool = True) -> None:
        self._mode = _REASONING
        self._block = block
        self._markers = self._t.reasoning[block]
        if block.hidden:
            self._sink, self._make = Sink(), None  # read to its end, then forgotten
            return
        self._sink = self._reasoning
        self._make = _REASONING_DELTA
        if new_segment:
            self._reasoning.segment()

    def _to_code(self, closer: str) -> None:
        self._mode = _CODE
        self._markers = self._t.code[closer]
        self._sink = self._content
        self._make = _TEXT_DELTA

    def _open(self, opener: Opener, marker: str) -> None:
        self._reader = opener.reader(marker)
        self._origin = (self._mode, self._block)
        self._opener_text = marker
        self._opener = opener
        self._mode = _BODY

    def _emit(self, text: str) -> None:
        out = self._sink.push(text)
        if out and self._collect and self._make is not None:
            self._out.append(_delta(self._make, out))

    # -- the loop --------------------------------------------------------------------------------

    def _run(self, buf: str, final: bool) -> None:
        pos = 0
        again = True
        while again:
            if self._mode == _BODY:
                pos, again = self._body_step(buf, pos, final)
            else:
                pos, again = self._text_step(buf, pos, final)
        self._buf = buf[pos:] if pos else buf
        self._refresh()

    def _text_step(self, buf: str, pos: int, final: bool) -> tuple[int, bool]:
        if self._mode == _CONTENT and (self._fresh or self._fence_pending):
            pos, decided = self._peek_step(buf, pos, final)
            if not decided:
                return pos, False
            if self._mode != _CONTENT:
                return pos, True
        markers = self._markers
        search = markers.search
        while True:
            m = search(buf, pos)
            if m is None:
                cut = len(buf) if final else markers.tail(buf, pos)
                if cut > pos:
                    self._emit(buf[pos:cut])
                return cut, False
            start = m.start()
            if not final and len(buf) - start < markers.maxlen and buf[start:] in markers.prefixes:
                if start > pos:
                    self._emit(buf[pos:start])
                return start, False
            if start > pos:
                self._emit(buf[pos:start])
            marker = m.group()
            kind, arg = markers.actions[marker]
            if kind == STOP:
                if m.end() == len(buf) and not final:  # the end of output, or text the model wrote?
                    return start, False
                if m.end() < len(buf):
                    self._emit(marker)
            elif kind != DROP:
                return self._act(kind, arg, marker, buf, start, final)
            pos = m.end()

    def _act(self, kind: int, arg: object, marker: str, buf: str, start: int, final: bool) -> tuple[int, bool]:
        """Apply a marker's action (other than dropping it); the scan goes on in the new mode."""
        if kind == FENCE:
            return self._fence_step(buf, start, final)
        if kind in (TICK, ENDCODE):
            self._emit(marker)
            if kind == TICK:
                self._to_code(marker)
            else:
                self._to_content()
        elif kind == THINK:
            assert isinstance(arg, Reasoning)
            self._to_reasoning(arg)
        elif kind == UNTHINK:
            self._to_content()
        else:
            assert isinstance(arg, Opener)
            self._open(arg, marker)
        return start + len(marker), True

    def _peek_step(self, buf: str, pos: int, final: bool) -> tuple[int, bool]:
        """At the start of content (whole-message openers) or after a fenced call (its closing fence)."""
        q = skip_ws(buf, pos)
        if q == len(buf) and not final:
            return (q if self._fresh else pos), False
        if self._fresh:
            shadow, wait = partial_prefix(buf, q, self._t.start_shadow)
            if shadow is not None:  # a real marker (`[TOOL_CALLS]`, `<think>`) outranks `[` or `{`
                return q, True
            if wait and not final:
                return q, False
            found = None
            for literal, action in self._t.start:
                if buf.startswith(literal, q):
                    found = (literal, action)
                    break
                wait = wait or (not final and len(buf) - q < len(literal) and literal.startswith(buf[q:]))
            if found is not None:
                literal, (kind, arg) = found
                if kind == THINK:
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
            fenced = self._t.fenced_json
            json_block = nl >= 0 and buf[q : q + 1] in ("{", "[") and buf[start + 3 : nl].strip() in ("", "json")
            if fenced is not None and json_block:
                self._fence_pending = True
                self._open(fenced, buf[start:q])
                return q, True
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
        opener = self._opener
        if isinstance(outcome, Done) and opener is not None and opener.offered_only:
            if not outcome.calls or any(call.name not in self._schemas for call in outcome.calls):
                outcome = Reject()
        if isinstance(outcome, Done):
            for call in outcome.calls:
                self._add_call(call)
            self._to_content()
            if outcome.content:
                self._emit(outcome.content)
            self._fresh = False
        elif isinstance(outcome, Cut) and self._opener_text:
            # The output ended inside a call: it is reported (`cut`), never run and never shown as text.
            self._cut = self._opener_text + reader.raw()
            self._to_content()
            self._fresh = False
        elif isinstance(outcome, Switch):
            if outcome.reasoning is not None:
                self._to_reasoning(outcome.reasoning)
            else:
                self._to_content()
        else:
            self._reject(reader, outcome if isinstance(outcome, Reject) else Reject(), origin, block)
        return pos, True

    def _reject(self, reader: BodyReader, outcome: Reject, origin: int, block: Reasoning | None) -> None:
        raw = self._opener_text + reader.raw()
        for token in self._t.spec.end_tokens:
            raw = raw.replace(token, "")
        for token in self._t.spec.stop_tokens:  # the body's closer: generation stopped there
            raw = raw.removesuffix(token)
        if origin == _REASONING and block is not None:
            self._to_reasoning(block, new_segment=False)
        else:
            if not self._opener_text:
                self._start_spent = True
            self._to_content()
            self._fresh = False
        self._emit(raw)
        if outcome.code or self._opener_text.startswith(_FENCE_MARK):
            self._fence_pending = False  # not a call: the fence opened a code block
            self._to_code(_FENCE_MARK)

    def _add_call(self, call: ToolCall) -> None:
        call = type_arguments(call, self._schemas)
        if self._collect:
            self._out.append(ToolCallDelta(index=len(self._calls), call=call))
        self._calls.append(call)
