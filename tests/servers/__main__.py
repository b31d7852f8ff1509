"""`python -m tests.servers NAME [--transport stdio|http|sse|ws] [--host H] [--port N] [flags]`: one test server.

Network servers print `NAME: serving MCP over TRANSPORT at URL` on stderr once they accept connections,
as `python -m tools` does (`--port 0`, the default, picks a free port). `http` is streamable HTTP at
`/mcp`, `sse` the legacy HTTP+SSE transport at `/sse`, `ws` WebSocket with subprotocol `mcp`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tests.servers import SERVERS
from tests.servers._transports import TRANSPORTS, AnyServer


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description="Run one MCP test server.")
    parser.add_argument("name", choices=SERVERS)
    parser.add_argument("--transport", choices=TRANSPORTS, default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind for http, sse and ws")
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port for http, sse and ws (default 0: a free one)"
    )
    common = parser.add_argument_group("any server")
    common.add_argument(
        "--startup-delay", type=float, default=0.0, metavar="SECS", help="sleep before serving"
    )
    common.add_argument("--ignore-sigterm", action="store_true", help="ignore SIGTERM: only SIGKILL stops it")
    common.add_argument(
        "--linger", type=float, default=0.0, metavar="SECS", help="stay alive this long after serving ends"
    )
    crashy = parser.add_argument_group("crashy")
    crashy.add_argument("--crash-on-start", action="store_true", help="exit with code 3 before serving")
    changing = parser.add_argument_group("changing")
    changing.add_argument("--page-size", type=int, metavar="K", help="tools per tools/list page")
    changing.add_argument("--extra-tools", type=int, default=0, metavar="N", help="start with N more tools")
    garbage = parser.add_argument_group("garbage")
    garbage.add_argument(
        "--long-line-bytes",
        type=int,
        default=1024 * 1024,
        metavar="N",
        help="length of the long garbage line",
    )
    grandchild = parser.add_argument_group("grandchild")
    grandchild.add_argument(
        "--pid-file", type=Path, metavar="PATH", help="write the grandchildren's pids here"
    )
    grandchild.add_argument("--detach", action="store_true", help="start grandchildren in their own session")
    mute = parser.add_argument_group("mute")
    mute.add_argument("--mute-on", default="initialize", metavar="METHOD", help="the request never answered")
    chatty = parser.add_argument_group("chatty")
    chatty.add_argument(
        "--burst-bytes", type=int, default=1024 * 1024, metavar="N", help="stderr before serving"
    )
    chatty.add_argument(
        "--flood-bytes-per-sec", type=int, default=100_000, metavar="N", help="stderr while serving (0: none)"
    )
    return parser


def start(args: argparse.Namespace) -> AnyServer:
    """Do what the server does before serving (crash, write, spawn, flood), then build it."""
    if args.name == "crashy":
        from tests.servers import crashy

        if args.crash_on_start:
            crashy.crash_now("crashing on start")
        return crashy.build()
    if args.name == "changing":
        from tests.servers import changing

        return changing.build(page_size=args.page_size, extra_tools=args.extra_tools)
    if args.name == "garbage":
        from tests.servers import garbage

        if args.transport == "stdio":
            garbage.write_startup_garbage(args.long_line_bytes)
        return garbage.build()
    if args.name == "grandchild":
        from tests.servers import grandchild

        children = grandchild.Grandchildren(args.pid_file, detach=args.detach)
        children.spawn()
        return grandchild.build(children)
    if args.name == "mute":
        from tests.servers import mute

        return mute.build(mute_on=args.mute_on)
    if args.name == "chatty":
        from tests.servers import chatty

        chatty.write_burst(args.burst_bytes)
        if args.flood_bytes_per_sec > 0:
            chatty.start_flood(args.flood_bytes_per_sec)
        return chatty.build()
    if args.name == "progress":
        from tests.servers import progress

        return progress.build()
    if args.name == "rich":
        from tests.servers import rich

        return rich.build()
    if args.name == "gauge":
        from tests.servers import gauge

        return gauge.build()
    if args.name == "asking":
        from tests.servers import asking

        return asking.build()
    from tests.servers import slow

    return slow.build()


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)

    def ignore_sigterm() -> None:
        if args.ignore_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def announce(url: str) -> None:
        ignore_sigterm()  # again: uvicorn installs its own SIGTERM handler when it starts
        if args.transport != "stdio":
            print(f"{args.name}: serving MCP over {args.transport} at {url}", file=sys.stderr, flush=True)

    ignore_sigterm()
    time.sleep(args.startup_delay)  # before importing `mcp`, which alone takes about a second

    import anyio

    from tests.servers._transports import serve

    try:
        server = start(args)
    except ValueError as exc:  # a bad --page-size or --extra-tools
        arguments.error(str(exc))
    try:
        anyio.run(
            lambda: serve(
                server,
                transport=args.transport,
                host=args.host,
                port=args.port,
                on_ready=announce,
                raw_stdio=args.name == "garbage",
            )
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the address is taken or cannot be bound
        print(f"{args.name}: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    time.sleep(args.linger)
    return 0


if __name__ == "__main__":
    sys.exit(main())
