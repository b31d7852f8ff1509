"""Test helpers: bundled tool servers as real subprocesses, and MCP client sessions over each transport."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from mcp_client.transports.websocket import websocket_client
from tools.launch import stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECS = 30.0
_ANNOUNCE = re.compile(r"serving MCP over \w+ at (\S+)")


@dataclass(frozen=True, slots=True)
class RunningServer:
    process: subprocess.Popen[bytes]
    url: str
    transport: str


def server_command(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tools", name, *args]


@contextmanager
def _spawned(command: list[str]) -> Iterator[tuple[subprocess.Popen[bytes], Any]]:
    """The process and its stderr file; stopped on exit, also when the test fails: terminate, then kill."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO_ROOT
        )
        try:
            yield process, stderr
        finally:
            if process.poll() is None:
                stop_process(process, grace_secs=5)


@contextmanager
def announcing_processes(*commands: tuple[list[str], str]) -> Iterator[list[RunningServer]]:
    """Start each `(command, transport)` at once, then wait for the URL each prints on stderr as
    `serving MCP over TRANSPORT at URL`."""
    with ExitStack() as stack:
        spawned = [stack.enter_context(_spawned(command)) for command, _ in commands]
        yield [
            RunningServer(process, _wait_for_url(process, stderr), transport)
            for (process, stderr), (_, transport) in zip(spawned, commands, strict=True)
        ]


@contextmanager
def server_processes(*specs: tuple[str, str, tuple[str, ...]]) -> Iterator[list[RunningServer]]:
    """`python -m tools NAME --transport T --port 0 ARGS` for each `(NAME, T, ARGS)`, started at once."""
    commands = [(server_command(name, "--transport", t, "--port", "0", *args), t) for name, t, args in specs]
    with announcing_processes(*commands) as servers:
        yield servers


@contextmanager
def server_process(name: str, transport: str, *args: str) -> Iterator[RunningServer]:
    """One server, as `server_processes` starts them."""
    with server_processes((name, transport, args)) as (server,):
        yield server


def _wait_for_url(process: subprocess.Popen[bytes], stderr: Any) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECS
    while time.monotonic() < deadline:
        text = os.pread(stderr.fileno(), 1 << 16, 0).decode(errors="replace")
        if match := _ANNOUNCE.search(text):
            return match.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before serving:\n{text}")
        time.sleep(0.02)
    raise RuntimeError(f"server did not announce its URL within {STARTUP_TIMEOUT_SECS} s")


def _transport(target: RunningServer | list[str]) -> AbstractAsyncContextManager[Any]:
    if isinstance(target, list):
        return stdio_client(StdioServerParameters(command=target[0], args=target[1:], cwd=REPO_ROOT))
    if target.transport == "http":
        return streamable_http_client(target.url)
    return websocket_client(target.url)


@asynccontextmanager
async def mcp_session(target: RunningServer | list[str]) -> AsyncIterator[ClientSession]:
    """An initialized ClientSession to a running HTTP/WebSocket server, or over stdio to a command."""
    async with _transport(target) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            yield session


def text_of(result: Any) -> str:
    """The text blocks of an MCP CallToolResult, joined."""
    return "\n".join(block.text for block in result.content if block.type == "text")
