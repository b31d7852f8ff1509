"""The Transport protocol: how a connection reaches one MCP server, in the `mcp` 2.x shape.

`connect()` is an async context manager yielding the SDK's `(read, write)` stream pair, so any
SDK client transport fits behind it; the connection calls it again to reconnect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

# The SDK's own alias for what its transports yield (`mcp.client.Transport` is a context manager of it).
from mcp.client._transport import TransportStreams

from mcp_client.errors import MCPConnectError

__all__ = ["Transport", "TransportStreams", "opened"]


class Transport(Protocol):
    """How to reach one MCP server. Constructing one connects nothing; `connect()` opens one connection."""

    @property
    def name(self) -> str:
        """The transport's short name, shown in status: `stdio`, `http`, `sse`, `websocket`, `memory`."""
        ...

    @property
    def end_reason(self) -> str | None:
        """Why the last connection ended on its own, where the transport can tell (a process's exit status)."""
        ...

    @property
    def fallback(self) -> Transport | None:
        """A transport to try instead while no connection through this one has ever initialized.

        Streamable HTTP in `auto` mode falls back to legacy HTTP+SSE; every other transport has None.
        """
        ...

    def connect(self) -> AbstractAsyncContextManager[TransportStreams]:
        """Open one connection: `async with transport.connect() as (read, write)`; leaving the block closes it.

        Raises:
            MCPConnectError: the server cannot be started or reached (`permanent` when retrying cannot help).
        """
        ...


@asynccontextmanager
async def opened(
    streams: AbstractAsyncContextManager[TransportStreams], *, server: str, failing: str
) -> AsyncIterator[TransportStreams]:
    """Enter `streams`; an OSError while opening becomes MCPConnectError('{failing}: {why}') for `server`."""
    async with AsyncExitStack() as stack:
        try:
            pair = await stack.enter_async_context(streams)
        except OSError as exc:
            raise MCPConnectError(server, f"{failing}: {exc.strerror or exc}") from exc
        yield pair
