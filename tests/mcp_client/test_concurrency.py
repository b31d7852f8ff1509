"""Many calls at once: every result matches its request, and the concurrency bounds hold."""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio

from mcp_client import McpClientConfig, MCPClientManager
from tests.mcp_client._configs import in_memory, server_config


async def test_1000_concurrent_calls_across_three_transports_each_get_their_own_result() -> None:
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(server_config("slow", transport, id=transport, name=transport,
                                                          tool_prefix=transport))
            for transport in ("stdio", "http", "ws")
        ]
        config = McpClientConfig(servers=servers, max_concurrent_calls=16)
        manager = await stack.enter_async_context(MCPClientManager(config))
        results: dict[int, str] = {}

        async def one(i: int) -> None:
            transport = ("stdio", "http", "ws")[i % 3]
            results[i] = (await manager.call_tool(f"{transport}_echo", {"text": f"request {i}"})).text

        with anyio.fail_after(120):
            async with anyio.create_task_group() as task_group:
                for i in range(1000):
                    task_group.start_soon(one, i)
    assert results == {i: f"request {i}" for i in range(1000)}


async def test_max_concurrent_calls_bounds_calls_in_flight() -> None:
    async with MCPClientManager(McpClientConfig(servers=[in_memory("gauge")], max_concurrent_calls=16)) as manager:
        async with anyio.create_task_group() as task_group:
            for i in range(64):
                task_group.start_soon(manager.call_tool, "hold", {"tag": str(i), "seconds": 0.05})
        assert (await manager.call_tool("peak", {})).text == "16"


async def test_a_per_server_bound_is_tighter_than_the_global_one() -> None:
    config = McpClientConfig(servers=[in_memory("gauge", max_concurrent_calls=3)], max_concurrent_calls=16)
    async with MCPClientManager(config) as manager:
        async with anyio.create_task_group() as task_group:
            for i in range(20):
                task_group.start_soon(manager.call_tool, "hold", {"tag": str(i), "seconds": 0.05})
        assert (await manager.call_tool("peak", {})).text == "3"
