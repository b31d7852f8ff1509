"""One turn of a local model, decoded: what llama.cpp and ctransformers share once they sample tokens.

Token bytes are decoded as UTF-8 incrementally, cut at stop strings (holding back a tail that may
still begin one), parsed by the turn's format into stream items, and timed into `Usage`.
"""

from __future__ import annotations

import codecs
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from inference._turns import TurnFormat, assistant_message
from inference._types import (
    ChatResponse,
    Delta,
    FinishReason,
    ReasoningDelta,
    ResponseDone,
    StreamItem,
    TextDelta,
    Usage,
)
from inference.errors import TokenError
from inference.parsers import ParsedTurn
from tools import ToolSpec

FLUSH_SECS = 0.01
"""Stream items after the first are handed to the event loop at most this often."""
END_OF_TURN = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "<end_of_turn>")
"""End-of-turn markers of the chat formats we render: special tokens in GGUF vocabularies, text in GGML ones."""


def check_token_ids(tokens: Sequence[int], n_vocab: int) -> None:
    """Raise TokenError naming the ids outside `0..n_vocab-1` (llama.cpp would read out of bounds on them)."""
    bad = [t for t in tokens if not 0 <= t < n_vocab]
    if bad:
        raise TokenError(bad, f"outside the vocabulary 0..{n_vocab - 1}")


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two sequences share (what a KV cache holding `a` can keep for `b`)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class StopScanner:
    """Cuts streamed text at the first stop string, holding back any tail that may still begin one."""

    def __init__(self, stops: Iterable[str]) -> None:
        self.stops = tuple(stop for stop in stops if stop)
        self.text = ""
        self.sent = 0
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Append `piece`; return the text that is now safe to pass on. Sets `stopped` on a stop string."""
        self.text += piece
        if not self.stops:
            return self._send(len(self.text))
        hits = [index for stop in self.stops if (index := self.text.find(stop, self.sent)) >= 0]
        if hits:
            self.text, self.stopped = self.text[: min(hits)], True
            return self._send(len(self.text))
        return self._send(len(self.text) - self._held())

    def _held(self) -> int:
        """Length of the longest tail of the text that is the start of a stop string."""
        starts = (n for stop in self.stops for n in range(len(stop) - 1, 0, -1) if self.text.endswith(stop[:n]))
        return max(starts, default=0)

    def flush(self) -> str:
        """End of output: what was held back, unless a stop string ended the text."""
        return "" if self.stopped else self._send(len(self.text))

    def _send(self, end: int) -> str:
        out = self.text[self.sent : end] if end > self.sent else ""
        self.sent = max(self.sent, end)
        return out


class Decoder:
    """Decodes one turn in the backend's worker thread: sampled token ids in, stream items out.

    Constructed when the request starts (its clock starts then); `run` takes the sampled tokens and
    emits the deltas, then `ResponseDone`.

    Args:
        turns: The model's turn format: its parser reads the output.
        piece: The bytes of one token id (special tokens written out).
        emit: Hands an item to the event loop (blocking until the loop takes it).
        stops: Strings that end the turn; none of one reaches the output.
        end_tokens: Token ids that end the turn.
        prompt: The rendered prompt (it may have opened a reasoning block the output continues).
        tools: The offered tools (untyped arguments are typed by their schemas).
    """

    def __init__(
        self,
        turns: TurnFormat,
        *,
        piece: Callable[[int], bytes],
        emit: Callable[[StreamItem], None],
        stops: Sequence[str] = (),
        end_tokens: frozenset[int] = frozenset(),
        prompt: str = "",
        tools: Sequence[ToolSpec] = (),
    ) -> None:
        self._started = time.perf_counter()
        self._prompt = prompt
        self._tools = tools
        self._turns = turns
        self._piece = piece
        self._emit = emit
        self._stops = stops
        self._end_tokens = end_tokens

    def run(
        self,
        tokens: Iterable[int],
        *,
        max_tokens: int,
        prompt_tokens: int,
        cached_tokens: int,
        cancelled: threading.Event,
    ) -> None:
        """Decode until an end token, a stop string, `max_tokens`, cancellation or the end of `tokens`."""
        parser, stops = self._turns.stream(prompt=self._prompt, tools=self._tools), StopScanner(self._stops)
        utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        queued: list[Delta] = []
        generated, flushed, first = 0, 0.0, 0.0
        finish: FinishReason = "stop"
        for token in tokens:
            first = first or time.perf_counter()
            if token in self._end_tokens or cancelled.is_set():
                break
            generated += 1
            # Text that may still be the start of a stop string is not parsed (or shown) yet.
            ready = stops.feed(utf8.decode(self._piece(token)))
            if ready:
                queued += parser.feed(ready)
            if stops.stopped:
                break
            # Each hand-off to the event loop blocks this thread until the loop runs, which on a busy
            # machine can stall decoding: the first items go out at once, later ones every 10 ms.
            if queued and (not flushed or time.perf_counter() - flushed >= FLUSH_SECS):
                self._send(queued)
                queued, flushed = [], time.perf_counter()
            if generated >= max_tokens:
                finish = "length"
                break
        ended = time.perf_counter()
        first = first or ended
        if not stops.stopped:
            rest = stops.feed(utf8.decode(b"", final=True)) + stops.flush()
            if rest:
                queued += parser.feed(rest)
        closing = parser.close()
        usage = Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=generated,
            cached_tokens=cached_tokens,
            prompt_secs=first - self._started,
            decode_secs=ended - first,
            decode_tokens=max(generated - 1, 0),
        )
        response = _response(stops.text, parser.finish(), finish, usage)
        self._send(queued + closing)
        self._emit(ResponseDone(response=response))

    def _send(self, items: list[Delta]) -> None:
        for item in _coalesce(items):
            self._emit(item)


def _coalesce(items: list[Delta]) -> list[Delta]:
    """Adjacent text (or reasoning) deltas merged into one, so a flush is one hand-off per kind."""
    out: list[Delta] = []
    for item in items:
        last = out[-1] if out else None
        if isinstance(item, TextDelta) and isinstance(last, TextDelta):
            out[-1] = TextDelta(text=last.text + item.text)
        elif isinstance(item, ReasoningDelta) and isinstance(last, ReasoningDelta):
            out[-1] = ReasoningDelta(text=last.text + item.text)
        else:
            out.append(item)
    return out


def _response(text: str, turn: ParsedTurn, finish: FinishReason, usage: Usage) -> ChatResponse:
    # A call the output ended inside (max_tokens, or never closed) is neither an answer nor a call: it is
    # reported as `cut_call` with finish "length", and never runs; the agent asks for a shorter reply.
    reason: FinishReason = "length" if turn.cut is not None else "tool_calls" if turn.tool_calls else finish
    return ChatResponse(
        message=assistant_message(turn), finish_reason=reason, usage=usage, raw_text=text, cut_call=turn.cut
    )
