"""MCPClientManager: connects every configured server, registers their tools under prefixed names, calls them.

It is a `tools.Toolset`, so the agent sees it as just another source of tools.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from mcp_client._connection import ServerConnection, ServerStatus
from mcp_client._names import near_matches, prefixed
from mcp_client.config import McpClientConfig, McpServerConfig
from mcp_client.errors import ToolNotFoundError
from tools import ToolResult, ToolSpec

logger = logging.getLogger("mcp_client")


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredTool(ToolSpec):
    """A discovered tool under its registered (prefixed, sanitized) name."""

    server_id: str
    original_name: str
    annotations: Mapping[str, Any] = field(default_factory=dict)


def _allowed(name: str, config: McpServerConfig) -> bool:
    if config.allow_tools is not None and not any(fnmatch.fnmatchcase(name, p) for p in config.allow_tools):
        return False
    return not any(fnmatch.fnmatchcase(name, p) for p in config.deny_tools or ())


class MCPClientManager:
    """Connects the enabled servers of a config concurrently and keeps the healthy ones.

    Usage::

        async with MCPClientManager(config) as manager:
            result = await manager.call_tool("calc_evaluate", {"expression": "2+2"})
    """

    def __init__(self, config: McpClientConfig) -> None:
        self.config = config
        self._connections = {s.id: ServerConnection(s) for s in config.servers if s.enabled}
        self._tools: dict[str, RegisteredTool] = {}
        self._renamed: dict[str, list[str]] = {}
        self._task_group: anyio.abc.TaskGroup | None = None
        self._limiter = anyio.CapacityLimiter(config.max_concurrent_calls or 1_000_000)

    async def __aenter__(self) -> MCPClientManager:
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        try:
            for connection in self._connections.values():
                task_group.start_soon(connection.run, name=f"mcp-server-{connection.config.name}")
            for connection in self._connections.values():
                await connection.ready.wait()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        self._register()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for connection in self._connections.values():
            connection.stop()
        task_group, self._task_group = self._task_group, None
        if task_group is not None:
            await task_group.__aexit__(exc_type, exc, tb)

    @property
    def tools(self) -> Sequence[RegisteredTool]:
        return list(self._tools.values())

    def status(self) -> list[ServerStatus]:
        return [
            ServerStatus(
                id=c.config.id,
                name=c.config.name,
                transport=c.transport,
                state=c.state,
                error=c.error,
                tool_count=sum(1 for t in self._tools.values() if t.server_id == c.config.id),
                renamed=tuple(self._renamed.get(c.config.id, ())),
            )
            for c in self._connections.values()
        ]

    def _register(self) -> None:
        """Register every ready server's tools. A name collision renames both tools, never overwrites."""
        if not self.config.auto_register_tools:
            return
        wanted: dict[str, list[RegisteredTool]] = {}
        for connection in self._connections.values():
            cfg = connection.config
            for tool in connection.tools:
                if not _allowed(tool.name, cfg):
                    continue
                spec = RegisteredTool(
                    name=prefixed(cfg.tool_prefix, tool.name),
                    description=tool.description or "",
                    input_schema=tool.input_schema,
                    output_schema=tool.output_schema,
                    server_id=cfg.id,
                    original_name=tool.name,
                )
                wanted.setdefault(spec.name, []).append(spec)
        self._tools.clear()
        for name, specs in wanted.items():
            if len(specs) == 1:
                self._tools[name] = specs[0]
                continue
            for spec in specs:
                server = self._connections[spec.server_id].config
                renamed = prefixed(server.name, spec.name)
                logger.warning("tool name %r collides; registering %r as %r", name, server.name, renamed)
                self._renamed.setdefault(spec.server_id, []).append(f"{name} -> {renamed}")
                self._tools[renamed] = replace(spec, name=renamed)

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any], *, timeout_secs: float | None = None
    ) -> ToolResult:
        """Call a registered tool by its registered name.

        Args:
            name: The registered (prefixed) name.
            arguments: The tool's arguments.
            timeout_secs: Overrides the server's and the config's `tool_timeout_secs`.

        Raises:
            ToolNotFoundError: no tool is registered under `name` (the message lists near matches).
            MCPServerDownError: the tool's server is not connected.
        """
        tool = self._tools.get(name)
        if tool is None:
            raise ToolNotFoundError(name, near_matches(name, self._tools))
        connection = self._connections[tool.server_id]
        if timeout_secs is None:
            timeout_secs = connection.config.tool_timeout_secs or self.config.tool_timeout_secs
        async with self._limiter:
            return await connection.call_tool(tool.original_name, arguments, timeout_secs=timeout_secs)

