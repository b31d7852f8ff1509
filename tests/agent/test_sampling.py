"""A server's sampling request answered by the real embedded model, through an in-process MCP server."""

from __future__ import annotations

import pytest

from agent.sampling import BackendSamplingHandler
from inference import ChatRequest, Message, SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend
from mcp_client import ClientHandlers, McpClientConfig, MCPClientManager
from tests.mcp_client._configs import in_memory

pytestmark = pytest.mark.model

SYSTEM = "You are a geography teacher. Answer in one sentence."
QUESTION = "What is the capital of France?"


async def test_the_local_model_answers_a_servers_sampling_request(backend: LlamaCppBackend) -> None:
    handlers = ClientHandlers(sampling=BackendSamplingHandler(backend, max_tokens=24))
    # A generous call timeout: the model shares two cores with the rest of the suite.
    config = McpClientConfig(servers=[in_memory("asking")], tool_timeout_secs=120)
    async with MCPClientManager(config, handlers=handlers) as manager:
        answered = await manager.call_tool("sample", {"prompt": QUESTION, "system_prompt": SYSTEM, "max_tokens": 200})
        capped = await manager.call_tool("sample", {"prompt": "Tell me a long story.", "max_tokens": 3})
    direct = await backend.complete(
        ChatRequest(
            messages=[Message(role="system", content=SYSTEM), Message(role="user", content=QUESTION)],
            tool_choice="none",
            sampling=SamplingParams(max_tokens=24),  # the handler's ceiling, below the 200 the server asked for
        )
    )
    assert answered.structured_content is not None, answered.text
    assert answered.structured_content["model"] == backend.model_info.id == "smollm2-135m"
    assert answered.structured_content["text"] and answered.structured_content["text"] == direct.message.content
    assert capped.structured_content is not None, capped.text
    assert capped.structured_content["stop_reason"] == "maxTokens"
