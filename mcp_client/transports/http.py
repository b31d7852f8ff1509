"""The HTTP transports, both the SDK's: streamable HTTP, and legacy HTTP+SSE (the fallback of `auto`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx2
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcp_client.transports._base import TransportStreams, opened

DEFAULT_TIMEOUT_SECS = 30.0


class HttpTransport:
    """A server reached over streamable HTTP or, with `legacy_sse`, the legacy HTTP+SSE transport.

    Args:
        url: The server's MCP endpoint.
        headers: Sent with every request (a bearer token is an `Authorization` header).
        timeout_secs: Limit for connecting and for each request (default 30 s).
        legacy_sse: Speak legacy HTTP+SSE rather than streamable HTTP.
        fallback: Tried instead while no connection has initialized (`auto` mode: a legacy SSE transport).
        server_name: Names the server in errors.
    """

    end_reason = None

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_secs: float | None = None,
        legacy_sse: bool = False,
        fallback: HttpTransport | None = None,
        server_name: str = "server",
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.timeout_secs = timeout_secs or DEFAULT_TIMEOUT_SECS
        self.legacy_sse = legacy_sse
        self.fallback = fallback
        self.server_name = server_name
        self.name = "sse" if legacy_sse else "http"

    def connect(self) -> AbstractAsyncContextManager[TransportStreams]:
        """Open the HTTP session. Raises MCPConnectError when the connection fails."""
        return opened(self._streams(), server=self.server_name, failing=f"cannot connect to {self.url}")

    @asynccontextmanager
    async def _streams(self) -> AsyncIterator[TransportStreams]:
        if self.legacy_sse:
            async with sse_client(self.url, headers=self.headers, timeout=self.timeout_secs) as streams:
                yield streams
            return
        timeout = httpx2.Timeout(self.timeout_secs)
        async with (
            httpx2.AsyncClient(headers=self.headers, timeout=timeout) as client,
            streamable_http_client(self.url, http_client=client) as streams,
        ):
            yield streams
