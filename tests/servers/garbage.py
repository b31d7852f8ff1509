"""A test MCP server that writes non-JSON lines to stdout between valid messages, then works normally.

Over stdio this is what a careless server does with a stray `print`: before serving it writes
`GARBAGE_LINES` (text, blank and whitespace-only lines, JSON that is no JSON-RPC message) and one very
long line of `x`; each `echo` writes `ECHO_GARBAGE` just before its answer. The runner serves it with
fd 1 left on the wire (the SDK would otherwise point fd 1 at stderr while serving, and strays would
never reach the client). Over the network transports stdout is not the wire and the garbage is harmless.

Tools:
    echo(text): writes `ECHO_GARBAGE` to stdout, then returns `text`.

Flags (runner): `--long-line-bytes N`, the length of the long line (default 1 MiB).

Writes go straight to fd 1, one `os.write` per line, so they never tear a message the SDK is writing
from its worker thread as long as calls are not concurrent.
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer

STDOUT_FD = 1
DEFAULT_LONG_LINE_BYTES = 1024 * 1024
GARBAGE_LINES = (
    "garbage: starting up, this is not JSON",
    "",
    "   ",
    "{not json either",
    '{"jsonrpc": "2.0", "note": "valid JSON, but no JSON-RPC message"}',
    "[1, 2, 3]",
    "Content-Length: 52",
    "\t",
)
ECHO_GARBAGE = ("garbage: about to answer echo", "", "}{")


def _write_line(line: str) -> None:
    data = (line + "\n").encode()
    while data:
        data = data[os.write(STDOUT_FD, data) :]


def write_startup_garbage(long_line_bytes: int = DEFAULT_LONG_LINE_BYTES) -> None:
    """Write `GARBAGE_LINES` and one line of `long_line_bytes` `x` to stdout."""
    for line in GARBAGE_LINES:
        _write_line(line)
    _write_line("x" * long_line_bytes)


def build() -> MCPServer:
    """A fresh `garbage` server."""
    server = MCPServer("garbage")

    @server.tool()
    def echo(text: str) -> str:
        """Write some garbage to stdout, then return `text`."""
        for line in ECHO_GARBAGE:
            _write_line(line)
        return text

    return server
