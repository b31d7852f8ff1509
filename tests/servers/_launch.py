"""Start test servers for tests: network ones as subprocesses that announce their URL, stdio ones as commands,
and (`in_process`) server objects for the memory transport.

`launched("slow", "http")` yields the URL and stops the server's whole process group on exit, also when
the test fails. Stderr goes to a temporary file, never a pipe, so a chatty server can never block on it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
from anyio.abc import Process

from tests.servers import IN_PROCESS
from tests.servers._transports import AnyServer

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECS = 20.0
STOP_TIMEOUT_SECS = 3.0
"""How long a server gets to exit after SIGTERM before the whole group gets SIGKILL."""
_POLL_SECS = 0.02
_ANNOUNCE = re.compile(rb"^(\S+): serving MCP over (\S+) at (\S+)$", re.MULTILINE)
_STDERR_TAIL_BYTES = 8192


class LaunchError(RuntimeError):
    """A test server did not come up: it exited, or did not announce its URL in time.

    Attributes:
        name: The server name.
        transport: The transport it was asked to serve.
        stderr: The end of what it wrote to stderr.
    """

    def __init__(self, message: str, *, name: str, transport: str, stderr: str) -> None:
        super().__init__(
            f"{message}; its stderr ends:\n{stderr}" if stderr else f"{message}; its stderr is empty"
        )
        self.name = name
        self.transport = transport
        self.stderr = stderr


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSpec:
    """One server to launch: `python -m tests.servers NAME --transport TRANSPORT --port 0 *ARGS`."""

    name: str
    transport: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchedServer:
    """A running network test server."""

    name: str
    transport: str
    url: str
    pid: int
    """The server's pid, also its process group id (for a `kill -9` mid-call)."""
    process: Process
    """The server process: `await process.wait()` for its exit code after a crash."""
    stderr_file: IO[bytes]
    """The temporary file its stderr goes to; `stderr_text()` reads it."""

    def stderr_text(self) -> str:
        """Everything the server has written to stderr so far (inside the `launched_servers` block only)."""
        return _read(self.stderr_file).decode(errors="replace")


def server_args(name: str, transport: str, *args: str) -> list[str]:
    """The arguments after `python`: `-m tests.servers NAME --transport TRANSPORT *ARGS`."""
    return ["-m", "tests.servers", name, "--transport", transport, *args]


def stdio_command(name: str, *args: str) -> tuple[str, list[str]]:
    """The `(command, args)` of a stdio test server, for a process source in a config.

    `python -m tests.servers` needs the repository root as its working directory (`REPO_ROOT`); pytest runs
    from there, so a config that sets no working directory works.
    """
    return sys.executable, server_args(name, "stdio", *args)


def in_process(name: str, *args: str) -> AnyServer:
    """Test server `name` built in this process, for the memory transport; `args` are its command-line flags.

    Raises:
        ValueError: `name` does something to its process before serving (see `IN_PROCESS`).
    """
    if name not in IN_PROCESS:
        raise ValueError(f"{name!r} needs a process of its own; in-process servers: {', '.join(IN_PROCESS)}")
    from tests.servers.__main__ import parser, start

    return start(parser().parse_args([name, *args]))


@asynccontextmanager
async def launched(
    name: str, transport: str, *args: str, startup_timeout_secs: float = STARTUP_TIMEOUT_SECS
) -> AsyncIterator[str]:
    """Start `python -m tests.servers NAME --transport TRANSPORT --port 0 *ARGS` and yield its URL.

    Raises:
        LaunchError: The server exited, or did not announce its URL within `startup_timeout_secs`.
    """
    spec = ServerSpec(name=name, transport=transport, args=args)
    async with launched_servers(spec, startup_timeout_secs=startup_timeout_secs) as (server,):
        yield server.url


@asynccontextmanager
async def launched_servers(
    *specs: ServerSpec, startup_timeout_secs: float = STARTUP_TIMEOUT_SECS
) -> AsyncIterator[list[LaunchedServer]]:
    """Start all `specs` at once and yield them, in order, once every one has announced its URL.

    On exit (and when any fails to start) each server's process group gets SIGTERM, then SIGKILL after
    `STOP_TIMEOUT_SECS`, so grandchildren end too (except ones that left the group).

    Raises:
        ValueError: A spec asks for stdio.
        LaunchError: A server exited, or did not announce its URL within `startup_timeout_secs`.
    """
    if any(spec.transport == "stdio" for spec in specs):
        raise ValueError("stdio servers are started by their client: use stdio_command()")
    with ExitStack() as files:
        starting: list[_Starting] = []
        try:
            for spec in specs:
                stderr = files.enter_context(tempfile.TemporaryFile())
                command = [sys.executable, *server_args(spec.name, spec.transport, "--port", "0", *spec.args)]
                process = await anyio.open_process(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    cwd=REPO_ROOT,
                    start_new_session=True,
                )
                starting.append(_Starting(spec, process, stderr))
            await _wait_for_urls(starting, startup_timeout_secs)
            yield [
                LaunchedServer(
                    name=s.spec.name,
                    transport=s.spec.transport,
                    url=s.url or "",
                    pid=s.process.pid,
                    process=s.process,
                    stderr_file=s.stderr,
                )
                for s in starting
            ]
        finally:
            with anyio.CancelScope(shield=True):
                await _stop_process_groups([s.process for s in starting])


class _Starting:
    """A server process, and how far its stderr has been searched for the announcement."""

    def __init__(self, spec: ServerSpec, process: Process, stderr: IO[bytes]) -> None:
        self.spec = spec
        self.process = process
        self.stderr = stderr
        self.url: str | None = None
        self._scanned = 0  # stderr before this offset holds only complete lines without the announcement

    def scan(self) -> str | None:
        """The announced URL, once the server has written it."""
        if self.url is None:
            data = _read(self.stderr, self._scanned)
            complete = data[: data.rfind(b"\n") + 1]
            for match in _ANNOUNCE.finditer(complete):
                if match[1].decode() == self.spec.name and match[2].decode() == self.spec.transport:
                    self.url = match[3].decode()
            self._scanned += len(complete)
        return self.url

    def failure(self, why: str) -> LaunchError:
        spec = self.spec
        return LaunchError(
            f"{spec.name} over {spec.transport} {why}",
            name=spec.name,
            transport=spec.transport,
            stderr=self.tail(),
        )

    def tail(self) -> str:
        size = os.fstat(self.stderr.fileno()).st_size
        return _read(self.stderr, max(0, size - _STDERR_TAIL_BYTES)).decode(errors="replace")


async def _wait_for_urls(starting: Sequence[_Starting], within_secs: float) -> None:
    with anyio.move_on_after(within_secs):
        while True:
            for server in starting:
                if server.scan() is None and server.process.returncode is not None:
                    raise server.failure(f"exited with code {server.process.returncode} before serving")
            if all(server.url is not None for server in starting):
                return
            await anyio.sleep(_POLL_SECS)
    late = next(server for server in starting if server.url is None)
    raise late.failure(f"did not announce its URL within {within_secs:g} s")


def _read(stderr: IO[bytes], offset: int = 0) -> bytes:
    size = os.fstat(stderr.fileno()).st_size
    return os.pread(stderr.fileno(), max(0, size - offset), offset)


async def _stop_process_groups(processes: Sequence[Process]) -> None:
    """SIGTERM each process's group, wait up to `STOP_TIMEOUT_SECS`, then SIGKILL what is left of each group.

    Each process must lead its own group (`start_new_session=True`). Shield this from cancellation.
    """
    for process in processes:
        _signal_group(process.pid, signal.SIGTERM)
    with anyio.move_on_after(STOP_TIMEOUT_SECS):
        for process in processes:
            await process.wait()
    for process in processes:
        _signal_group(process.pid, signal.SIGKILL)  # also what is left of the group once its leader is gone
        await process.aclose()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone
