"""`mcpagent tools`: connect to the MCP servers (no model) and list them and their tools; the tables are shared
with `chat`'s /servers and /tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import anyio
import typer
from rich.markup import escape
from rich.table import Table

from agent.cli._common import McpConfig, Settings, Verbose, console, errors, setup_logging, user_errors
from mcp_client import MCPClientManager, RegisteredTool, ServerState, ServerStatus

_STATE_STYLES = {
    ServerState.READY: "green",
    ServerState.CONNECTING: "yellow",
    ServerState.RESTARTING: "yellow",
    ServerState.FAILED: "red",
    ServerState.STOPPED: "dim",
}


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


def server_table(statuses: Sequence[ServerStatus]) -> Table:
    """Name, state, transport, number of tools and error of each server."""
    table = Table(title="MCP servers", title_justify="left")
    for column in ("server", "state", "transport", "tools", "error"):
        table.add_column(column, justify="right" if column == "tools" else "left", overflow="fold")
    for s in statuses:
        style = _STATE_STYLES.get(s.state, "")
        state = f"[{style}]{s.state}[/]" if style else str(s.state)
        table.add_row(escape(s.name), state, escape(s.transport), str(s.tool_count), escape(s.error or ""))
    return table


def tool_table(tools: Sequence[RegisteredTool], statuses: Sequence[ServerStatus]) -> Table:
    """Registered name, server and the first line of the description of each tool."""
    names = {s.id: s.name for s in statuses}
    table = Table(title="Tools", title_justify="left")
    table.add_column("tool", style="cyan", no_wrap=True)
    table.add_column("server")
    table.add_column("description", overflow="fold")
    for tool in sorted(tools, key=lambda t: t.name):
        server = names.get(tool.server_id, tool.server_id)
        table.add_row(escape(tool.name), escape(server), escape(first_line(tool.description)))
    return table


def as_json(tools: Sequence[RegisteredTool], statuses: Sequence[ServerStatus]) -> dict[str, Any]:
    names = {s.id: s.name for s in statuses}
    return {
        "servers": [
            {
                "id": s.id,
                "name": s.name,
                "state": str(s.state),
                "transport": s.transport,
                "tools": s.tool_count,
                "error": s.error,
            }
            for s in statuses
        ],
        "tools": [
            {
                "name": t.name,
                "server": names.get(t.server_id, t.server_id),
                "original_name": t.original_name,
                "description": t.description,
                "input_schema": dict(t.input_schema),
            }
            for t in sorted(tools, key=lambda t: t.name)
        ],
    }


async def _tools(settings: Settings, *, machine: bool) -> bool:
    """Print the servers and tools; True when at least one server works (or none is configured)."""
    config = settings.mcp()
    enabled = [s for s in config.servers if s.enabled]
    with errors.status(f"Starting {len(enabled)} MCP server(s)…") as spinner:
        async with MCPClientManager(config) as manager:
            spinner.stop()
            statuses, tools = manager.status(), manager.tools
    if machine:
        print(json.dumps(as_json(tools, statuses), indent=2, ensure_ascii=False))
    else:
        console.print(server_table(statuses))
        console.print(tool_table(tools, statuses) if tools else "[dim]no tools[/]")
    return not statuses or any(s.state == ServerState.READY for s in statuses)


def tools(
    mcp_config: McpConfig = None,
    machine: Annotated[
        bool, typer.Option("--json", help="Print {servers: [...], tools: [...]} as JSON instead of tables.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """List the MCP servers and their tools, without loading a model.

    A server that fails is listed with its error.

    Exit status: 0 when a server is ready (or none is configured); 1 when all failed or the config is invalid.
    """
    setup_logging(verbose)
    settings = Settings(mcp_config=mcp_config, verbose=verbose)
    with user_errors(verbose):
        working = anyio.run(lambda: _tools(settings, machine=machine))
    if not working:
        errors.print("[red]error:[/] no MCP server could be started")
        raise typer.Exit(1)
