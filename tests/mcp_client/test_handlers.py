"""Client-side handlers: what a server asks of the client (sampling, elicitation, roots) reaches our handlers
in our types, their answers reach the server, and without handlers nothing is offered, as before."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from mcp_client import (
    ClientHandlers,
    ElicitationRequest,
    ElicitationResult,
    LogMessage,
    McpClientConfig,
    MCPClientManager,
    Root,
    SamplingRequest,
    SamplingResult,
)
from tests.mcp_client._configs import in_memory, server_config


class Recorder:
    """Handlers that answer from a script and keep what they were asked."""

    def __init__(self) -> None:
        self.sampled: list[SamplingRequest] = []
        self.elicited: list[ElicitationRequest] = []
        self.logged: list[LogMessage] = []
        self.name: str | None = "Ada"

    async def sample(self, request: SamplingRequest) -> SamplingResult:
        self.sampled.append(request)
        return SamplingResult(text=f"you said: {request.messages[-1].text}", model="scripted", stop_reason="maxTokens")

    async def elicit(self, request: ElicitationRequest) -> ElicitationResult:
        self.elicited.append(request)
        if self.name is None:
            return ElicitationResult(action="decline")
        return ElicitationResult(action="accept", content={"name": self.name})

    async def roots(self, server: str) -> Sequence[Root]:
        return [Root(uri=f"file:///work/{server}", name="work"), Root(uri="file:///tmp")]

    async def log(self, message: LogMessage) -> None:
        self.logged.append(message)

    def handlers(self) -> ClientHandlers:
        return ClientHandlers(sampling=self.sample, elicitation=self.elicit, roots=self.roots, logging=self.log)


@pytest.mark.parametrize("transport", ["memory", "http"])
async def test_server_requests_reach_the_handlers_and_their_answers_the_server(transport: str) -> None:
    recorder = Recorder()
    async with server_config("asking", transport) as server:
        async with MCPClientManager(McpClientConfig(servers=[server]), handlers=recorder.handlers()) as manager:
            assert (await manager.call_tool("capabilities", {})).text == "sampling,elicitation,roots"
            asked = {"prompt": "hello", "max_tokens": 7, "system_prompt": "Be brief."}
            sampled = await manager.call_tool("sample", asked)
            accepted = await manager.call_tool("ask", {"question": "Your name?"})
            recorder.name = None
            declined = await manager.call_tool("ask", {"question": "Your name, again?"})
            roots = await manager.call_tool("roots", {})
    assert sampled.structured_content == {"model": "scripted", "text": "you said: hello", "stop_reason": "maxTokens"}
    (request,) = recorder.sampled
    assert (request.server, request.max_tokens, request.system_prompt) == ("asking", 7, "Be brief.")
    assert [(m.role, m.text) for m in request.messages] == [("user", "hello")]
    assert accepted.structured_content == {"action": "accept", "name": "Ada"}
    assert declined.structured_content == {"action": "decline", "name": None}
    first = recorder.elicited[0]
    assert first.server == "asking" and first.message == "Your name?" and first.url is None
    assert first.requested_schema is not None and "name" in first.requested_schema["properties"]
    assert roots.text == "file:///work/asking\nfile:///tmp"


async def test_log_messages_reach_the_log_handler() -> None:
    recorder = Recorder()
    config = McpClientConfig(servers=[in_memory("asking")])
    async with MCPClientManager(config, handlers=recorder.handlers()) as manager:
        await manager.call_tool("log", {"level": "warning", "text": "disk almost full"})
        with anyio.fail_after(5):
            while not recorder.logged:
                await anyio.sleep(0.01)
    assert recorder.logged == [LogMessage(server="asking", level="warning", data="disk almost full", logger="asking")]


async def test_a_failing_handler_refuses_the_request_with_its_message() -> None:
    async def no_model(request: SamplingRequest) -> SamplingResult:
        raise RuntimeError("no model loaded")

    handlers = ClientHandlers(sampling=no_model)
    async with MCPClientManager(McpClientConfig(servers=[in_memory("asking")]), handlers=handlers) as manager:
        assert (await manager.call_tool("capabilities", {})).text == "sampling"
        refused = await manager.call_tool("sample", {"prompt": "hello"})
    assert refused.is_error and "sampling failed: RuntimeError: no model loaded" in refused.text


async def test_without_handlers_nothing_is_offered_and_requests_are_refused() -> None:
    async with MCPClientManager(McpClientConfig(servers=[in_memory("asking")])) as manager:
        assert (await manager.call_tool("capabilities", {})).text == ""
        sampled = await manager.call_tool("sample", {"prompt": "hello"})
        roots = await manager.call_tool("roots", {})
    assert sampled.is_error and "Sampling not supported" in sampled.text
    assert roots.is_error and "List roots not supported" in roots.text
