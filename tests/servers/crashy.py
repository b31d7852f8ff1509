"""A test MCP server that dies on demand: a server crash mid-call, or at start.

Tools:
    crash(after_secs=0): exits the process with code 3 (`os._exit`, no reply, no cleanup), after
        `after_secs` seconds; the call that asked never gets an answer.
    pid(): the server's process id, as text, so a test can `kill -9` it mid-call.
    sleep(seconds): sleeps, then returns `slept {seconds:g} s`: a call to be in flight when the server dies.
    echo(text): returns `text`.

Flags (runner): `--crash-on-start` writes `crashy: crashing on start` to stderr and exits with code 3
before serving: a server that dies before `initialize`.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import anyio
from mcp.server.mcpserver import MCPServer

EXIT_CODE = 3


def build() -> MCPServer:
    """A fresh `crashy` server."""
    server = MCPServer("crashy")

    @server.tool()
    async def crash(after_secs: float = 0.0) -> str:
        """Exit the server process with code 3 after `after_secs` seconds, without answering."""
        await anyio.sleep(after_secs)
        crash_now()

    @server.tool()
    def pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    @server.tool()
    async def sleep(seconds: float) -> str:
        """Sleep for `seconds`, then say so."""
        await anyio.sleep(seconds)
        return f"slept {seconds:g} s"

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    return server


def crash_now(reason: str = "asked to crash") -> NoReturn:
    """Die at once with `EXIT_CODE`, as a segfault or an OOM kill would: no reply, no cleanup."""
    print(f"crashy: {reason}", file=sys.stderr, flush=True)
    os._exit(EXIT_CODE)
