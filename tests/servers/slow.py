"""A test MCP server whose tool sleeps: for timeouts and concurrency. Run: python -m tests.servers.slow"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("slow")


@server.tool()
async def sleep(seconds: float) -> str:
    """Sleep for `seconds`, then say so."""
    await anyio.sleep(seconds)
    return f"slept {seconds:g} s"


if __name__ == "__main__":
    server.run("stdio")
