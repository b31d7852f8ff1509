"""The `clock` MCP server: the current time in an IANA time zone."""

from __future__ import annotations

import difflib
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError


def zone(name: str) -> ZoneInfo:
    """The zone called `name`, or a ToolError naming the closest known zones."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ToolError(f"unknown time zone {name!r}{hint}") from None


def build() -> MCPServer:
    server = MCPServer("clock", instructions="Tells the current time in any IANA time zone.")

    @server.tool()
    def now(timezone: str = "UTC") -> str:
        """The current date and time in an IANA time zone such as 'Europe/Paris' (ISO 8601)."""
        return datetime.now(zone(timezone)).isoformat(timespec="seconds")

    return server
