"""Answer MCP servers' sampling requests with an inference Backend: the client's own model writes the reply.

Give it to the manager: `MCPClientManager(config, handlers=ClientHandlers(sampling=BackendSamplingHandler(model)))`.
It answers every request; asking a person first and capping tokens per server come later, as policies.
"""

from __future__ import annotations

from dataclasses import replace

from inference import Backend, ChatRequest, Message, SamplingParams
from mcp_client import SamplingRequest, SamplingResult


class BackendSamplingHandler:
    """A `mcp_client.SamplingHandler` that generates the reply with `backend`, without tools.

    Args:
        backend: The model that answers, opened (`async with`) for as long as servers may ask.
        max_tokens: A ceiling on the tokens of one reply, whatever a server asks for.
    """

    def __init__(self, backend: Backend, *, max_tokens: int = 512) -> None:
        self.backend = backend
        self.max_tokens = max_tokens

    async def __call__(self, request: SamplingRequest) -> SamplingResult:
        """Generate the next assistant message of `request.messages` (non-text content as placeholders)."""
        messages = [Message(role="system", content=request.system_prompt)] if request.system_prompt else []
        messages += [Message(role=m.role, content=m.text) for m in request.messages]
        sampling = SamplingParams(max_tokens=min(request.max_tokens, self.max_tokens), stop=request.stop_sequences)
        if request.temperature is not None:
            sampling = replace(sampling, temperature=request.temperature)
        response = await self.backend.complete(ChatRequest(messages=messages, tool_choice="none", sampling=sampling))
        return SamplingResult(
            text=response.message.content or "",
            model=self.backend.model_info.id,
            stop_reason="maxTokens" if response.finish_reason == "length" else "endTurn",
        )
