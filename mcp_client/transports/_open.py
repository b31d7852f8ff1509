"""Map each server source to the transport that yields a `(read, write)` stream pair for a session."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, Literal

import anyio
import httpx2
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcp_client.config import HttpSource, McpServerConfig, ProcessSource, WebSocketSource
from mcp_client.errors import MCPConnectError
from mcp_client.transports.stdio import Ended, stdio_transport
from mcp_client.transports.websocket import websocket_client

Streams = tuple[Any, Any]
HttpMode = Literal["streamable", "sse"]
DEFAULT_HTTP_TIMEOUT = 30.0


def transport_name(config: McpServerConfig) -> str:
    source = config.source
    if isinstance(source, HttpSource):
        return "sse" if source.transport == "sse" else "http"
    return "stdio" if isinstance(source, ProcessSource) else "websocket"


def headers_of(config: McpServerConfig) -> dict[str, str]:
    """Header values (secrets revealed only here, on their way onto the wire) plus the bearer token."""
    source = config.source
    raw = source.headers if isinstance(source, HttpSource | WebSocketSource) else None
    headers = {k: v.get_secret_value() for k, v in (raw or {}).items()}
    if config.bearer_token is not None:
        headers["Authorization"] = f"Bearer {config.bearer_token.get_secret_value()}"
    return headers


def _process_problem(source: ProcessSource) -> str | None:
    if source.work_dir is not None and not os.path.isdir(source.work_dir):
        return f"work_dir {source.work_dir!r} is not a directory"
    if shutil.which(source.command, path=(source.env or {}).get("PATH")) is None:
        return f"command {source.command!r} not found (is it installed and on PATH?)"
    return None


@asynccontextmanager
async def open_transport(
    config: McpServerConfig, info: Ended | None = None, *, http_mode: HttpMode = "streamable"
) -> AsyncIterator[Streams]:
    """Open the transport of `config.source`.

    Raises:
        MCPConnectError: the server cannot be started or reached (`permanent` when retrying cannot help).
    """
    source = config.source
    transport: AbstractAsyncContextManager[Streams]
    async with AsyncExitStack() as stack:
        if isinstance(source, ProcessSource):
            # Checked first so the error names the command, not a traceback from the subprocess module.
            problem = await anyio.to_thread.run_sync(_process_problem, source)
            if problem:
                raise MCPConnectError(config.name, problem, permanent=True)
            transport = stdio_transport(
                source.command, source.args, env=source.env, cwd=source.work_dir, name=config.name, info=info
            )
        elif isinstance(source, HttpSource):
            timeout = source.timeout_secs or DEFAULT_HTTP_TIMEOUT
            if http_mode == "sse":
                transport = sse_client(source.url, headers=headers_of(config), timeout=timeout)
            else:
                client = httpx2.AsyncClient(headers=headers_of(config), timeout=httpx2.Timeout(timeout))
                await stack.enter_async_context(client)
                transport = streamable_http_client(source.url, http_client=client)
        else:
            transport = websocket_client(source.url, headers=headers_of(config), timeout_secs=source.timeout_secs)
        try:
            streams = await stack.enter_async_context(transport)
        except OSError as exc:
            raise MCPConnectError(config.name, _os_reason(source, exc)) from exc
        yield streams


def _os_reason(source: ProcessSource | HttpSource | WebSocketSource, exc: OSError) -> str:
    if isinstance(source, ProcessSource):
        return f"cannot start {source.command!r}: {exc.strerror or exc}"
    return f"cannot connect to {source.url}: {exc.strerror or exc}"
