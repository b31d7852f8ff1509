"""The `mcpagent` command line: `run`, `chat`, `serve` and `tools`, over the same engine as the library."""

from __future__ import annotations

import os

import typer

from agent.cli.chat import chat
from agent.cli.run import run
from agent.cli.serve import serve
from agent.cli.tools import tools

app = typer.Typer(
    help="Tool-using agents on local models, with MCP tools.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.command()(run)
app.command()(chat)
app.command()(tools)
app.command()(serve)


@app.callback()
def _app() -> None:
    """mcpagent: tool-using agents on local models, with MCP tools."""


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()
