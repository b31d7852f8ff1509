"""Map each server source to the SDK (or our) transport that yields a `(read, write)` stream pair."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from mcp_client.config import HttpSource, McpServerConfig, ProcessSource, WebSocketSource
from mcp_client.errors import MCPConnectError
from mcp_client.transports._stderr import stderr_to_log

logger = logging.getLogger("mcp_client")

Streams = tuple[Any, Any]


def transport_name(config: McpServerConfig) -> str:
    return {"Process": "stdio", "Http": "http", "WebSocket": "websocket"}[config.source.type]


def _headers(config: McpServerConfig, source: HttpSource | WebSocketSource) -> dict[str, str]:
    headers = {k: v.get_secret_value() for k, v in (source.headers or {}).items()}
    if config.bearer_token is not None:
        headers["Authorization"] = f"Bearer {config.bearer_token.get_secret_value()}"
    return headers


@asynccontextmanager
async def open_transport(config: McpServerConfig) -> AsyncIterator[Streams]:
    """Open the transport of `config.source`. Raises MCPConnectError when it cannot start."""
    source = config.source
    if isinstance(source, ProcessSource):
        async with _open_process(config, source) as streams:
            yield streams
    elif isinstance(source, HttpSource):
        timeout = source.timeout_secs or 30.0
        client = httpx2.AsyncClient(headers=_headers(config, source), timeout=httpx2.Timeout(timeout))
        async with client, streamable_http_client(source.url, http_client=client) as streams:
            yield streams
    else:
        from mcp_client.transports.websocket import websocket_client

        async with websocket_client(
            source.url, headers=_headers(config, source), timeout_secs=source.timeout_secs or 30.0
        ) as streams:
            yield streams


def _process_problem(source: ProcessSource) -> str | None:
    if source.work_dir is not None and not os.path.isdir(source.work_dir):
        return f"work_dir {source.work_dir!r} is not a directory"
    if shutil.which(source.command, path=(source.env or {}).get("PATH")) is None:
        return f"command {source.command!r} not found (is it installed and on PATH?)"
    return None


@asynccontextmanager
async def _open_process(config: McpServerConfig, source: ProcessSource) -> AsyncIterator[Streams]:
    # Checked here so the error names the command, not a traceback from deep inside the subprocess code.
    problem = await anyio.to_thread.run_sync(_process_problem, source)
    if problem:
        raise MCPConnectError(config.name, problem)
    params = StdioServerParameters(command=source.command, args=source.args, env=source.env, cwd=source.work_dir)
    async with AsyncExitStack() as stack:
        errlog = await stack.enter_async_context(stderr_to_log(config.name))
        try:
            streams = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        except OSError as exc:
            raise MCPConnectError(config.name, f"cannot start {source.command!r}: {exc.strerror or exc}") from exc
        yield streams
