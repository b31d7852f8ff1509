"""The bundled MCP tool servers: calculator, clock, files, notes.

Each module exposes `toolset(...) -> FunctionToolset` (the tools, usable in-process) and
`build(...) -> mcp.server.lowlevel.Server` (the same tools as an MCP server); `_serve` runs any
Toolset over stdio, streamable HTTP or WebSocket, and `toolset_server` makes any Toolset a server.
"""

from __future__ import annotations

from tools.servers._serve import toolset_server

__all__ = ["toolset_server"]
