"""A test MCP server that floods stderr and still answers fast: a client that stops draining stderr hangs it.

Before serving it writes `--burst-bytes` of log lines to stderr (1 MiB by default, far more than a pipe
holds), then a daemon thread keeps writing about `--flood-bytes-per-sec` (100 kB/s by default). Every
write is a blocking `os.write` of whole lines, so when nobody reads the pipe the server stops: at start
before it answers anything, later mid-flood.

Tools:
    echo(text): logs one line to stderr, then returns `text`.
"""

from __future__ import annotations

import os
import threading
import time

from mcp.server.mcpserver import MCPServer

STDERR_FD = 2
DEFAULT_BURST_BYTES = 1024 * 1024
DEFAULT_FLOOD_BYTES_PER_SEC = 100_000
_TICK_SECS = 0.02
_PADDING = "." * 160


def _line(n: int) -> bytes:
    return f"chatty: log line {n:08d} {_PADDING}\n".encode()


def _write(data: bytes) -> None:
    while data:
        data = data[os.write(STDERR_FD, data) :]


def write_burst(nbytes: int = DEFAULT_BURST_BYTES) -> None:
    """Write about `nbytes` of log lines to stderr, blocking while the pipe is full."""
    written = n = 0
    while written < nbytes:
        chunk = b"".join(_line(n + i) for i in range(20))  # about 4 kB a write
        _write(chunk)
        written += len(chunk)
        n += 20


def start_flood(bytes_per_sec: int = DEFAULT_FLOOD_BYTES_PER_SEC) -> threading.Thread:
    """A daemon thread writing about `bytes_per_sec` of log lines to stderr until the process ends."""

    def flood() -> None:
        n = 0
        per_tick = max(1, round(bytes_per_sec * _TICK_SECS / len(_line(0))))
        while True:
            _write(b"".join(_line(n + i) for i in range(per_tick)))
            n += per_tick
            time.sleep(_TICK_SECS)

    thread = threading.Thread(target=flood, name="chatty-flood", daemon=True)
    thread.start()
    return thread


def build() -> MCPServer:
    """A fresh `chatty` server (the flooding is the runner's job: `write_burst`, `start_flood`)."""
    server = MCPServer("chatty")

    @server.tool()
    def echo(text: str) -> str:
        """Log a line to stderr, then return `text`."""
        _write(f"chatty: echo {text!r}\n".encode())
        return text

    return server
