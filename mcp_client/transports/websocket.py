"""The MCP WebSocket client transport (mcp 2.x has none): subprotocol `mcp`, one JSON-RPC message per
text frame, yielding `(read_stream, write_stream)` exactly like `mcp.client.stdio.stdio_client`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from mcp_client.transports._base import TransportStreams, opened
from tools.ws_frames import MAX_MESSAGE_BYTES, SUBPROTOCOL, encode, parse_frame

_FLUSH_TIMEOUT_SECS = 0.5
_CLOSE_TIMEOUT_SECS = 2.0

ReadStream = MemoryObjectReceiveStream[SessionMessage | Exception]
WriteStream = MemoryObjectSendStream[SessionMessage]


async def _open(url: str, headers: Mapping[str, str] | None, timeout_secs: float | None) -> ClientConnection:
    """Connect and handshake, translating websockets' errors into built-in ones that name the URL."""
    try:
        return await connect(
            url,
            subprotocols=[SUBPROTOCOL],
            additional_headers=dict(headers or {}),
            open_timeout=timeout_secs,
            close_timeout=_CLOSE_TIMEOUT_SECS,
            max_size=MAX_MESSAGE_BYTES,
        )
    except InvalidURI as exc:
        raise ValueError(f"{url!r} is not a ws:// or wss:// URL") from exc
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise ConnectionError(f"WebSocket handshake with {url} refused: HTTP {status}") from exc
    except InvalidHandshake as exc:
        raise ConnectionError(f"WebSocket handshake with {url} failed: {exc}") from exc
    except TimeoutError as exc:
        limit = "" if timeout_secs is None else f" within {timeout_secs:g} s"
        raise TimeoutError(f"WebSocket {url} did not open{limit}") from exc


@asynccontextmanager
async def websocket_client(
    url: str, *, headers: Mapping[str, str] | None = None, timeout_secs: float | None = 30.0
) -> AsyncIterator[tuple[ReadStream, WriteStream]]:
    """Connect to an MCP server over WebSocket: `async with websocket_client(url) as (read, write)`.

    Args:
        url: A `ws://` or `wss://` URL.
        headers: Sent with the opening handshake (a bearer token is an `Authorization` header).
        timeout_secs: Limit for opening the connection (TCP connect and handshake); None waits forever.

    Raises:
        ValueError: `url` is not a WebSocket URL.
        TimeoutError: The connection did not open within `timeout_secs`.
        ConnectionError: The server refused the handshake (the message carries the HTTP status).
        OSError: The TCP connection failed (refused, unreachable, name not resolved).
    """
    websocket = await _open(url, headers, timeout_secs)
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)
    writer_done = anyio.Event()

    async def frames_to_session() -> None:
        async with read_writer:
            try:
                async for frame in websocket:
                    await read_writer.send(parse_frame(frame))
            except ConnectionClosed:
                pass  # the server went away: the session sees its read stream end
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # the session stopped reading

    async def session_to_frames() -> None:
        try:
            async with write_reader:
                async for message in write_reader:
                    await websocket.send(encode(message))
        except ConnectionClosed:
            await read_writer.aclose()  # a request written to a dead socket must not wait forever
        finally:
            writer_done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(frames_to_session)
        tg.start_soon(session_to_frames)
        try:
            yield read_stream, write_stream
        finally:
            # Shielded and bounded: flush what was accepted, close the socket, release the streams,
            # even when the caller is being cancelled.
            with anyio.CancelScope(shield=True):
                write_stream.close()
                with anyio.move_on_after(_FLUSH_TIMEOUT_SECS):
                    await writer_done.wait()
                with anyio.move_on_after(_CLOSE_TIMEOUT_SECS + 1):
                    await websocket.close()
                read_stream.close()
            tg.cancel_scope.cancel()


class WebSocketTransport:
    """A server reached over WebSocket (subprotocol `mcp`), one socket per connection."""

    name = "websocket"
    end_reason = None
    fallback = None

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_secs: float | None = None,
        server_name: str = "server",
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.timeout_secs = timeout_secs
        self.server_name = server_name

    def connect(self) -> AbstractAsyncContextManager[TransportStreams]:
        """Open the socket. Raises MCPConnectError when the TCP connection fails."""
        streams = websocket_client(self.url, headers=self.headers, timeout_secs=self.timeout_secs)
        return opened(streams, server=self.server_name, failing=f"cannot connect to {self.url}")
