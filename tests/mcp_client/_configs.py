"""Configs for test servers over each transport: in-process servers, stdio commands, or launched network servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp_client import HttpSource, McpServerConfig, MemorySource, ProcessSource, WebSocketSource
from tests.servers._launch import in_process, launched, stdio_command

TRANSPORTS = ("stdio", "http", "sse", "ws")
"""The transports that cross a process boundary: what the real-wiring tests run over."""


@asynccontextmanager
async def server_config(
    server: str, transport: str, /, *args: str, **fields: Any
) -> AsyncIterator[McpServerConfig]:
    """A config for test server `server` over `transport` (`memory` or one of `TRANSPORTS`); a network
    server runs for the block's duration."""
    if transport == "memory":
        yield in_memory(server, *args, **fields)
        return
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


def in_memory(server: str, *args: str, **fields: Any) -> McpServerConfig:
    """A config for test server `server` (see `tests.servers.IN_PROCESS`) served in this process."""
    fields = {"id": server, "name": server, **fields}
    return McpServerConfig(source=MemorySource(server=in_process(server, *args)), **fields)
