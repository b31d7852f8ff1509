"""In-process servers through the memory transport: Python functions mounted as an MCP server, SDK servers,
the plain SDK session over `MemoryTransport`, reconnecting, and the source a config file cannot name."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import ClientSession

from mcp_client import (
    McpClientConfig,
    MCPClientManager,
    MCPConfigError,
    McpServerConfig,
    McpServerSource,
    MemorySource,
    MemoryTransport,
    ServerState,
    transport_for,
)
from tests.mcp_client._configs import in_memory
from tests.servers._launch import in_process
from tools import FunctionToolset, tool


@tool
def word_count(text: str) -> int:
    """Count the words in `text`."""
    return len(text.split())


async def test_a_function_toolset_is_mounted_as_an_mcp_server() -> None:
    source = MemorySource(server=FunctionToolset([word_count]))
    server = McpServerConfig(name="local", tool_prefix="local", source=source)
    async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
        (registered,) = manager.tools
        assert registered.name == "local_word_count" and registered.description == "Count the words in `text`."
        assert registered.input_schema == word_count.spec.input_schema
        assert (await manager.call_tool("local_word_count", {"text": "one two three"})).text == "3"
        wrong = await manager.call_tool("local_word_count", {"txt": "x"})
        assert wrong.is_error and "invalid arguments for tool 'word_count'" in wrong.text
        (status,) = manager.status()
    assert (status.transport, status.state, status.tool_count) == ("memory", ServerState.READY, 1)


async def test_the_plain_sdk_session_speaks_over_the_memory_transport() -> None:
    transport = MemoryTransport(in_process("slow"), server_name="slow")
    async with transport.connect() as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        result = await session.call_tool("echo", {"text": "hi"})
    assert {t.name for t in listed.tools} == {"sleep", "cancelled_count", "echo"}
    assert result.content[0].text == "hi"  # type: ignore[union-attr]


async def test_restart_reconnects_and_lists_the_tools_again() -> None:
    async with MCPClientManager(McpClientConfig(servers=[in_memory("changing")])) as manager:
        await manager.call_tool("add_tool", {"name": "fresh"})
        with anyio.fail_after(5):
            while "fresh" not in {t.name for t in manager.tools}:
                await anyio.sleep(0.01)
        manager.restart("changing")
        with anyio.fail_after(5):
            while manager.status()[0].restarts < 1 or manager.status()[0].state is not ServerState.READY:
                await anyio.sleep(0.01)
        # The server object outlives the connection, so the tool it added is listed again.
        assert "fresh" in {t.name for t in manager.tools}
        assert (await manager.call_tool("fresh", {})).text == "I am fresh"


def test_the_memory_source_is_made_in_python_only() -> None:
    assert McpServerSource.Memory is MemorySource
    assert "Memory" not in json.dumps(McpClientConfig.model_json_schema())
    with pytest.raises(MCPConfigError, match=r"servers\[0\]\.source: a Memory source is made in Python"):
        McpClientConfig.from_data({"servers": [{"name": "a", "source": {"type": "Memory"}}]})
    with pytest.raises(MCPConfigError, match=r"servers\[0\]\.source\.server: expected an in-process mcp Server"):
        McpClientConfig.from_data({"servers": [{"name": "a", "source": {"type": "Memory", "server": "calc"}}]})


def test_each_source_maps_to_its_transport() -> None:
    sources = {
        "stdio": McpServerSource.Process(command="python"),
        "http": McpServerSource.Http(url="http://127.0.0.1:1/mcp"),
        "sse": McpServerSource.Http(url="http://127.0.0.1:1/sse", transport="sse"),
        "websocket": McpServerSource.WebSocket(url="ws://127.0.0.1:1/"),
        "memory": MemorySource(server=FunctionToolset()),
    }
    names = {kind: transport_for(McpServerConfig(name=kind, source=s)).name for kind, s in sources.items()}
    assert names == {kind: kind for kind in sources}
    auto = transport_for(McpServerConfig(name="a", source=McpServerSource.Http(url="http://127.0.0.1:1/mcp")))
    streamable = transport_for(
        McpServerConfig(name="s", source=McpServerSource.Http(url="http://127.0.0.1:1/mcp", transport="streamable"))
    )
    assert auto.fallback is not None and auto.fallback.name == "sse" and streamable.fallback is None
