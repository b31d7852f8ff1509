"""Configs for test servers over each transport: stdio commands, or launched network servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp_client import HttpSource, McpServerConfig, ProcessSource, WebSocketSource
from tests.servers._launch import launched, stdio_command

TRANSPORTS = ("stdio", "http", "sse", "ws")


@asynccontextmanager
async def server_config(
    server: str, transport: str, /, *args: str, **fields: Any
) -> AsyncIterator[McpServerConfig]:
    """A config for test server `server` over `transport`; a network server runs for the block's duration."""
    fields = {"id": server, "name": server, **fields}
    if transport == "stdio":
        command, argv = stdio_command(server, *args)
        yield McpServerConfig(source=ProcessSource(command=command, args=argv), **fields)
        return
    async with launched(server, transport, *args) as url:
        if transport == "ws":
            source: Any = WebSocketSource(url=url)
        else:
            source = HttpSource(url=url, transport="sse" if transport == "sse" else "streamable")
        yield McpServerConfig(source=source, **fields)
