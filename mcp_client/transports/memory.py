"""The in-memory transport: an MCP server running in this process, in a task beside the session.

Built on the SDK's own in-memory transport (the one `mcp.client.Client` uses for an in-process
server); a `tools.Toolset` is first served by the same low-level server the bundled servers use.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

# The SDK's in-memory transport lives in a private module; `mcp.client.Client` is its public user.
from mcp.client._memory import InMemoryTransport as _SDKMemoryTransport
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import MCPServer

from mcp_client.config import InProcessServer
from mcp_client.transports._base import TransportStreams
from tools import Toolset
from tools.servers import toolset_server


def as_server(served: InProcessServer, *, name: str) -> Server[Any] | MCPServer:
    """`served` as an SDK server; a Toolset (a `FunctionToolset`, ...) becomes one named `name`.

    Raises:
        TypeError: `served` is neither an SDK server nor a Toolset.
    """
    if isinstance(served, Server | MCPServer):
        return served
    if isinstance(served, Toolset):
        return toolset_server(served, name=name)
    raise TypeError(f"expected an mcp Server, an MCPServer or a tools.Toolset, got {type(served).__name__}")


class MemoryTransport:
    """Serve an in-process server to the session through memory streams: no process, no socket.

    Each `connect()` runs the server afresh in a task for that connection, so a reconnect starts
    from its `initialize` again, as a restarted process would (state the server object keeps, stays).

    Example::

        transport = MemoryTransport(FunctionToolset([add]), server_name="local")
        async with transport.connect() as (read, write), ClientSession(read, write) as session:
            await session.initialize()
    """

    name = "memory"
    end_reason = None
    fallback = None

    def __init__(self, server: InProcessServer, *, server_name: str = "memory") -> None:
        self.server = as_server(server, name=server_name)
        self.server_name = server_name

    def connect(self) -> AbstractAsyncContextManager[TransportStreams]:
        """Start the server in a task and yield the client's end of its streams."""
        return _SDKMemoryTransport(self.server)
