"""Any Toolset as an MCP server: the SDK's low-level `Server`, run over stdio, streamable HTTP or WebSocket.

This is the one place where our tool types become MCP wire types on the server side.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Literal

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from tools._types import (
    AudioContent,
    ContentBlock,
    ImageContent,
    ResourceContent,
    TextContent,
    ToolResult,
    Toolset,
)

Transport = Literal["stdio", "http", "ws"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http", "ws")
HTTP_PATH = "/mcp"


def to_mcp_block(block: ContentBlock) -> types.ContentBlock:
    """One of our content blocks as the MCP content block a client receives."""
    if isinstance(block, TextContent):
        return types.TextContent(text=block.text)
    if isinstance(block, ImageContent):
        return types.ImageContent(data=block.data, mime_type=block.mime_type)
    if isinstance(block, AudioContent):
        return types.AudioContent(data=block.data, mime_type=block.mime_type)
    if isinstance(block, ResourceContent) and block.text is not None:
        text = types.TextResourceContents(uri=block.uri, mime_type=block.mime_type, text=block.text)
        return types.EmbeddedResource(resource=text)
    if isinstance(block, ResourceContent) and block.blob is not None:
        blob = types.BlobResourceContents(uri=block.uri, mime_type=block.mime_type, blob=block.blob)
        return types.EmbeddedResource(resource=blob)
    return types.ResourceLink(uri=block.uri, name=block.uri, mime_type=block.mime_type)


def to_mcp_result(result: ToolResult) -> types.CallToolResult:
    """A ToolResult as the `tools/call` result; an error result keeps `isError`."""
    return types.CallToolResult(
        content=[to_mcp_block(block) for block in result.content],
        structured_content=None if result.is_error else result.structured_content,
        is_error=result.is_error,
    )


def toolset_server(
    toolset: Toolset, *, name: str, instructions: str | None = None, version: str = ""
) -> Server[Any]:
    """An MCP server whose `tools/list` and `tools/call` are served by `toolset`.

    Args:
        toolset: The tools; its `call_tool` turns every failure into an error result.
        name: The server name the client sees in `initialize`.
        instructions: Text for the client describing the server.
        version: The server version string.
    """

    def mcp_tools() -> list[types.Tool]:
        return [
            types.Tool(
                name=spec.name,
                description=spec.description or None,
                input_schema=dict(spec.input_schema),
                output_schema=dict(spec.output_schema) if spec.output_schema is not None else None,
            )
            for spec in toolset.tools
        ]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=mcp_tools())

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return to_mcp_result(await toolset.call_tool(params.name, params.arguments or {}))

    def input_schema(tool_name: str) -> dict[str, Any] | None:
        found = [dict(spec.input_schema) for spec in toolset.tools if spec.name == tool_name]
        return found[0] if found else None

    return Server(
        name,
        version=version,
        instructions=instructions,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one, so the URL is known before serving starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket, scheme: Literal["http", "ws"]) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}{HTTP_PATH if scheme == 'http' else '/'}"


async def serve(
    server: Server[Any],
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `server` until cancelled (HTTP, WebSocket) or until stdin closes (stdio).

    Args:
        server: The low-level MCP server.
        transport: `stdio`, `http` (streamable HTTP at `/mcp`) or `ws` (WebSocket, subprotocol `mcp`).
        host: The address to bind for HTTP and WebSocket; loopback unless told otherwise.
        port: The TCP port; 0 picks a free one.
        on_ready: Called with the URL (or `stdio`) once clients can connect.

    Raises:
        OSError: The address cannot be bound.
    """
    if transport == "stdio":
        async with stdio_server() as (read_stream, write_stream):
            if on_ready is not None:
                on_ready("stdio")
            await server.run(read_stream, write_stream, server.create_initialization_options())
        return
    sock = bind(host, port)
    with sock:
        if transport == "ws":
            from tools._ws_server import serve_websocket

            await serve_websocket(server, sock=sock, on_ready=on_ready)
        else:
            await _serve_http(server, sock, host=host, on_ready=on_ready)


async def _serve_http(
    server: Server[Any], sock: socket.socket, *, host: str, on_ready: Callable[[str], None] | None
) -> None:
    import uvicorn

    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    http_server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(http_server.serve, [sock])
        while not http_server.started:
            if http_server.should_exit:
                return  # startup failed; uvicorn has reported why
            await anyio.sleep(0.01)
        if on_ready is not None:
            on_ready(url_of(sock, "http"))


def run_server(
    server: Server[Any],
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `server` until interrupted: the blocking entry point for scripts and `python -m tools`."""
    try:
        anyio.run(lambda: serve(server, transport=transport, host=host, port=port, on_ready=on_ready))
    except KeyboardInterrupt:
        pass


def run_toolset(
    toolset: Toolset,
    *,
    name: str,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    instructions: str | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `toolset` as the MCP server `name` until interrupted."""
    server = toolset_server(toolset, name=name, instructions=instructions)
    run_server(server, transport=transport, host=host, port=port, on_ready=on_ready)
