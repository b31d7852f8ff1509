"""The chat-completions service that every door shares: `ChatEngine` (models and MCP tools serving
OpenAI-shaped requests), our dialect of OpenAI's wire models, and the mapping between them and the loop."""

from __future__ import annotations

from agent.completions.engine import ChatEngine, ChunkStream
from agent.completions.openai_types import ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse

__all__ = ["ChatCompletionChunk", "ChatCompletionRequest", "ChatCompletionResponse", "ChatEngine", "ChunkStream"]
