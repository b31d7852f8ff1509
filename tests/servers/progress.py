"""A test MCP server that reports progress while a tool runs.

Tools:
    count(n, delay_secs=0.01): sends `n` `notifications/progress` (progress=i, total=n, message `step i of n`
        for i in 1..n), `delay_secs` apart, then returns `counted to {n}`. Progress goes out only when the
        request carries a `progressToken` (the SDK client adds one when `call_tool` gets a
        `progress_callback`); without one the SDK silently sends nothing.
    echo(text): returns `text`.
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import Context, MCPServer


def build() -> MCPServer:
    """A fresh `progress` server."""
    server = MCPServer("progress")

    @server.tool()
    async def count(n: int, ctx: Context, delay_secs: float = 0.01) -> str:
        """Count to `n`, reporting each step as progress."""
        for i in range(1, n + 1):
            await ctx.report_progress(i, n, f"step {i} of {n}")
            await anyio.sleep(delay_secs)
        return f"counted to {n}"

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    return server
