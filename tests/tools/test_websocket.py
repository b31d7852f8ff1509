"""MCP over WebSocket, both halves: our server transport and `websocket_client`, on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared.message import SessionMessage
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from mcp_client.transports.websocket import websocket_client
from tests.tools._servers import text_of
from tools import FunctionToolset, tool
from tools._ws_server import serve_websocket
from tools.servers._serve import toolset_server

MCP = [Subprotocol("mcp")]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text


@tool
def big(size: int) -> str:
    """Return `size` characters."""
    return "x" * size


@asynccontextmanager
async def mcp_ws_server() -> AsyncIterator[str]:
    """Our WebSocket server transport in-process on a free loopback port; yields its URL."""
    server = toolset_server(FunctionToolset([echo, big]), name="ws-test")
    async with anyio.create_task_group() as tg:
        url = await tg.start(serve_websocket, server)
        yield url
        tg.cancel_scope.cancel()


@asynccontextmanager
async def raw_server(handler: Any, **options: Any) -> AsyncIterator[str]:
    """A bare websockets server, to play a misbehaving or inspecting peer."""
    async with serve(handler, "127.0.0.1", 0, subprotocols=MCP, **options) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


async def test_client_and_server_round_trip_large_messages() -> None:
    async with (
        mcp_ws_server() as url,
        websocket_client(url) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        assert session.server_info is not None and session.server_info.name == "ws-test"
        assert [t.name for t in (await session.list_tools()).tools] == ["echo", "big"]
        assert text_of(await session.call_tool("echo", {"text": "héllo"})) == "héllo"
        large = await session.call_tool("big", {"size": 3_000_000})  # past websockets' 1 MiB default
        assert len(text_of(large)) == 3_000_000


async def test_server_speaks_the_mcp_subprotocol_and_survives_bad_frames() -> None:
    async with mcp_ws_server() as url, connect(url, subprotocols=MCP) as websocket:
        assert websocket.subprotocol == "mcp"
        await websocket.send("this is not json")
        await websocket.send(b"\x00\x01binary")
        await websocket.send('{"jsonrpc": "2.0", "id": "x"}')
        await websocket.send(json.dumps(INITIALIZE))
        with anyio.fail_after(10):
            while (reply := json.loads(await websocket.recv())).get("id") != 1:
                pass
        assert reply["result"]["serverInfo"]["name"] == "ws-test"


async def test_bad_frames_from_the_server_reach_the_session_as_exceptions() -> None:
    async def handler(websocket: ServerConnection) -> None:
        await websocket.send("{not json")
        await websocket.send(b"binary")
        await websocket.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}))

    async with raw_server(handler) as url, websocket_client(url) as (read, _write):
        with anyio.fail_after(10):
            first, second, third = await read.receive(), await read.receive(), await read.receive()
            with pytest.raises(anyio.EndOfStream):
                await read.receive()  # the handler returned: the server closed the connection
    assert isinstance(first, ValueError)
    assert isinstance(second, ValueError) and "binary WebSocket frame of 6 bytes" in str(second)
    assert isinstance(third, SessionMessage)
    assert third.message.model_dump(exclude_none=True) == {
        "jsonrpc": "2.0", "method": "notifications/tools/list_changed",
    }  # fmt: skip


async def test_handshake_carries_headers_and_the_subprotocol() -> None:
    seen: list[Headers] = []

    def inspect(connection: ServerConnection, request: Request) -> None:
        seen.append(request.headers)

    async def handler(websocket: ServerConnection) -> None:
        await websocket.wait_closed()

    async with raw_server(handler, process_request=inspect) as url:
        async with websocket_client(url, headers={"Authorization": "Bearer s3cret", "X-Trace": "abc"}):
            pass
    assert seen[0]["Authorization"] == "Bearer s3cret" and seen[0]["X-Trace"] == "abc"
    assert seen[0]["Sec-WebSocket-Protocol"] == "mcp"


async def test_a_refused_handshake_is_a_connection_error_with_the_status() -> None:
    def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(401, "missing token\n")

    async with raw_server(lambda websocket: websocket.wait_closed(), process_request=refuse) as url:
        with pytest.raises(
            ConnectionError, match=r"WebSocket handshake with ws://127\.0\.0\.1:\d+/ refused: HTTP 401"
        ):
            async with websocket_client(url):
                pass


async def test_opening_honours_timeout_secs() -> None:
    async def silent(stream: Any) -> None:
        async with stream:
            await anyio.sleep(30)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, silent)
        with anyio.fail_after(10), pytest.raises(TimeoutError, match=r"did not open within 0\.3 s"):
            async with websocket_client(f"ws://127.0.0.1:{port}/", timeout_secs=0.3):
                pass
        tg.cancel_scope.cancel()


async def test_bad_urls_and_closed_ports() -> None:
    with pytest.raises(ValueError, match=r"'http://127\.0\.0\.1/' is not a ws:// or wss:// URL"):
        async with websocket_client("http://127.0.0.1/"):
            pass
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    with pytest.raises(OSError):
        async with websocket_client(f"ws://127.0.0.1:{port}/", timeout_secs=5):
            pass
