"""Supervision: dead servers are restarted with backoff, calls fail fast meanwhile, a breaker stops retrying."""

from __future__ import annotations

import os
import signal
from contextlib import AsyncExitStack

import anyio
import pytest

from mcp_client import (
    HttpSource,
    McpClientConfig,
    MCPClientManager,
    MCPServerDownError,
    ServerState,
    WebSocketSource,
    bundled_config,
)
from tests._net import free_port
from tests.mcp_client._configs import server_config
from tests.servers._launch import launched

FAST = {"backoff_initial_secs": 0.2, "backoff_max_secs": 0.5}


async def _until(
    manager: MCPClientManager, name: str, state: ServerState, *, restarts: int = 0, limit: float = 20
) -> None:
    with anyio.fail_after(limit):
        while True:
            status = next(s for s in manager.status() if s.name == name)
            if status.state is state and status.restarts >= restarts:
                return
            await anyio.sleep(0.02)


async def test_a_crashed_stdio_server_is_restarted_and_its_tools_listed_again() -> None:
    async with server_config("crashy", "stdio", **FAST) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            first_pid = (await manager.call_tool("pid", {})).text
            crashed = await manager.call_tool("crash", {})
            assert crashed.is_error and "went away" in crashed.text
            await _until(manager, "crashy", ServerState.READY, restarts=1)
            status = manager.status()[0]
            assert status.restarts == 1 and status.tool_count == len(manager.tools) > 0
            assert (await manager.call_tool("pid", {})).text != first_pid


async def test_kill_9_mid_call_fails_the_call_fast_then_reconnects() -> None:
    async with server_config("crashy", "stdio", **FAST) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            pid = int((await manager.call_tool("pid", {})).text)
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(lambda: _kill_soon(pid))
                with anyio.fail_after(10):
                    result = await manager.call_tool("sleep", {"seconds": 60})
            assert result.is_error and "went away during the call to 'sleep'" in result.text
            await _until(manager, "crashy", ServerState.READY, restarts=1)
            assert (await manager.call_tool("echo", {"text": "back"})).text == "back"


async def _kill_soon(pid: int) -> None:
    await anyio.sleep(0.3)
    os.kill(pid, signal.SIGKILL)


async def test_calls_while_down_fail_fast_and_say_when_they_retry() -> None:
    async with server_config("crashy", "stdio", backoff_initial_secs=30) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            await manager.call_tool("crash", {})
            with anyio.fail_after(10):
                while manager.status()[0].retry_in_secs is None:  # the supervisor has scheduled the retry
                    await anyio.sleep(0.02)
            with anyio.fail_after(1), pytest.raises(MCPServerDownError) as info:
                await manager.call_tool("echo", {"text": "x"})
    message = str(info.value)
    assert message.startswith("MCP server 'crashy' is down (process exited with code 3; retrying in ")


async def test_repeated_failures_open_the_breaker_until_restart_is_asked() -> None:
    async with server_config("crashy", "stdio", "--crash-on-start", max_restarts=2, **FAST) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            await _until(manager, "crashy", ServerState.FAILED)
            status = manager.status()[0]
            assert "gave up after 3 failures in a row" in (status.error or "")
            assert status.restarts == 2 and status.retry_in_secs is None
            manager.restart("crashy")
            with anyio.fail_after(20):
                while manager.status()[0].restarts < 3:
                    await anyio.sleep(0.02)


@pytest.mark.parametrize("transport", ["stdio", "http", "ws"])
async def test_a_server_that_never_answers_initialize_times_out_alone(transport: str) -> None:
    async with server_config("mute", transport, connect_timeout_secs=1.0, restart=False) as mute:
        config = McpClientConfig(servers=[mute, *bundled_config().servers])
        with anyio.fail_after(15):
            async with MCPClientManager(config) as manager:
                status = {s.name: s for s in manager.status()}
    assert status["mute"].state is ServerState.FAILED
    assert status["mute"].error == "no answer to initialize within 1 s"
    assert status["calculator"].state is ServerState.READY and status["clock"].state is ServerState.READY


@pytest.mark.parametrize("kind", ["http", "ws"])
async def test_a_closed_port_is_reported_and_retried(kind: str) -> None:
    port = free_port()
    source = HttpSource(url=f"http://127.0.0.1:{port}/mcp") if kind == "http" else WebSocketSource(
        url=f"ws://127.0.0.1:{port}/mcp"
    )
    from mcp_client import McpServerConfig

    server = McpServerConfig(id="gone", name="gone", source=source, connect_timeout_secs=5, **FAST)
    with anyio.fail_after(15):
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            status = manager.status()[0]
    assert status.state is ServerState.RESTARTING
    assert status.error and ("onnect" in status.error or "refused" in status.error.lower()), status.error


async def test_auto_http_falls_back_to_legacy_sse() -> None:
    async with server_config("slow", "sse") as server:
        assert isinstance(server.source, HttpSource)
        auto = server.model_copy(update={"source": HttpSource(url=server.source.url, transport="auto")})
        async with MCPClientManager(McpClientConfig(servers=[auto])) as manager:
            assert manager.status()[0].state is ServerState.READY
            assert (await manager.call_tool("echo", {"text": "legacy"})).text == "legacy"


async def test_an_http_server_restart_is_survived_without_a_lost_call() -> None:
    """The server restarts on the same port with an empty session table: our session id is now unknown.

    Whether the client first notices the dropped stream (and reconnects) or first sends a call with the
    expired session (which the server rejects unexecuted, so it is reconnected and sent again), the call
    made after the restart must succeed.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    from mcp_client import McpServerConfig

    server = McpServerConfig(id="s", name="s", source=HttpSource(url=url, transport="streamable"), **FAST)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(AsyncExitStack())
        await first.enter_async_context(launched("slow", "http", "--port", str(port)))
        manager = await stack.enter_async_context(MCPClientManager(McpClientConfig(servers=[server])))
        assert (await manager.call_tool("echo", {"text": "before"})).text == "before"
        await first.aclose()  # the server stops...
        await stack.enter_async_context(launched("slow", "http", "--port", str(port)))  # ...and comes back
        with anyio.fail_after(15):
            while True:
                try:
                    result = await manager.call_tool("echo", {"text": "after"})
                    break
                except MCPServerDownError:  # it noticed the drop and is between reconnection attempts
                    await anyio.sleep(0.05)
        assert (result.text, result.is_error) == ("after", False)
        assert manager.status()[0].restarts >= 1
