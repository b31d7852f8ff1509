"""The config of the bundled tool servers (calculator and clock over stdio), used when no MCP config is given."""

from __future__ import annotations

import sys

from mcp_client.config import McpClientConfig, McpServerConfig, ProcessSource

BUNDLED = {"calculator": "calc", "clock": "clock"}


def bundled_config() -> McpClientConfig:
    """The bundled calculator and clock servers over stdio, tools prefixed `calc_` and `clock_`."""
    return McpClientConfig(
        servers=[
            McpServerConfig(
                id=name,
                name=name,
                tool_prefix=prefix,
                source=ProcessSource(command=sys.executable, args=["-m", "tools", name, "--transport", "stdio"]),
            )
            for name, prefix in BUNDLED.items()
        ]
    )
