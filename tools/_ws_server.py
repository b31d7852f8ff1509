"""The MCP WebSocket server transport (mcp 2.x has none): subprotocol `mcp`, one JSON-RPC message per
text frame, each connection served by its own run of the low-level server, like `stdio_server`.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import TaskStatus
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server.lowlevel import Server
from mcp.shared.message import SessionMessage
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as websockets_serve
from websockets.exceptions import ConnectionClosed

from tools.ws_frames import MAX_MESSAGE_BYTES, SUBPROTOCOL, encode, parse_frame


@asynccontextmanager
async def websocket_server(
    websocket: ServerConnection,
) -> AsyncIterator[
    tuple[MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]]
]:
    """The `(read_stream, write_stream)` pair for one accepted WebSocket connection.

    The read stream ends when the client closes the connection, which ends the server's run.
    """
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def frames_to_session() -> None:
        async with read_writer:
            try:
                async for frame in websocket:
                    await read_writer.send(parse_frame(frame))
            except ConnectionClosed:
                pass  # an abnormal close ends the connection like a normal one
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # the session stopped reading

    async def session_to_frames() -> None:
        async with write_reader:
            try:
                async for message in write_reader:
                    await websocket.send(encode(message))
            except ConnectionClosed:
                pass  # the client is gone; the reader sees it too and ends the session

    async with anyio.create_task_group() as tg:
        tg.start_soon(frames_to_session)
        tg.start_soon(session_to_frames)
        try:
            yield read_stream, write_stream
        finally:
            tg.cancel_scope.cancel()
            read_stream.close()
            write_stream.close()


async def serve_websocket(
    server: Server[Any],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    sock: socket.socket | None = None,
    on_ready: Callable[[str], None] | None = None,
    task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `server` over WebSocket until cancelled; each connection gets its own MCP session.

    Args:
        server: The low-level MCP server.
        host: The address to bind when no `sock` is given; loopback unless told otherwise.
        port: The port to bind when no `sock` is given; 0 picks a free one.
        sock: An already bound, listening socket to serve on instead of `host`/`port`.
        on_ready: Called with the `ws://` URL once clients can connect.
        task_status: For `await tg.start(serve_websocket, ...)`, which returns the URL.
    """

    async def handle(websocket: ServerConnection) -> None:
        async with websocket_server(websocket) as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    where: dict[str, Any] = {"sock": sock} if sock is not None else {"host": host, "port": port}
    async with websockets_serve(
        handle, subprotocols=[SUBPROTOCOL], max_size=MAX_MESSAGE_BYTES, **where
    ) as ws_server:
        bound_host, bound_port = next(iter(ws_server.sockets)).getsockname()[:2]
        bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        url = f"ws://{bound_host}:{bound_port}/"
        task_status.started(url)
        if on_ready is not None:
            on_ready(url)
        await anyio.sleep_forever()
