"""A stdio test server that counts the calls it has in flight at once (`python -m tests.mcp_client.gauge_server`).

Tools:
    hold(tag, seconds): stays in flight `seconds`, then returns `tag`.
    peak(): the most `hold` calls that were ever in flight together, as text.
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("gauge")
_now = _peak = 0


@server.tool()
async def hold(tag: str, seconds: float = 0.0) -> str:
    """Stay in flight for `seconds`, then return `tag`."""
    global _now, _peak
    _now += 1
    _peak = max(_peak, _now)
    try:
        await anyio.sleep(seconds)
    finally:
        _now -= 1
    return tag


@server.tool()
def peak() -> str:
    """The most calls in flight at once so far."""
    return str(_peak)


if __name__ == "__main__":
    server.run("stdio")
