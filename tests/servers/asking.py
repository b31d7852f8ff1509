"""A test MCP server whose tools ask the client: sampling, elicitation, roots, and log messages.

Tools:
    sample(prompt, max_tokens=32, system_prompt=None): `sampling/createMessage` with one user message;
        returns `{"model", "text", "stop_reason"}` of the client's answer as structured content.
    ask(question): `elicitation/create` in form mode for `{"name": str}`; returns `{"action", "name"}`.
    roots(): `roots/list`; returns the root URIs, one a line.
    log(level, text): sends `text` as a `notifications/message` at `level`; returns `logged`.
    capabilities(): which of sampling, elicitation and roots the client declared, comma-separated.

A refused request (the client has no handler, or its handler failed) makes the tool fail with the
client's error message. Sampling, roots and logging are deprecated from protocol 2026-07-28; their
SDK calls are started with that warning silenced (the suite turns warnings into errors).
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning
from pydantic import BaseModel

T = TypeVar("T")


class Sampled(BaseModel):
    model: str
    text: str
    stop_reason: str | None


class Name(BaseModel):
    name: str


class Answer(BaseModel):
    action: Literal["accept", "decline", "cancel"]
    name: str | None


def _deprecated(call: Callable[[], Awaitable[T]]) -> Awaitable[T]:
    """Start a deprecated SDK call without its warning (it is raised when the call is made, not awaited)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        return call()


def build() -> MCPServer:
    """A fresh `asking` server."""
    server = MCPServer("asking")

    @server.tool()
    async def sample(prompt: str, ctx: Context, max_tokens: int = 32, system_prompt: str | None = None) -> Sampled:
        """Ask the client's model to answer `prompt`."""
        message = types.SamplingMessage(role="user", content=types.TextContent(text=prompt))
        result = await _deprecated(
            lambda: ctx.session.create_message([message], max_tokens=max_tokens, system_prompt=system_prompt)
        )
        text = result.content.text if isinstance(result.content, types.TextContent) else ""
        return Sampled(model=result.model, text=text, stop_reason=result.stop_reason)

    @server.tool()
    async def ask(question: str, ctx: Context) -> Answer:
        """Ask the user for a name."""
        result = await ctx.elicit(question, Name)
        return Answer(action=result.action, name=result.data.name if result.action == "accept" else None)

    @server.tool()
    async def roots(ctx: Context) -> str:
        """The client's roots, one URI a line."""
        listed = await _deprecated(ctx.session.list_roots)
        return "\n".join(str(root.uri) for root in listed.roots)

    @server.tool()
    async def log(level: types.LoggingLevel, text: str, ctx: Context) -> str:
        """Send `text` to the client as a log message."""
        await _deprecated(lambda: ctx.session.send_log_message(level, text, logger="asking"))
        return "logged"

    @server.tool()
    def capabilities(ctx: Context) -> str:
        """The client capabilities among sampling, elicitation and roots."""
        declared = ctx.client_capabilities or types.ClientCapabilities()
        return ",".join(name for name in ("sampling", "elicitation", "roots") if getattr(declared, name))

    return server


if __name__ == "__main__":
    build().run("stdio")
