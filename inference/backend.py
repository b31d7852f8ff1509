"""The `Backend` protocol: what the agent needs from an inference engine, local or remote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from inference._types import ChatRequest, ChatResponse, Message, ModelInfo, StreamItem


@runtime_checkable
class Backend(Protocol):
    """An inference engine. Open it with `async with`; constructing one loads nothing."""

    @property
    def model_info(self) -> ModelInfo: ...

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Generate one assistant turn, with tool calls parsed (or constrained) out of it."""
        ...

    def stream(self, request: ChatRequest) -> AbstractAsyncContextManager[AsyncIterator[StreamItem]]:
        """Generate one turn as text deltas; the last item is `ResponseDone` with the whole response."""
        ...

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]: ...

    async def detokenize(self, tokens: Sequence[int]) -> str: ...

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens the rendered prompt for these messages takes (without tools)."""
        ...
