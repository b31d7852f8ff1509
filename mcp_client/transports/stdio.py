"""The stdio transport: an MCP server as a child process, one JSON-RPC message per line on its stdio.

Ours rather than the SDK's because the manager must own each child's process group (to end the
whole tree, grandchildren included, on close, cancellation or SIGTERM), log its stderr under its
name without ever letting a chatty server block on a full pipe, and skip garbage stdout lines.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import mcp_types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.client.stdio import get_default_environment
from mcp.shared.message import SessionMessage

from mcp_client.errors import MCPConnectError
from mcp_client.transports import _reaper
from mcp_client.transports._base import TransportStreams, opened

logger = logging.getLogger("mcp_client.stdio")
server_log = logging.getLogger("mcp_client.server")

MAX_LINE_BYTES = 64 * 1024 * 1024
"""A stdout line longer than this is dropped (and logged), so a runaway server cannot exhaust memory."""
GRACE_SECS = 2.0
"""How long a server has to exit after its stdin closes, and again after SIGTERM, before SIGKILL."""

class Ended:
    """Filled in by a transport when its connection ends on its own: why it ended."""

    reason: str | None = None


ReadStream = MemoryObjectReceiveStream[SessionMessage | Exception]
WriteStream = MemoryObjectSendStream[SessionMessage]


async def _lines(stream: anyio.abc.ByteReceiveStream, name: str, what: str) -> AsyncIterator[bytes]:
    """Complete lines from a byte stream; over-long lines are dropped with a warning."""
    buffer = bytearray()
    dropping = False
    async for chunk in stream:
        buffer += chunk
        while (end := buffer.find(b"\n")) >= 0:
            line, buffer = bytes(buffer[:end]), buffer[end + 1 :]
            if dropping:
                dropping = False
                continue
            yield line
        if len(buffer) > MAX_LINE_BYTES:
            logger.warning("MCP server %r: dropped a %s line over %d bytes", name, what, MAX_LINE_BYTES)
            buffer.clear()
            dropping = True
    if buffer and not dropping:
        yield bytes(buffer)


async def _read_stdout(
    process: anyio.abc.Process, send: MemoryObjectSendStream[SessionMessage | Exception], name: str, info: Ended
) -> None:
    assert process.stdout is not None
    async with send:
        try:
            async for line in _lines(process.stdout, name, "stdout"):
                if not line.strip():
                    continue
                try:
                    message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                except ValueError:
                    logger.warning("MCP server %r wrote a non-JSON-RPC line to stdout: %.200r", name, line)
                    continue
                await send.send(SessionMessage(message))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # the session is gone; the process is being stopped
        with anyio.move_on_after(1.0):
            await process.wait()
        info.reason = process_exit_reason(process.returncode)


async def _read_stderr(process: anyio.abc.Process, name: str) -> None:
    assert process.stderr is not None
    try:
        async for line in _lines(process.stderr, name, "stderr"):
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                server_log.info("[%s] %s", name, text)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass


async def _write_stdin(process: anyio.abc.Process, receive: MemoryObjectReceiveStream[SessionMessage]) -> None:
    assert process.stdin is not None
    async with receive:
        try:
            async for item in receive:
                data = item.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                await process.stdin.send(data.encode("utf-8"))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass  # the process closed its stdin or died; the reader sees the end


async def _stop(process: anyio.abc.Process) -> None:
    """End the server and everything it started.

    Close stdin and give it a grace period, then SIGTERM and finally SIGKILL its process group; then
    SIGKILL whatever is left of the group and of the descendants that had left it (`setsid`).
    """
    with anyio.CancelScope(shield=True):
        strays = _reaper.descendants(process.pid) if process.returncode is None else {}
        if process.stdin is not None:
            with anyio.move_on_after(GRACE_SECS):
                await process.stdin.aclose()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                _reaper.signal_group(process.pid, sig)
                _reaper.kill_pids(strays, sig)
            with anyio.move_on_after(GRACE_SECS):
                await process.wait()
                break
        _reaper.signal_group(process.pid, signal.SIGKILL)
        _reaper.kill_pids(strays, signal.SIGKILL)


@asynccontextmanager
async def stdio_transport(
    command: str,
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    name: str = "server",
    info: Ended | None = None,
) -> AsyncIterator[tuple[ReadStream, WriteStream]]:
    """Start `command args` in a new process group and speak MCP over its stdin and stdout.

    When the server's stdout ends, `info.reason` says why ("process exited with code 3").

    Raises:
        OSError: the command could not be started.
    """
    process = await anyio.open_process(
        [command, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**get_default_environment(), **(env or {})},
        cwd=cwd,
        start_new_session=True,  # its own process group: we can end the whole tree
    )
    _reaper.track(process.pid)
    read_send, read_receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_receive = anyio.create_memory_object_stream[SessionMessage](0)
    try:
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(_read_stdout, process, read_send, name, info or Ended())
            task_group.start_soon(_read_stderr, process, name)
            task_group.start_soon(_write_stdin, process, write_receive)
            try:
                async with read_receive, write_send:
                    yield read_receive, write_send
            finally:
                await _stop(process)
                task_group.cancel_scope.cancel()
    finally:
        _reaper.untrack(process.pid)
        with anyio.CancelScope(shield=True):
            await process.aclose()


class StdioTransport:
    """A server started as a child process, in its own process group, for each connection."""

    name = "stdio"
    fallback = None

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        server_name: str = "server",
    ) -> None:
        self.command = command
        self.args = tuple(args)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.server_name = server_name
        self._ended = Ended()

    @property
    def end_reason(self) -> str | None:
        return self._ended.reason

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[TransportStreams]:
        """Start the process and speak MCP over its stdio; leaving the block ends its whole process tree.

        Raises:
            MCPConnectError: the command is missing or the working directory is not one (permanent),
                or the process could not be started.
        """
        self._ended = Ended()
        # Checked first so the error names the command, not a traceback from the subprocess module.
        problem = await anyio.to_thread.run_sync(self._problem)
        if problem:
            raise MCPConnectError(self.server_name, problem, permanent=True)
        streams = stdio_transport(
            self.command, self.args, env=self.env, cwd=self.cwd, name=self.server_name, info=self._ended
        )
        async with opened(streams, server=self.server_name, failing=f"cannot start {self.command!r}") as pair:
            yield pair

    def _problem(self) -> str | None:
        if self.cwd is not None and not os.path.isdir(self.cwd):
            return f"work_dir {self.cwd!r} is not a directory"
        if shutil.which(self.command, path=(self.env or {}).get("PATH")) is None:
            return f"command {self.command!r} not found (is it installed and on PATH?)"
        return None


def process_exit_reason(returncode: int | None) -> str:
    if returncode is None:
        return "process still running"
    if returncode < 0:
        return f"process killed by {signal.Signals(-returncode).name}"
    return f"process exited with code {returncode}"

