"""MCPClientManager: connects every configured server, registers their tools under prefixed names, calls them.

It is a `tools.Toolset`, so the agent sees it as just another source of tools.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from mcp_client._connection import ServerConnection, ServerStatus
from mcp_client._names import near_matches, prefixed
from mcp_client._resources import ResourcesMixin
from mcp_client.config import McpClientConfig, McpServerConfig
from mcp_client.errors import MCPClientError, ToolNotFoundError
from mcp_client.handlers import ClientHandlers
from mcp_client.transports import transport_for
from tools import ProgressCallback, ToolResult, ToolSpec

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


class MCPClientManager(ResourcesMixin):
    """Connects the enabled servers of a config concurrently, keeps the healthy ones, supervises them all.

    Usage::

        async with MCPClientManager(config) as manager:
            result = await manager.call_tool("calc_evaluate", {"expression": "2+2"})

    Every server session lives in a task of the manager's own task group, so the manager may be
    used from any task (a web handler, a test) while it is open.

    Args:
        config: The servers and the limits across them.
        handlers: How the client answers what servers ask of it (sampling, elicitation, roots) and
            where their log messages go. None (the default) offers servers none of these.
    """

    def __init__(self, config: McpClientConfig, *, handlers: ClientHandlers | None = None) -> None:
        self.config = config
        self.handlers = handlers
        self._connections = {
            s.id: ServerConnection(s, transport_for(s), handlers=handlers, on_change=self._changed)
            for s in config.servers
            if s.enabled
        }
        self._tools: dict[str, RegisteredTool] = {}
        self._renamed: dict[str, list[str]] = {}
        self._listeners: list[Callable[[], None]] = []
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
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        self._register()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for connection in self._connections.values():
            connection.stop()
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            return
        # Hand the task group only a cancellation: any other exception from the `async with` body must
        # reach the caller as itself, not wrapped in an exception group.
        if isinstance(exc, anyio.get_cancelled_exc_class()):
            await task_group.__aexit__(exc_type, exc, tb)
        else:
            await task_group.__aexit__(None, None, None)

    # -- registry ----------------------------------------------------------------------------------

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
                restarts=c.restarts,
                retry_in_secs=c.retry_in(),
                renamed=tuple(self._renamed.get(c.config.id, ())),
            )
            for c in self._connections.values()
        ]

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` whenever a server's state or tool list changes. Returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def restart(self, server_id: str) -> None:
        """Reconnect a server now, closing its circuit breaker if repeated failures had opened it."""
        connection = self._connections.get(server_id)
        if connection is None:
            raise MCPClientError(f"no server with id {server_id!r}; known: {', '.join(self._connections)}")
        connection.restart()

    def _changed(self) -> None:
        if self._task_group is not None:  # during startup the registry is built once, at the end
            self._register()
        for listener in list(self._listeners):
            listener()

    def _register(self) -> None:
        """Register every server's last known tools. A collision renames both tools, never overwrites."""
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
        tools: dict[str, RegisteredTool] = {}
        renamed: dict[str, list[str]] = {}
        for name, specs in wanted.items():
            if len(specs) == 1:
                tools[name] = specs[0]
                continue
            for spec in specs:
                server = self._connections[spec.server_id].config
                new_name = prefixed(server.name, spec.name)
                renamed.setdefault(spec.server_id, []).append(f"{name} -> {new_name}")
                tools[new_name] = replace(spec, name=new_name)
        for server_id, changes in renamed.items():
            if changes != self._renamed.get(server_id):
                logger.warning("tool names collide; registered %s", ", ".join(changes))
        self._tools, self._renamed = tools, renamed

    # -- calls -------------------------------------------------------------------------------------

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout_secs: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ToolResult:
        """Call a registered tool by its registered name.

        Args:
            name: The registered (prefixed) name.
            arguments: The tool's arguments.
            timeout_secs: Overrides the server's and the config's `tool_timeout_secs`.
            progress: Awaited with each progress notification the server sends for this call.

        Returns:
            The result. A tool's own failure, a timeout or a protocol error is a result with `is_error`.

        Raises:
            ToolNotFoundError: no tool is registered under `name` (the message lists near matches).
            MCPServerDownError: the tool's server is not connected (the message says when it retries).
        """
        tool = self._tools.get(name)
        if tool is None:
            raise ToolNotFoundError(name, near_matches(name, self._tools))
        connection = self._connections[tool.server_id]
        if timeout_secs is None:
            timeout_secs = connection.config.tool_timeout_secs or self.config.tool_timeout_secs
        async with self._limiter:
            return await connection.call_tool(
                tool.original_name, arguments, timeout_secs=timeout_secs, progress=progress
            )
