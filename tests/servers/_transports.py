"""Serve a test MCP server over stdio, streamable HTTP (`/mcp`), legacy HTTP+SSE (`/sse`) or WebSocket.

Like `tools.servers._serve`, plus the legacy SSE transport, a stdio mode whose fd 1 stays the wire (for the
garbage server), and a short graceful-shutdown limit so a test never waits on a lingering stream.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from io import TextIOWrapper
from typing import Any, Literal

import anyio
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import MCPServer
from mcp.server.sse import SseServerTransport
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tools._ws_server import serve_websocket
from tools.servers._serve import HTTP_PATH, bind

Transport = Literal["stdio", "http", "sse", "ws"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http", "sse", "ws")
SSE_PATH = "/sse"
"""The legacy SSE endpoint: the URL `mcp.client.sse.sse_client` connects to."""
MESSAGE_PATH = "/messages/"
"""Where a legacy SSE client POSTs; the server tells it so in the `endpoint` event."""
GRACEFUL_SHUTDOWN_SECS = 1  # uvicorn takes whole seconds
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

AnyServer = Server[Any] | MCPServer[Any]


def lowlevel(server: AnyServer) -> Server[Any]:
    """The low-level `Server` behind `server`, which every transport runs.

    `MCPServer` has no public accessor; the SDK's own in-memory client (`mcp.client.client`) reads the same
    attribute.
    """
    if isinstance(server, MCPServer):
        return server._lowlevel_server
    return server


async def serve(
    server: AnyServer,
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
    raw_stdio: bool = False,
) -> None:
    """Serve `server` until cancelled (network transports) or until stdin closes (stdio).

    Args:
        server: An `MCPServer` or a low-level `Server`.
        transport: `stdio`, `http` (streamable HTTP at `/mcp`), `sse` (legacy HTTP+SSE at `/sse`) or `ws`.
        host: The address to bind for network transports.
        port: The TCP port; 0 picks a free one.
        on_ready: Called with the URL (or `stdio`) once clients can connect.
        raw_stdio: Serve stdio on fd 0/1 as they are. The SDK's `stdio_server` points fd 1 at stderr while
            serving, so stray prints miss the wire; the garbage server wants them on the wire.

    Raises:
        OSError: The address cannot be bound.
    """
    low = lowlevel(server)
    if transport == "stdio":
        await _serve_stdio(low, raw=raw_stdio, on_ready=on_ready)
        return
    sock = bind(host, port)
    with sock:
        if transport == "ws":
            await serve_websocket(low, sock=sock, on_ready=on_ready)
        elif transport == "http":
            app = low.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
            await _serve_asgi(app, sock, url=_url(sock, HTTP_PATH), on_ready=on_ready)
        else:
            await _serve_asgi(sse_app(low, host=host), sock, url=_url(sock, SSE_PATH), on_ready=on_ready)


async def _serve_stdio(server: Server[Any], *, raw: bool, on_ready: Callable[[str], None] | None) -> None:
    streams = stdio_server(*_raw_stdio()) if raw else stdio_server()
    async with streams as (read_stream, write_stream):
        if on_ready is not None:
            on_ready("stdio")
        await server.run(read_stream, write_stream, server.create_initialization_options())


def _raw_stdio() -> tuple[anyio.AsyncFile[str], anyio.AsyncFile[str]]:
    """fd 0 and fd 1 as the SDK's text streams; explicit streams skip its fd claim, so fd 1 stays the wire."""
    stdin = TextIOWrapper(open(0, "rb", closefd=False), encoding="utf-8", errors="replace")
    stdout = TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8")
    return anyio.wrap_file(stdin), anyio.wrap_file(stdout)


class _SSEEndpoint:
    """The GET `/sse` endpoint as a raw ASGI app: the SSE response is sent by the transport, not returned."""

    def __init__(self, server: Server[Any], transport: SseServerTransport) -> None:
        self._server = server
        self._transport = transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self._transport.connect_sse(scope, receive, send) as (read_stream, write_stream):
            await self._server.run(read_stream, write_stream, self._server.create_initialization_options())


def sse_app(server: Server[Any], *, host: str = "127.0.0.1") -> Starlette:
    """The legacy HTTP+SSE app for a low-level server (the SDK builds one only for `MCPServer`).

    Loopback hosts get the SDK's DNS-rebinding protection, as `MCPServer.sse_app` gives them.
    """
    security = None
    if host in _LOOPBACK:
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
    transport = SseServerTransport(MESSAGE_PATH, security_settings=security)
    return Starlette(
        routes=[
            Route(SSE_PATH, endpoint=_SSEEndpoint(server, transport), methods=["GET"]),
            Mount(MESSAGE_PATH, app=transport.handle_post_message),
        ]
    )


def _url(sock: socket.socket, path: str) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{path}"


async def _serve_asgi(
    app: ASGIApp, sock: socket.socket, *, url: str, on_ready: Callable[[str], None] | None
) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECS,
    )
    http_server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(http_server.serve, [sock])
        while not http_server.started:
            if http_server.should_exit:
                return  # startup failed; uvicorn has reported why
            await anyio.sleep(0.01)
        if on_ready is not None:
            on_ready(url)
