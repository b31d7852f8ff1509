"""A test MCP server that counts the calls it has in flight at once.

Tools:
    hold(tag, seconds): stays in flight `seconds`, then returns `tag`.
    peak(): the most `hold` calls that were ever in flight together, as text.

Run: `python -m tests.servers gauge [--transport ...]`.
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer


def build() -> MCPServer:
    """A fresh `gauge` server with its own counts."""
    server = MCPServer("gauge")
    now = peak_now = 0

    @server.tool()
    async def hold(tag: str, seconds: float = 0.0) -> str:
        """Stay in flight for `seconds`, then return `tag`."""
        nonlocal now, peak_now
        now += 1
        peak_now = max(peak_now, now)
        try:
            await anyio.sleep(seconds)
        finally:
            now -= 1
        return tag

    @server.tool()
    def peak() -> str:
        """The most calls in flight at once so far."""
        return str(peak_now)

    return server
