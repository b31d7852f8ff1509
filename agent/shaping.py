"""Shape a tool result into the text the model sees: structured content when it validates, cut to a token budget.

Cutting keeps the head and the tail (the start says what the output is, the end often holds the
summary or the error) with a note in the middle saying how much was cut.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from agent.validation import schema_problems
from inference import Backend
from tools import ToolResult

TokenCounter = Callable[[str], Awaitable[int]]
"""Counts the tokens of a text with the model's own tokenizer."""

HEAD_SHARE = 2 / 3
"""Of what is kept, the share taken from the start; the rest comes from the end."""

_MEASURE_CHARS = 200_000
"""Longer texts are measured by a sample of this many characters (head and tail), scaled: tokenizing
megabytes only to learn that most of it goes would cost more than the model turn."""
_ATTEMPTS = 3
_GOOD_ENOUGH = 0.9
"""A cut that fills this share of the budget is kept; a smaller one is tried again, larger, once measured."""
_SNAP = 0.1
"""A cut moves to a line break (else a space) within this share of the kept part (at least 80 characters,
at most a third), so lines stay whole."""


def token_counter(backend: Backend) -> TokenCounter:
    """A `TokenCounter` for a backend: tokens of the bare text (no BOS, special tokens as text).

    Args:
        backend: The model whose tokenizer counts.

    Returns:
        An async function text -> token count.
    """

    async def count(text: str) -> int:
        return len(await backend.tokenize(text, special=False))

    return count


def result_text(result: ToolResult, *, output_schema: Mapping[str, Any] | None) -> str:
    """The text of a result before any cut.

    Args:
        result: What the tool returned.
        output_schema: The tool's declared output schema, if any.

    Returns:
        `structured_content` as compact JSON when present, the result is not an error, and it validates
        against `output_schema` (or there is none); otherwise the content blocks' text
        (`ToolResult.text`), or the structured JSON after all when the blocks hold no text.
    """
    structured = result.structured_content
    if structured is None:
        return result.text
    as_json = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    if result.is_error:
        return result.text or as_json
    if output_schema is None or not schema_problems(output_schema, structured, what="an output schema"):
        return as_json
    return result.text or as_json


async def shape_result(
    result: ToolResult,
    *,
    output_schema: Mapping[str, Any] | None,
    budget_tokens: int,
    count_tokens: TokenCounter,
) -> str:
    """The text the model sees for a tool result, at most `budget_tokens` tokens long.

    Args:
        result: What the tool returned.
        output_schema: The tool's declared output schema (`ToolSpec.output_schema`), if any.
        budget_tokens: The most tokens the text may take.
        count_tokens: Counts tokens with the model's tokenizer (see `token_counter`).

    Returns:
        `result_text(result)` unchanged when it fits; else its head (2/3 of what is kept) and tail (1/3)
        around a note such as ``[... 1234 tokens cut ...]``. Sizes are first estimated from the
        measured characters-per-token ratio; the cut text is then measured as sent and resized by its own
        ratio (3 tries at most) until it fits and fills 90% of the budget; the largest fit is returned.

    Raises:
        ValueError: `budget_tokens` below 1.
    """
    if budget_tokens < 1:
        raise ValueError(f"budget_tokens: {budget_tokens!r} must be at least 1")
    text = result_text(result, output_schema=output_schema)
    total = await _measure(text, count_tokens)
    if total <= budget_tokens:
        return text
    return await cut_to_budget(text, total_tokens=total, budget_tokens=budget_tokens, count_tokens=count_tokens)


async def cut_to_budget(text: str, *, total_tokens: int, budget_tokens: int, count_tokens: TokenCounter) -> str:
    """Keep the head and tail of a text that takes `total_tokens` so the whole fits `budget_tokens`.

    Args:
        text: The text to cut.
        total_tokens: Its measured size.
        budget_tokens: The most tokens the result may take.
        count_tokens: The model's token counter.

    Returns:
        ``head + note + tail``; only the note when even a few characters of text would not fit.
    """
    note_tokens = await count_tokens(_note(total_tokens))  # the largest the note can be: it cuts < total
    room = budget_tokens - note_tokens
    keep_chars = int(room * len(text) / max(total_tokens, 1))
    best: tuple[int, str] | None = None
    for _ in range(_ATTEMPTS):
        if room <= 0 or keep_chars <= 0:
            break
        head, tail = _split(text, keep_chars)
        kept = await count_tokens(head + tail)
        shaped = _join(head, tail, max(total_tokens - kept, 1))
        size = await count_tokens(shaped)  # measured as sent: the seams may tokenize differently
        if size <= budget_tokens and (best is None or size > best[0]):
            best = (size, shaped)
        if best is not None and best[0] >= budget_tokens * _GOOD_ENOUGH:
            break
        # The kept text's own ratio, not the average: its head and tail may be denser or sparser than the rest.
        keep_chars = int(keep_chars * room / max(kept, size - note_tokens, 1) * 0.97)
    return best[1] if best is not None else _note(total_tokens).strip()


async def _measure(text: str, count_tokens: TokenCounter) -> int:
    if len(text) <= _MEASURE_CHARS:
        return await count_tokens(text)
    half = _MEASURE_CHARS // 2
    sample = await count_tokens(text[:half] + text[-half:])
    return round(sample * len(text) / _MEASURE_CHARS)


def _split(text: str, keep_chars: int) -> tuple[str, str]:
    """The first ~2/3 and last ~1/3 of `keep_chars` characters, each moved to a line break when one is near."""
    keep_chars = min(keep_chars, len(text))  # head and tail never overlap
    head_chars = int(keep_chars * HEAD_SHARE)
    tail_chars = keep_chars - head_chars
    head = text[:head_chars]
    tail = text[len(text) - tail_chars :] if tail_chars > 0 else ""
    return _snap_head(head), _snap_tail(tail)


def _snap_window(part: str) -> int:
    return min(len(part) // 3, max(int(len(part) * _SNAP), 80))


def _snap_head(head: str) -> str:
    floor = len(head) - _snap_window(head)
    for sep in ("\n", " "):
        at = head.rfind(sep, floor)
        if at >= 0:
            return head[: at + 1]
    return head


def _snap_tail(tail: str) -> str:
    ceiling = _snap_window(tail)
    for sep in ("\n", " "):
        at = tail.find(sep, 0, ceiling)
        if at >= 0:
            return tail[at + 1 :] if sep == " " else tail[at:]
    return tail


def _note(cut_tokens: int) -> str:
    return f"\n[... {cut_tokens} tokens cut ...]\n"


def _join(head: str, tail: str, cut_tokens: int) -> str:
    note = _note(cut_tokens)
    if head.endswith("\n"):
        note = note[1:]
    if tail.startswith("\n"):
        note = note[:-1]
    return head + note + tail
