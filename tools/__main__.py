"""`python -m tools NAME --transport stdio|http`: run one bundled MCP tool server."""

from __future__ import annotations

import argparse
import importlib
import sys

SERVERS = ("calculator", "clock")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools", description="Run a bundled MCP tool server.")
    parser.add_argument("name", choices=SERVERS)
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = importlib.import_module(f"tools.servers.{args.name}").build()
    if args.transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
