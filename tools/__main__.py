"""`python -m tools NAME --transport stdio|http|ws [--host H] [--port N]`: run one bundled MCP tool server.

HTTP and WebSocket servers print `NAME: serving MCP over TRANSPORT at URL` on stderr once they accept
connections (with `--port 0` that is how a caller learns the port).
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

SERVERS = ("calculator", "clock", "files", "notes")
DEFAULT_PORTS = {"stdio": 0, "http": 8000, "ws": 8765}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools", description="Run a bundled MCP tool server.")
    parser.add_argument("name", choices=SERVERS)
    parser.add_argument("--transport", choices=tuple(DEFAULT_PORTS), default="stdio")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind for http and ws (default: loopback)"
    )
    parser.add_argument(
        "--port", type=int, help="TCP port for http (default 8000) and ws (8765); 0 picks one"
    )
    parser.add_argument(
        "--root", type=Path, help="files: the directory the tools may read and write (required)"
    )
    parser.add_argument("--max-bytes", type=int, default=1024 * 1024, help="files: largest read or write")
    parser.add_argument(
        "--db",
        type=Path,
        help="notes: the SQLite file (default: $MCPAGENT_NOTES_DB or $XDG_DATA_HOME/mcpagent/notes.sqlite3)",
    )
    return parser


def _server(args: argparse.Namespace, stack: ExitStack, parser: argparse.ArgumentParser) -> Any:
    if args.name == "files" and args.root is None:
        parser.error("the files server needs --root DIR")
    module: Any = importlib.import_module(f"tools.servers.{args.name}")
    try:
        if args.name == "files":
            return module.build(args.root, max_bytes=args.max_bytes)
        if args.name == "notes":
            return module.build(stack.enter_context(module.NotesStore(args.db or module.default_db_path())))
    except (ValueError, OSError, sqlite3.Error) as exc:  # a bad --root, an unwritable --db
        parser.error(str(exc))
    return module.build()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    port = DEFAULT_PORTS[args.transport] if args.port is None else args.port

    from tools.servers._serve import run_server

    def announce(url: str) -> None:
        if args.transport != "stdio":
            print(f"{args.name}: serving MCP over {args.transport} at {url}", file=sys.stderr, flush=True)

    with ExitStack() as stack:
        server = _server(args, stack, parser)
        try:
            run_server(server, transport=args.transport, host=args.host, port=port, on_ready=announce)
        except OSError as exc:  # the address is taken or cannot be bound
            print(f"{args.name}: cannot serve on {args.host}:{port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
