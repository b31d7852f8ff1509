"""Each test server does what its docstring promises over every transport it serves, seen by the plain SDK client.

A test checks one server over all its transports at once: the stdio client spawns its server while the network
servers start, so the 2 cores stay busy (a server process spends about a second importing `mcp`).
"""

from __future__ import annotations

import base64
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcp_client.transports.websocket import websocket_client
from tests.servers import rich
from tests.servers._launch import (
    REPO_ROOT,
    LaunchedServer,
    LaunchError,
    ServerSpec,
    launched,
    launched_servers,
    stdio_command,
)
from tests.servers.garbage import ECHO_GARBAGE, GARBAGE_LINES
from tests.servers.grandchild import is_running, read_pids

ALL = ("stdio", "http", "sse", "ws")
CHECK_TIMEOUT_SECS = 30.0


@dataclass(slots=True, kw_only=True)
class Connected:
    """A client connected to one test server over one transport."""

    session: ClientSession
    transport: str
    server: LaunchedServer | None
    """The launched network server; None over stdio, where the client spawned it."""
    messages: list[Any] = field(default_factory=list)
    """Every notification and transport exception the session passed to its message handler, in order."""


Check = Callable[[Connected], Awaitable[None]]


async def _over(
    name: str,
    check: Check,
    *args: str,
    transports: Sequence[str] = ALL,
    initialize: bool = True,
) -> None:
    """Run `check` against server `name` over each of `transports` at once, each with its own server process."""
    specs = [ServerSpec(name=name, transport=t, args=args) for t in transports if t != "stdio"]
    async with anyio.create_task_group() as tg:
        if "stdio" in transports:
            tg.start_soon(_check_over, name, "stdio", None, args, check, initialize)
        async with launched_servers(*specs) as servers, anyio.create_task_group() as network:
            for server in servers:
                network.start_soon(_check_over, name, server.transport, server, args, check, initialize)


async def _check_over(
    name: str,
    transport: str,
    server: LaunchedServer | None,
    args: tuple[str, ...],
    check: Check,
    initialize: bool,
) -> None:
    messages: list[Any] = []

    async def on_message(message: Any) -> None:
        messages.append(message)

    try:
        with anyio.fail_after(CHECK_TIMEOUT_SECS):  # a hang is a failure, not a stuck suite
            async with _client(name, transport, server, args) as (read, write):
                async with ClientSession(read, write, message_handler=on_message) as session:
                    if initialize:
                        await session.initialize()
                    await check(
                        Connected(session=session, transport=transport, server=server, messages=messages)
                    )
    except Exception as exc:
        exc.add_note(f"checking {name} over {transport}")
        raise


def _client(
    name: str, transport: str, server: LaunchedServer | None, args: tuple[str, ...]
) -> AbstractAsyncContextManager[Any]:
    if server is None:
        command, stdio_args = stdio_command(name, *args)
        return _stdio_client(StdioServerParameters(command=command, args=stdio_args, cwd=REPO_ROOT))
    if transport == "http":
        return streamable_http_client(server.url)
    if transport == "sse":
        return sse_client(server.url)
    return websocket_client(server.url)


@asynccontextmanager
async def _stdio_client(parameters: StdioServerParameters) -> AsyncIterator[Any]:
    """The SDK's stdio client with the server's stderr in a file: chatty writes megabytes."""
    with tempfile.TemporaryFile("w+") as errlog:
        async with stdio_client(parameters, errlog=errlog) as streams:
            yield streams


def _text(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def _eventually(probe: Callable[[], Awaitable[bool]], *, within_secs: float = 5.0) -> None:
    """Poll `probe` until it holds: what it asks about often lives in the server process, with no event to await."""
    with anyio.fail_after(within_secs):
        while True:
            if await probe():
                return
            await anyio.sleep(0.02)


async def test_slow_sleeps_echoes_and_counts_a_cancelled_sleep() -> None:
    async def check(c: Connected) -> None:
        assert _text(await c.session.call_tool("echo", {"text": "hi"})) == "hi"
        assert _text(await c.session.call_tool("sleep", {"seconds": 0.01})) == "slept 0.01 s"
        with pytest.raises(MCPError, match="[Tt]imed out"):
            await c.session.call_tool("sleep", {"seconds": 60}, read_timeout_seconds=0.3)

        async def cancelled_once() -> bool:  # the client's notifications/cancelled arrives soon after
            return _text(await c.session.call_tool("cancelled_count", {})) == "1"

        await _eventually(cancelled_once)

    await _over("slow", check)


async def test_crashy_reports_its_pid_then_dies_mid_call() -> None:
    pids: dict[str, int] = {}

    async def check(c: Connected) -> None:
        pid = pids[c.transport] = int(_text(await c.session.call_tool("pid", {})))
        if c.server is not None:
            assert pid == c.server.pid
        with pytest.raises(MCPError):
            await c.session.call_tool("crash", {})
        if c.server is not None:
            with anyio.fail_after(5):
                assert await c.server.process.wait() == 3

    await _over("crashy", check)
    assert not is_running(pids["stdio"])  # the SDK client reaped it


async def test_a_server_killed_mid_call_fails_the_call() -> None:
    async def check(c: Connected) -> None:
        pid = int(_text(await c.session.call_tool("pid", {})))

        async def doomed() -> None:
            with pytest.raises(MCPError):
                await c.session.call_tool("sleep", {"seconds": 60})

        async with anyio.create_task_group() as tg:
            tg.start_soon(doomed)
            await anyio.sleep(0.3)
            os.kill(pid, signal.SIGKILL)

    await _over("crashy", check, transports=("stdio", "http"))


async def test_crashy_on_start_fails_the_launch_with_its_exit_code_and_stderr() -> None:
    with pytest.raises(LaunchError, match="exited with code 3 before serving") as info:
        async with launched("crashy", "http", "--crash-on-start"):
            pass
    assert "crashy: crashing on start" in info.value.stderr


async def test_a_server_that_does_not_announce_in_time_fails_the_launch() -> None:
    with pytest.raises(LaunchError, match="slow over ws did not announce its URL within 0.5 s"):
        async with launched("slow", "ws", "--startup-delay", "60", startup_timeout_secs=0.5):
            pass


async def test_progress_notifications_arrive_in_order() -> None:
    async def check(c: Connected) -> None:
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        result = await c.session.call_tool("count", {"n": 3}, progress_callback=on_progress)
        assert _text(result) == "counted to 3"
        assert seen == [(1, 3, "step 1 of 3"), (2, 3, "step 2 of 3"), (3, 3, "step 3 of 3")]

    await _over("progress", check)


async def _all_tools(session: ClientSession) -> tuple[list[str], int]:
    """Every tool name, following `nextCursor`, and how many pages that took."""
    names: list[str] = []
    cursor: str | None = None
    for pages in range(1, 100):
        listed = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
        names += [tool.name for tool in listed.tools]
        cursor = listed.next_cursor
        if cursor is None:
            return names, pages
    raise AssertionError("tools/list never ended")


async def test_changing_paginates_and_announces_added_and_removed_tools() -> None:
    async def check(c: Connected) -> None:
        def changes(count: int) -> Callable[[], Awaitable[bool]]:
            async def seen() -> bool:
                return sum(isinstance(m, types.ToolListChangedNotification) for m in c.messages) == count

            return seen

        capabilities = c.session.server_capabilities
        assert capabilities is not None and capabilities.tools is not None and capabilities.tools.list_changed
        names, pages = await _all_tools(c.session)
        assert names == ["add_tool", "remove_tool", "echo", "extra_000", "extra_001", "extra_002"]
        assert pages == 3

        assert _text(await c.session.call_tool("add_tool", {"name": "fresh"})) == "added fresh"
        await _eventually(changes(1))
        assert "fresh" in (await _all_tools(c.session))[0]
        assert _text(await c.session.call_tool("fresh", {})) == "I am fresh"

        assert _text(await c.session.call_tool("remove_tool", {"name": "fresh"})) == "removed fresh"
        await _eventually(changes(2))
        assert "fresh" not in (await _all_tools(c.session))[0]
        assert (await c.session.call_tool("remove_tool", {"name": "echo"})).is_error

    await _over("changing", check, "--page-size", "2", "--extra-tools", "3")


async def test_rich_returns_every_content_kind_resources_and_prompts() -> None:
    async def check(c: Connected) -> None:
        session = c.session
        (image,) = (await session.call_tool("image", {})).content
        assert isinstance(image, types.ImageContent) and image.mime_type == "image/png"
        assert base64.b64decode(image.data) == rich.PNG
        (audio,) = (await session.call_tool("audio", {})).content
        assert isinstance(audio, types.AudioContent) and base64.b64decode(audio.data) == rich.WAV

        embedded, link = (await session.call_tool("resources", {})).content
        assert isinstance(embedded, types.EmbeddedResource)
        assert isinstance(embedded.resource, types.TextResourceContents)
        assert (embedded.resource.uri, embedded.resource.text) == ("file:///notes/a.txt", rich.NOTES_A)
        assert isinstance(link, types.ResourceLink) and link.uri == "file:///secret/b.txt"
        kinds = [block.type for block in (await session.call_tool("mixed", {})).content]
        assert kinds == ["text", "image", "audio", "resource", "resource_link"]

        weather = await session.call_tool("weather", {"city": "Oslo"})
        assert weather.structured_content == {"city": "Oslo", "temperature_c": 21.5, "conditions": "sunny"}
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert tools["weather"].output_schema is not None
        assert tools["weather"].output_schema["required"] == ["city", "temperature_c", "conditions"]

        failed = await session.call_tool("fail", {"message": "no such city"})
        assert failed.is_error and _text(failed) == "no such city"

        (secret,) = (await session.read_resource("file:///secret/b.txt")).contents
        assert isinstance(secret, types.TextResourceContents) and secret.text == rich.SECRET_B
        (x,) = (await session.read_resource("mem://x")).contents
        assert isinstance(x, types.TextResourceContents) and x.text == rich.MEM_X
        (logo,) = (await session.read_resource("mem://logo.png")).contents
        assert isinstance(logo, types.BlobResourceContents) and base64.b64decode(logo.blob) == rich.PNG

        prompt = await session.get_prompt("greet", {"name": "Ada"})
        (message,) = prompt.messages
        assert isinstance(message.content, types.TextContent)
        assert (message.role, message.content.text) == ("user", "Please greet Ada warmly.")

    await _over("rich", check)


async def test_mute_never_answers_initialize() -> None:
    async def check(c: Connected) -> None:
        with anyio.move_on_after(0.5) as waited:
            await c.session.initialize()
        assert waited.cancelled_caught

    await _over("mute", check, initialize=False)


async def test_mute_on_tools_list_answers_initialize_only() -> None:
    async def check(c: Connected) -> None:
        with anyio.move_on_after(0.5) as waited:
            await c.session.list_tools()
        assert waited.cancelled_caught
        await c.session.send_ping()  # still answering everything else

    await _over("mute", check, "--mute-on", "tools/list", transports=("stdio", "http"))


async def test_garbage_on_stdout_reaches_the_sdk_stdio_client_which_skips_it() -> None:
    async def check(c: Connected) -> None:
        assert _text(await c.session.call_tool("echo", {"text": "one"})) == "one"
        assert _text(await c.session.call_tool("echo", {"text": "two"})) == "two"
        # Every line that is no JSON-RPC message reached the session as an exception, and the session went on.
        errors = [m for m in c.messages if isinstance(m, Exception)]
        assert len(errors) == len(GARBAGE_LINES) + 1 + 2 * len(ECHO_GARBAGE)

    await _over("garbage", check, transports=("stdio",))


async def test_grandchild_is_spawned_and_reported_over_stdio(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"

    async def check(c: Connected) -> None:
        (first,) = read_pids(pid_file)
        assert is_running(first)
        spawned = int(_text(await c.session.call_tool("spawn", {})))
        assert read_pids(pid_file) == [first, spawned]
        assert _text(await c.session.call_tool("grandchildren", {})) == f"{first} {spawned}"

    try:
        await _over("grandchild", check, "--pid-file", str(pid_file), transports=("stdio",))
    finally:
        for pid in read_pids(pid_file):
            _kill(pid)


async def test_launched_ends_the_grandchild_with_the_server(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    try:
        async with launched("grandchild", "http", "--pid-file", str(pid_file)):
            (pid,) = read_pids(pid_file)
            assert is_running(pid)
        assert not is_running(pid)
    finally:
        for pid in read_pids(pid_file):
            _kill(pid)


async def test_chatty_answers_while_flooding_stderr() -> None:
    async def check(c: Connected) -> None:
        for i in range(20):
            assert _text(await c.session.call_tool("echo", {"text": str(i)})) == str(i)
        if c.server is not None:
            assert len(c.server.stderr_text()) > 1024 * 1024

    await _over("chatty", check, transports=("stdio", "http"))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
