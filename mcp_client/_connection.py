"""One server's connection: a task that opens the transport, owns the MCP session, and closes it.

The session is entered and exited by that one task (anyio cancel scopes demand it); other tasks
call tools through the SDK's request API, which only sends on streams the owner keeps open.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio
import mcp.types as mt
from mcp import ClientSession, MCPError

from mcp_client._convert import result_from_mcp
from mcp_client.config import McpServerConfig
from mcp_client.errors import MCPConnectError, MCPServerDownError
from mcp_client.transports import open_transport, transport_name
from tools import ToolResult

logger = logging.getLogger("mcp_client")


class ServerState(StrEnum):
    CONNECTING = "connecting"
    READY = "ready"
    FAILED = "failed"
    RESTARTING = "restarting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerStatus:
    """What `MCPClientManager.status()` reports for one server. Never carries secrets."""

    id: str
    name: str
    transport: str
    state: ServerState
    error: str | None = None
    tool_count: int = 0
    restarts: int = 0
    renamed: tuple[str, ...] = ()
    """Tools registered under another name than asked, as 'asked -> registered'."""


def root_cause(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio wraps task failures in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException) -> str:
    exc = root_cause(exc)
    if isinstance(exc, MCPConnectError):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, MCPError) else text


class ServerConnection:
    """Owns one MCP server session. `run()` is the owning task; `call_tool()` may be used from any task."""

    def __init__(self, config: McpServerConfig) -> None:
        self.config = config
        self.state = ServerState.CONNECTING
        self.error: str | None = None
        self.tools: list[mt.Tool] = []
        self.ready = anyio.Event()
        self._session: ClientSession | None = None
        self._stop = anyio.Event()

    @property
    def transport(self) -> str:
        return transport_name(self.config)

    async def run(self) -> None:
        """Connect, list tools, then hold the session open until `stop()`. Never raises (but cancellation)."""
        try:
            async with open_transport(self.config) as (read, write), ClientSession(read, write) as session:
                with anyio.fail_after(self.config.connect_timeout_secs):
                    await session.initialize()
                    self.tools = await self._list_tools(session)
                self._session = session
                self.state = ServerState.READY
                self.ready.set()
                await self._stop.wait()
        except Exception as exc:
            reason = describe(exc)
            if isinstance(root_cause(exc), TimeoutError):
                reason = f"no answer to initialize within {self.config.connect_timeout_secs:g} s"
            self.error = reason
            logger.warning("MCP server %r failed: %s", self.config.name, reason)
        finally:
            self._session = None
            self.state = ServerState.FAILED if self.error else ServerState.STOPPED
            self.ready.set()

    def stop(self) -> None:
        self._stop.set()

    @staticmethod
    async def _list_tools(session: ClientSession) -> list[mt.Tool]:
        tools: list[mt.Tool] = []
        cursor: str | None = None
        while True:
            params = mt.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return tools

    async def call_tool(self, name: str, arguments: Mapping[str, Any], *, timeout_secs: float | None) -> ToolResult:
        """Call `name` on this server. A timeout or a protocol error comes back as an error result."""
        session = self._session
        if session is None:
            raise MCPServerDownError(self.config.name, self.error or self.state.value)
        try:
            with anyio.fail_after(timeout_secs):
                result = await session.call_tool(name, dict(arguments))
        except TimeoutError:
            return ToolResult.from_text(f"tool {name!r} timed out after {timeout_secs:g} s", is_error=True)
        except MCPError as exc:
            return ToolResult.from_text(f"tool {name!r} failed: {exc}", is_error=True)
        if not isinstance(result, mt.CallToolResult):
            return ToolResult.from_text(f"tool {name!r} returned an unsupported result", is_error=True)
        return result_from_mcp(result)
