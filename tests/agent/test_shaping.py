"""Result shaping: structured content when it validates, and cuts to a token budget that keep head and tail.

Budgets are checked with a simple word counter and with the real model's tokenizer (SmolLM2).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.shaping import TokenCounter, result_text, shape_result, token_counter
from inference.llama_cpp_backend import LlamaCppBackend
from tools import ImageContent, TextContent, ToolResult

SCHEMA = {"type": "object", "properties": {"temp": {"type": "number"}}, "required": ["temp"]}
NOTE = re.compile(r"\[\.\.\. (\d+) tokens cut \.\.\.\]")


async def words(text: str) -> int:
    return len(text.split())


async def chars(text: str) -> int:
    return len(text)


def _log(lines: int) -> str:
    return "\n".join(
        f"2025-01-{1 + i % 28:02d}T12:{i % 60:02d}:00 INFO worker-{i % 7} processed batch {i} in {i * 37 % 1000} ms"
        for i in range(lines)
    )


@pytest.mark.parametrize(
    ("result", "schema", "expected"),
    [
        (ToolResult.from_text("plain"), None, "plain"),
        (
            ToolResult(content=(TextContent(text='{"temp": 21.5}'),), structured_content={"temp": 21.5}),
            SCHEMA,
            '{"temp":21.5}',
        ),
        (ToolResult(content=(TextContent(text="21.5 C"),), structured_content={"temp": 21.5}), None, '{"temp":21.5}'),
        (ToolResult(content=(TextContent(text="warm"),), structured_content={"temp": "warm"}), SCHEMA, "warm"),
        (ToolResult(structured_content={"temp": "warm"}), SCHEMA, '{"temp":"warm"}'),  # no text: JSON after all
        (
            ToolResult(content=(TextContent(text="boom"),), structured_content={"temp": 1}, is_error=True),
            SCHEMA,
            "boom",
        ),
        (ToolResult(structured_content={"city": "Zürich"}), None, '{"city":"Zürich"}'),
        (
            ToolResult(content=(TextContent(text="a"), ImageContent(data="AAAA", mime_type="image/png"))),
            None,
            "a\n[image image/png, 3 bytes]",
        ),
    ],
)
async def test_the_text_the_model_sees(result: ToolResult, schema: dict[str, Any] | None, expected: str) -> None:
    assert result_text(result, output_schema=schema) == expected
    assert await shape_result(result, output_schema=schema, budget_tokens=1000, count_tokens=chars) == expected


async def test_a_result_that_fits_is_unchanged() -> None:
    text = _log(20)
    assert (
        await shape_result(ToolResult.from_text(text), output_schema=None, budget_tokens=10_000, count_tokens=words)
        == text
    )


async def _check_cut(text: str, budget: int, count: TokenCounter) -> str:
    shaped = await shape_result(
        ToolResult.from_text(text), output_schema=None, budget_tokens=budget, count_tokens=count
    )
    total = await count(text)
    assert await count(shaped) <= budget
    match = NOTE.search(shaped)
    assert match is not None, shaped
    head, tail = shaped[: match.start()], shaped[match.end() :]
    assert text.startswith(head.rstrip("\n")) and text.endswith(tail.lstrip("\n"))
    kept = await count(head + tail)
    assert abs(int(match.group(1)) - (total - kept)) <= max(3, total // 50)  # the note says what was cut
    assert len(head) > len(tail)  # about 2/3 head, 1/3 tail
    return shaped


@pytest.mark.parametrize("budget", [30, 100, 400])
async def test_cut_keeps_head_and_tail_with_a_simple_counter(budget: int) -> None:
    text = _log(300)
    shaped = await _check_cut(text, budget, words)
    assert shaped.startswith("2025-01-01T12:00:00 INFO worker-0 processed batch 0")
    assert shaped.endswith(text[-40:])
    assert await words(shaped) >= budget * 0.75  # the budget is used, not wasted


async def test_a_budget_smaller_than_the_note_gives_the_note_only() -> None:
    shaped = await shape_result(
        ToolResult.from_text("word " * 500), output_schema=None, budget_tokens=3, count_tokens=words
    )
    assert shaped == "[... 500 tokens cut ...]"


async def test_an_error_result_keeps_its_text_and_is_cut_like_any_other() -> None:
    result = ToolResult.from_text("Traceback:\n" + _log(200) + "\nValueError: bad", is_error=True)
    shaped = await shape_result(result, output_schema=None, budget_tokens=60, count_tokens=words)
    assert shaped.startswith("Traceback:\n") and shaped.endswith("ValueError: bad")


async def test_a_huge_text_is_measured_by_a_sample() -> None:
    measured: list[int] = []

    async def counting(text: str) -> int:
        measured.append(len(text))
        return len(text.split())

    text = "alpha beta gamma delta\n" * 50_000  # 1.15 MB, 200k words
    shaped = await shape_result(
        ToolResult.from_text(text), output_schema=None, budget_tokens=500, count_tokens=counting
    )
    assert max(measured) <= 200_000 and len(measured) <= 8
    match = NOTE.search(shaped)
    assert match is not None and abs(int(match.group(1)) - 199_500) < 2_000
    assert await words(shaped) <= 500


async def test_bad_budget() -> None:
    with pytest.raises(ValueError, match="budget_tokens: 0 must be at least 1"):
        await shape_result(ToolResult.from_text("x"), output_schema=None, budget_tokens=0, count_tokens=words)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=3000),
    budget=st.integers(min_value=40, max_value=1500),
)
async def test_never_over_budget_by_characters(text: str, budget: int) -> None:
    shaped = await shape_result(
        ToolResult.from_text(text), output_schema=None, budget_tokens=budget, count_tokens=chars
    )
    assert len(shaped) <= budget
    if len(text) <= budget:
        assert shaped == text


@pytest.mark.model
@pytest.mark.parametrize("budget", [40, 250, 1200])
async def test_cut_with_the_model_tokenizer(backend: LlamaCppBackend, budget: int) -> None:
    count = token_counter(backend)
    text = _log(400)
    assert await count(text) > 5 * budget
    shaped = await _check_cut(text, budget, count)
    assert await count(shaped) >= budget * 0.8


@pytest.mark.model
async def test_cut_with_the_model_tokenizer_when_the_tail_is_denser(backend: LlamaCppBackend) -> None:
    # English first, then digits and CJK that take far more tokens per character: the first estimate
    # from the average ratio overshoots, and the re-measure must bring it under.
    text = "the quick brown fox jumps over the lazy dog. " * 300 + "".join(
        f"{i * 7919 % 100003}漢字テスト" for i in range(1500)
    )
    count = token_counter(backend)
    shaped = await _check_cut(text, 300, count)
    assert await count(shaped) <= 300


@pytest.mark.model
async def test_structured_json_is_measured_and_cut_with_the_model_tokenizer(backend: LlamaCppBackend) -> None:
    rows = [{"id": i, "name": f"item {i}", "price": i * 1.25} for i in range(500)]
    result = ToolResult(content=(TextContent(text="500 rows"),), structured_content={"rows": rows})
    shaped = await shape_result(result, output_schema=None, budget_tokens=200, count_tokens=token_counter(backend))
    assert shaped.startswith('{"rows":[{"id":0,"name":"item 0","price":0.0}')
    assert shaped.endswith(json.dumps(rows[-1], separators=(",", ":")) + "]}")
    assert await token_counter(backend)(shaped) <= 200
