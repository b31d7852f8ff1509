"""Errors of the MCP client.

    MCPClientError
    ├── MCPConfigError        a config file or value is invalid (developer fixes it)
    ├── MCPConnectError       a server could not be started or reached (environment)
    ├── MCPServerDownError    a call went to a server that is not connected
    └── ToolNotFoundError     no registered tool has that name (the model may fix it)
"""

from __future__ import annotations

from collections.abc import Sequence


class MCPClientError(Exception):
    """Base of every error the MCP client raises."""


class MCPConfigError(MCPClientError):
    """A configuration is invalid; the message names the field path and the value."""


class MCPConnectError(MCPClientError):
    """A server could not be started, reached or initialized."""

    def __init__(self, server: str, reason: str, *, permanent: bool = False) -> None:
        super().__init__(f"MCP server {server!r}: {reason}")
        self.server = server
        self.reason = reason
        self.permanent = permanent
        """Retrying cannot help (the command does not exist, the URL is malformed)."""


class MCPServerDownError(MCPClientError):
    """A call went to a server that is not connected."""

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(f"MCP server {server!r} is down ({reason})")
        self.server = server
        self.reason = reason


class ToolNotFoundError(MCPClientError):
    """No registered tool has this name."""

    def __init__(self, name: str, near: Sequence[str]) -> None:
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        super().__init__(f"unknown tool {name!r}{hint}")
        self.name = name
        self.near = tuple(near)
