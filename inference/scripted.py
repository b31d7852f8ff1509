"""ScriptedBackend: a Backend that replays prepared turns, for testing agent logic without a model.

It records every request it receives, so tests can check what the agent sent (tool results, ids,
tool_choice) as well as what it did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from inference._types import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    ModelInfo,
    ResponseDone,
    StreamItem,
    TextDelta,
    Usage,
)
from inference.errors import InferenceError
from tools import ToolCall

Turn = Message | ChatResponse | Callable[[ChatRequest], Message]


def assistant(content: str | None = None, *calls: ToolCall) -> Message:
    """An assistant turn with optional content and tool calls."""
    return Message(role="assistant", content=content, tool_calls=tuple(calls))


class ScriptedBackend:
    """Answers the n-th request with the n-th turn: a Message, a whole ChatResponse, or a function of the request."""

    def __init__(self, turns: Sequence[Turn], *, model_id: str = "scripted") -> None:
        self._turns = list(turns)
        self.requests: list[ChatRequest] = []
        self._model_id = model_id

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(id=self._model_id, chat_format="scripted")

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if len(self.requests) >= len(self._turns):
            raise InferenceError(f"script exhausted after {len(self._turns)} turns")
        turn = self._turns[len(self.requests)]
        self.requests.append(request)
        if isinstance(turn, ChatResponse):
            return turn
        message = turn(request) if callable(turn) else turn
        finish: FinishReason = "tool_calls" if message.tool_calls else "stop"
        words = len((message.content or "").split())
        prompt_words = sum(len((m.content or "").split()) for m in request.messages)
        usage = Usage(prompt_tokens=prompt_words, completion_tokens=words)
        return ChatResponse(message=message, finish_reason=finish, usage=usage, raw_text=message.content or "")

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        response = await self.complete(request)

        async def items() -> AsyncIterator[StreamItem]:
            if response.message.content:
                yield TextDelta(text=response.message.content)
            yield ResponseDone(response=response)

        yield items()

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        return [len(word) for word in text.split()]

    async def detokenize(self, tokens: Sequence[int]) -> str:
        return " ".join("x" * t for t in tokens)

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len((m.content or "").split()) for m in messages)
