"""One server's connection: a task that opens its transport, owns the MCP session, and supervises it.

The session is entered and exited by that one task (anyio cancel scopes demand it); other tasks
call through the SDK's request API. When the connection is lost (the process exits, the socket
drops, the HTTP session expires) the task reconnects with exponential backoff, lists the tools
again, and after `max_restarts` consecutive failures opens a circuit breaker until `restart()`.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio
import mcp.types as mt
from mcp import ClientSession, MCPError

from mcp_client._convert import result_from_mcp
from mcp_client._handlers import session_callbacks
from mcp_client.config import McpServerConfig
from mcp_client.errors import MCPConnectError, MCPServerDownError
from mcp_client.handlers import ClientHandlers
from mcp_client.transports import Transport
from tools import ProgressCallback, ToolResult
from tools._aio import root_cause

logger = logging.getLogger("mcp_client")

STABLE_SECS = 10.0
"""A session that stayed up this long resets the count of consecutive failures."""


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
    retry_in_secs: float | None = None
    renamed: tuple[str, ...] = ()
    """Tools registered under another name than asked, as 'asked -> registered'."""


def describe(exc: BaseException) -> str:
    exc = root_cause(exc)
    if isinstance(exc, MCPConnectError):
        return exc.reason
    if isinstance(exc, MCPError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _wait_any(*events: anyio.Event) -> None:
    async with anyio.create_task_group() as task_group:

        async def wait(event: anyio.Event) -> None:
            await event.wait()
            task_group.cancel_scope.cancel()

        for event in events:
            task_group.start_soon(wait, event)


class _Watched:
    """The transport's read stream as the session sees it: when it ends, `lost` is set.

    A proxy rather than a relay task, so watching for the end costs no extra hop per message.
    """

    def __init__(self, inner: Any, lost: anyio.Event) -> None:
        self._inner = inner
        self._lost = lost

    @property
    def last_context(self) -> Any:  # the dispatcher reads the sender's context from the stream, if present
        return getattr(self._inner, "last_context", None)

    async def __aenter__(self) -> _Watched:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._inner.__aexit__(*exc_info)

    def __aiter__(self) -> _Watched:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._inner.__anext__()
        except (StopAsyncIteration, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._lost.set()
            raise


class ServerConnection:
    """Owns and supervises one MCP server session, reached through `transport`. `run()` is the owning task.

    `handlers` answer what the server asks of the client (sampling, elicitation, roots) and receive its
    log messages; without them the session offers none of these, as before handlers existed.
    """

    def __init__(
        self,
        config: McpServerConfig,
        transport: Transport,
        *,
        handlers: ClientHandlers | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.transport = transport.name
        """The configured transport's name (a fallback taken later does not change it)."""
        self.state = ServerState.CONNECTING
        self.error: str | None = None
        self.tools: list[mt.Tool] = []
        self.restarts = 0
        self.retry_at: float | None = None
        self.ready = anyio.Event()
        """Set once the first connection attempt has finished, whichever way."""
        self.session: ClientSession | None = None
        self._on_change = on_change
        self._stop = anyio.Event()
        self._wake = anyio.Event()
        self._lost = anyio.Event()
        self._refresh = anyio.Event()
        self._session_changed = anyio.Event()
        self._failures = 0
        self._connected_once = False
        self._transport = transport
        self._callbacks = session_callbacks(handlers, config.name)
        bound = config.max_concurrent_calls
        self._limiter = anyio.CapacityLimiter(bound) if bound else None

    def stop(self) -> None:
        self._stop.set()

    def restart(self) -> None:
        """Reconnect now, closing the circuit breaker if it was open."""
        self._failures = 0
        self._lost.set()
        self._wake.set()

    def retry_in(self) -> float | None:
        return None if self.retry_at is None else max(0.0, self.retry_at - anyio.current_time())

    # -- the owning task ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, reconnect on loss until `stop()`. Never raises (but cancellation)."""
        try:
            while not self._stop.is_set():
                reason, permanent, connected = await self._session_once(self._transport)
                self._connected_once |= connected
                fallback = self._transport.fallback
                if not connected and not self._connected_once and fallback is not None:
                    fallback_reason, permanent, connected = await self._session_once(fallback)
                    if connected:
                        self._transport = fallback
                    else:
                        reason = f"{reason} (as {fallback.name}: {fallback_reason})"
                if self._stop.is_set():
                    break
                await self._after_failure(reason, permanent)
        finally:
            self.session = None
            self.state = ServerState.FAILED if self.state is ServerState.FAILED else ServerState.STOPPED
            self.retry_at = None
            self.ready.set()

    async def _session_once(self, transport: Transport) -> tuple[str, bool, bool]:
        """One connection's whole life: why it ended, whether retrying is pointless, whether it got connected."""
        self._lost, self._wake = anyio.Event(), anyio.Event()
        began, connected = anyio.current_time(), False
        with anyio.CancelScope(deadline=began + self.config.connect_timeout_secs) as connect_scope:
            try:
                async with transport.connect() as (read, write):
                    watched = _Watched(read, self._lost)
                    async with ClientSession(
                        watched,  # type: ignore[arg-type]
                        write,
                        message_handler=self._on_message,
                        **self._callbacks,
                    ) as session:
                        await session.initialize()
                        self.tools = await _list_tools(session)
                        connect_scope.deadline = math.inf
                        connected = True
                        await self._serve(session)
            except Exception as exc:
                cause = root_cause(exc)
                permanent = isinstance(cause, MCPConnectError) and cause.permanent
                return describe(exc), permanent, connected
            finally:
                self.session = None
        if connect_scope.cancelled_caught:
            return f"no answer to initialize within {self.config.connect_timeout_secs:g} s", False, False
        if anyio.current_time() - began >= STABLE_SECS:
            self._failures = 0
        return transport.end_reason or "connection closed", False, connected

    async def _serve(self, session: ClientSession) -> None:
        self.session = session
        self._session_changed.set()
        self._session_changed = anyio.Event()
        self.state, self.error, self.retry_at = ServerState.READY, None, None
        self.ready.set()
        self._on_change()
        logger.info("MCP server %r ready with %d tools", self.config.name, len(self.tools))
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(self._refresher, session)
            await _wait_any(self._stop, self._lost)
            task_group.cancel_scope.cancel()

    async def _after_failure(self, reason: str, permanent: bool) -> None:
        self._failures += 1
        self.error = reason
        cfg = self.config
        if permanent or not cfg.restart or self._failures > cfg.max_restarts:
            if not permanent and cfg.restart:
                self.error = f"{reason}; gave up after {self._failures} failures in a row (restart() retries)"
            self.state, self.retry_at = ServerState.FAILED, None
            logger.warning("MCP server %r failed: %s", cfg.name, self.error)
            self.ready.set()
            self._on_change()
            await _wait_any(self._stop, self._wake)
            self._failures = 0
        else:
            delay = min(cfg.backoff_initial_secs * 2 ** (self._failures - 1), cfg.backoff_max_secs)
            self.state, self.retry_at = ServerState.RESTARTING, anyio.current_time() + delay
            logger.warning("MCP server %r is down (%s); retrying in %.1f s", cfg.name, reason, delay)
            self.ready.set()
            self._on_change()
            with anyio.move_on_after(delay):
                await _wait_any(self._stop, self._wake)
        if not self._stop.is_set():
            self.restarts += 1
            self.retry_at = None

    async def _on_message(self, message: object) -> None:
        if isinstance(message, mt.ToolListChangedNotification):
            self._refresh.set()
        elif isinstance(message, Exception):
            logger.warning("MCP server %r sent something unreadable: %s", self.config.name, message)

    async def _refresher(self, session: ClientSession) -> None:
        """Re-list the tools whenever the server says its list changed."""
        while True:
            await self._refresh.wait()
            self._refresh = anyio.Event()
            try:
                self.tools = await _list_tools(session)
            except MCPError as exc:
                logger.warning("MCP server %r: listing changed tools failed: %s", self.config.name, exc)
                continue
            self._on_change()

    # -- calls from any task -----------------------------------------------------------------------

    def _mark_lost(self, session: ClientSession) -> None:
        """A call saw the connection close: report the server down now, before the supervisor wakes."""
        if self.session is session:
            self.session = None
            self.state, self.error = ServerState.RESTARTING, "connection lost"
            self._on_change()
        self._lost.set()

    async def _reconnect_after_expiry(self, expired: ClientSession) -> None:
        """Drop the expired session and wait (bounded by the connect timeout) for its replacement."""
        self._lost.set()
        with anyio.move_on_after(self.config.connect_timeout_secs):
            while self.session is None or self.session is expired:
                await self._session_changed.wait()

    def _down(self) -> MCPServerDownError:
        reason = self.error or self.state.value
        wait = self.retry_in()
        if wait is not None:
            reason = f"{reason}; retrying in {wait:.1f} s"
        elif self.state is ServerState.FAILED:
            reason = f"{reason}; not retrying"
        elif self.state is ServerState.RESTARTING:
            reason = f"{reason}; reconnecting"
        return MCPServerDownError(self.config.name, reason)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout_secs: float | None,
        progress: ProgressCallback | None = None,
    ) -> ToolResult:
        """Call `name` on this server. A timeout or a protocol error comes back as an error result.

        Raises:
            MCPServerDownError: the server is not connected (fails fast, says when it retries).
        """
        async with self._limiter or contextlib.nullcontext():
            for attempt in (1, 2):
                session = self.session
                if session is None:
                    raise self._down()
                try:
                    with anyio.fail_after(timeout_secs):
                        result = await session.call_tool(name, dict(arguments), progress_callback=progress)
                    break
                except TimeoutError:
                    # Abandoning the request made the SDK send notifications/cancelled; a late reply is dropped.
                    return ToolResult.from_text(f"tool {name!r} timed out after {timeout_secs:g} s", is_error=True)
                except MCPError as exc:
                    if exc.error.code == mt.CONNECTION_CLOSED:
                        self._mark_lost(session)
                        return ToolResult.from_text(
                            f"MCP server {self.config.name!r} went away during the call to {name!r}", is_error=True
                        )
                    if not _session_expired(exc) or attempt == 2:
                        return ToolResult.from_text(f"tool {name!r} failed: {exc}", is_error=True)
                    # The server forgot our HTTP session (it restarted): it rejected this call without running
                    # it, so reconnect and send it once more.
                    logger.info("MCP server %r: HTTP session expired; reconnecting", self.config.name)
                    await self._reconnect_after_expiry(session)
        if not isinstance(result, mt.CallToolResult):
            return ToolResult.from_text(f"tool {name!r} returned an unsupported result", is_error=True)
        return result_from_mcp(result)


def _session_expired(exc: MCPError) -> bool:
    """The two spellings of "your streamable-HTTP session id is unknown": the server's, and the SDK's stand-in."""
    message = exc.error.message.lower()
    return "session not found" in message or "session terminated" in message


async def _list_tools(session: ClientSession) -> list[mt.Tool]:
    """Every tool, following `nextCursor` across pages."""
    tools: list[mt.Tool] = []
    cursor: str | None = None
    for _ in range(10_000):
        params = mt.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
