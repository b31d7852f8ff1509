"""The `Backend` protocol: what the agent needs from an inference engine, local or remote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from inference._prompt import Prepared
from inference._types import ChatRequest, ChatResponse, Message, ModelInfo, ResponseDone, StreamItem
from inference.errors import InferenceError


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


@runtime_checkable
class LocalPrompts(Backend, Protocol):
    """A backend that renders its own prompts (a local model): what it offers besides `Backend`."""

    async def prompt_tokens(self, request: ChatRequest) -> Prepared:
        """The prompt a request evaluates: its text and tokens, exactly as generation renders them."""
        ...

    def parse(self, text: str) -> Message:
        """An assistant turn parsed out of the model's raw text: content, reasoning and tool calls."""
        ...

    def special_tokens(self, tokens: Sequence[int]) -> list[int]:
        """The ids among `tokens` that are special (control) tokens. Raises TokenError for unknown ids."""
        ...


async def collect(
    items: AsyncIterator[StreamItem], on_item: Callable[[StreamItem], Awaitable[None]] | None = None
) -> ChatResponse:
    """The response that ends a stream; every item before it goes to `on_item`, if given.

    Raises:
        InferenceError: the stream ended without a response.
    """
    async for item in items:
        if isinstance(item, ResponseDone):
            return item.response
        if on_item is not None:
            await on_item(item)
    raise InferenceError("the model's stream ended without a response")
