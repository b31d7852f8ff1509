"""A test MCP server that accepts the connection and never answers: the server that hangs `initialize`.

Every transport accepts (the stdio pipe is read, the HTTP POST and the WebSocket are accepted), but the
request for the muted method never gets a reply. With the default `initialize`, the SDK's dispatcher
handles `initialize` inline, so nothing after it is read either.

Tools (reachable only when a later method is muted):
    echo(text): returns `text`.

Flags (runner): `--mute-on METHOD`, the request never answered (default `initialize`; e.g. `tools/list`
for a server that completes the handshake and then hangs listing its tools).
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer

DEFAULT_METHOD = "initialize"


def build(*, mute_on: str = DEFAULT_METHOD) -> MCPServer:
    """A fresh `mute` server that never answers `mute_on` requests."""
    server = MCPServer("mute")

    async def never_answer(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == mute_on:
            await anyio.sleep_forever()
        return await call_next(ctx)

    server.middleware.append(never_answer)

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    return server
