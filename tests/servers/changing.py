"""A test MCP server whose tool list changes at runtime, and whose `tools/list` can be paginated.

Tools:
    add_tool(name): adds a tool `name` (no arguments; returns `I am {name}`) and sends
        `notifications/tools/list_changed`; an existing name is an error result.
    remove_tool(name): removes a tool added at runtime or by `--extra-tools` and sends
        `notifications/tools/list_changed`; an unknown or fixed tool is an error result.
    echo(text): returns `text`.
    extra_000 ... : `--extra-tools N` adds N tools at start, each returning `I am {name}`.

Flags (runner): `--page-size K` makes `tools/list` return K tools a page with `nextCursor` (the cursor is
the offset, as text; a bad cursor is an INVALID_PARAMS error); `--extra-tools N` as above.

Built on the low-level `Server`: `MCPServer` always lists every tool at once and never advertises
`tools.listChanged`. The change is announced both ways the SDK knows: on the connection (handshake-era
clients, which is what `ClientSession.initialize` negotiates) and on the subscription bus
(`subscriptions/listen`, 2026-07-28 clients).
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ToolsListChanged

_NAME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string", "description": "The tool name."}},
    "required": ["name"],
}
_TEXT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string", "description": "What to echo."}},
    "required": ["text"],
}
_NO_ARGS: dict[str, Any] = {"type": "object", "properties": {}}
FIXED_TOOLS = ("add_tool", "remove_tool", "echo")


class _ListChangedServer(Server[Any]):
    """Advertises `tools.listChanged`: the SDK sets it only from options its transports never pass."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        options = notification_options or NotificationOptions(tools_changed=True)
        return super().create_initialization_options(options, experimental_capabilities, extensions)


def _text(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


def build(*, page_size: int | None = None, extra_tools: int = 0) -> Server[Any]:
    """A fresh `changing` server.

    Args:
        page_size: Tools per `tools/list` page; None lists them all at once.
        extra_tools: How many `extra_NNN` tools to start with (to make pagination visible).

    Raises:
        ValueError: `page_size` is below 1 or `extra_tools` below 0.
    """
    if page_size is not None and page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    if extra_tools < 0:
        raise ValueError(f"extra_tools must be 0 or more, not {extra_tools}")
    tools: dict[str, types.Tool] = {
        "add_tool": types.Tool(
            name="add_tool", description="Add a tool named `name`.", input_schema=_NAME_SCHEMA
        ),
        "remove_tool": types.Tool(
            name="remove_tool", description="Remove the tool `name`.", input_schema=_NAME_SCHEMA
        ),
        "echo": types.Tool(name="echo", description="Return `text` unchanged.", input_schema=_TEXT_SCHEMA),
    }
    for i in range(extra_tools):
        name = f"extra_{i:03d}"
        tools[name] = types.Tool(name=name, description=f"Say `I am {name}`.", input_schema=_NO_ARGS)
    bus = InMemorySubscriptionBus()

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        listed = list(tools.values())
        if page_size is None:
            return types.ListToolsResult(tools=listed)
        cursor = params.cursor if params is not None else None
        start = _offset(cursor, len(listed))
        end = start + page_size
        return types.ListToolsResult(
            tools=listed[start:end], next_cursor=str(end) if end < len(listed) else None
        )

    async def changed(ctx: ServerRequestContext[Any]) -> None:
        await ctx.session.send_tool_list_changed()
        await bus.publish(ToolsListChanged())

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        arguments = params.arguments or {}
        if params.name not in tools:
            return _text(f"unknown tool: {params.name}", is_error=True)
        if params.name == "echo":
            return _text(str(arguments.get("text", "")))
        if params.name not in ("add_tool", "remove_tool"):
            return _text(f"I am {params.name}")
        name = arguments.get("name")
        if not isinstance(name, str) or not name:
            return _text(f"{params.name}: `name` must be a non-empty string", is_error=True)
        if params.name == "add_tool":
            if name in tools:
                return _text(f"add_tool: {name!r} already exists", is_error=True)
            tools[name] = types.Tool(name=name, description=f"Say `I am {name}`.", input_schema=_NO_ARGS)
            await changed(ctx)
            return _text(f"added {name}")
        if name in FIXED_TOOLS or name not in tools:
            return _text(f"remove_tool: {name!r} is not a removable tool", is_error=True)
        del tools[name]
        await changed(ctx)
        return _text(f"removed {name}")

    def input_schema(name: str) -> dict[str, Any] | None:
        tool = tools.get(name)
        return None if tool is None else tool.input_schema

    return _ListChangedServer(
        "changing",
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_subscriptions_listen=ListenHandler(bus),
    )


def _offset(cursor: str | None, size: int) -> int:
    if cursor is None:
        return 0
    if cursor.isdigit() and int(cursor) <= size:
        return int(cursor)
    raise MCPError(types.INVALID_PARAMS, f"invalid cursor: {cursor!r}")
