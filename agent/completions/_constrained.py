"""A Backend decorator whose answers follow a grammar or JSON schema, while tool turns stay free to call tools.

A JSON schema on a backend that can (`model_info.schema_with_tools`: llama.cpp's tool-call grammar) is one
pass: the turn is a call or an answer following the schema. Otherwise a turn that may call tools is
generated as usual; if it calls none it was the answer, and it is generated again under the constraint
(tools are still in the prompt, so llama.cpp reuses the cached prefix). A turn that cannot call tools is
constrained at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from agent.completions._convert import AnswerConstraint
from inference import (
    Backend,
    ChatRequest,
    ChatResponse,
    Message,
    ModelInfo,
    ReasoningDelta,
    ResponseDone,
    StreamItem,
    TextDelta,
    Usage,
)


class ConstrainedAnswers:
    """Wraps `inner` so that every answer (a turn without tool calls) follows `constraint`."""

    def __init__(self, inner: Backend, constraint: AnswerConstraint) -> None:
        self._inner = inner
        self._constraint = constraint

    @property
    def model_info(self) -> ModelInfo:
        return self._inner.model_info

    def _constrained(self, request: ChatRequest) -> ChatRequest:
        return replace(
            request, tool_choice="none", grammar=self._constraint.grammar, json_schema=self._constraint.json_schema
        )

    def _one_pass(self, request: ChatRequest) -> ChatRequest | None:
        """The request as one pass (a call or a constrained answer), or None when this backend cannot."""
        if not request.tools or request.tool_choice == "none":
            return self._constrained(request)
        if self._constraint.grammar is None and self._inner.model_info.schema_with_tools:
            return replace(request, json_schema=self._constraint.json_schema)
        return None

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if (once := self._one_pass(request)) is not None:
            return await self._inner.complete(once)
        first = await self._inner.complete(request)
        if first.message.tool_calls:
            return first
        answer = await self._inner.complete(self._constrained(request))
        return replace(answer, usage=first.usage + answer.usage)

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        if (once := self._one_pass(request)) is not None:
            async with self._inner.stream(once) as items:
                yield items
            return
        # Whether the free turn is the answer is known only at its end: it is not streamed. If it
        # called tools it is replayed; if not, the constrained answer streams as it is generated.
        first = await self._inner.complete(request)
        if first.message.tool_calls:
            yield _replay(first)
            return
        async with self._inner.stream(self._constrained(request)) as items:
            yield _plus_usage(items, first.usage)

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        return await self._inner.tokenize(text, special=special)

    async def detokenize(self, tokens: Sequence[int]) -> str:
        return await self._inner.detokenize(tokens)

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        return await self._inner.count_tokens(messages)


async def _replay(response: ChatResponse) -> AsyncIterator[StreamItem]:
    if response.message.reasoning:
        yield ReasoningDelta(text=response.message.reasoning)
    if response.message.content:
        yield TextDelta(text=response.message.content)
    yield ResponseDone(response=response)


async def _plus_usage(items: AsyncIterator[StreamItem], usage: Usage) -> AsyncIterator[StreamItem]:
    """`items`, with `usage` (the discarded free turn's) added to the final response's."""
    async for item in items:
        if isinstance(item, ResponseDone):
            item = ResponseDone(response=replace(item.response, usage=usage + item.response.usage))
        yield item
