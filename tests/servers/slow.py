"""A test MCP server whose tool sleeps: timeouts, cancellation and concurrency.

Tools:
    sleep(seconds): sleeps, then returns `slept {seconds:g} s`; a sleep cancelled by the client
        (`notifications/cancelled`) is counted.
    cancelled_count(): how many sleeps were cancelled so far in this process, as text (`"0"`, `"1"`, ...).
    echo(text): returns `text` at once, for round-trip benches.

Run: `python -m tests.servers slow [--transport ...]`, or over stdio `python -m tests.servers.slow`.
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer


def build() -> MCPServer:
    """A fresh `slow` server with its own cancellation count."""
    server = MCPServer("slow")
    cancelled = 0

    @server.tool()
    async def sleep(seconds: float) -> str:
        """Sleep for `seconds`, then say so."""
        nonlocal cancelled
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            cancelled += 1
            raise
        return f"slept {seconds:g} s"

    @server.tool()
    def cancelled_count() -> str:
        """How many `sleep` calls the client cancelled."""
        return str(cancelled)

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    return server


if __name__ == "__main__":
    build().run("stdio")
