"""What the MCP client manager costs, measured side by side in one run. Exits non-zero on a miss.

1. Round trip through MCPClientManager vs a bare `mcp` SDK ClientSession on the same kind of server,
   1,000 sequential calls per transport (stdio, streamable HTTP, WebSocket), interleaved in blocks
   so that machine noise hits both sides alike. Target: ratio <= 1.15.
2. 8 concurrent calls to a tool that sleeps 200 ms: all done in <= 0.35 s.
3. 5 servers that each take 0.5 s to start: all ready in <= 1.0 s.

Run: .venv/bin/python bench/mcp_overhead.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench._report import report
from mcp_client import HttpSource, McpClientConfig, MCPClientManager, McpServerConfig, ProcessSource, WebSocketSource
from mcp_client.transports.stdio import stdio_transport
from mcp_client.transports.websocket import websocket_client
from tools.launch import launched_server

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = 10
TARGETS = {"round_trip_ratio": ("<=", 1.15), "concurrent_secs": ("<=", 0.35), "startup_secs": ("<=", 1.0)}
CALCULATOR = [sys.executable, "-m", "tools", "calculator"]


def _config(transport: str, url: str | None) -> McpClientConfig:
    if transport == "stdio":
        source: Any = ProcessSource(command=CALCULATOR[0], args=[*CALCULATOR[1:], "--transport", "stdio"])
    elif transport == "http":
        source = HttpSource(url=url or "", transport="streamable")
    else:
        source = WebSocketSource(url=url or "")
    return McpClientConfig(servers=[McpServerConfig(id="calc", name="calc", source=source)])


@asynccontextmanager
async def bare_session(transport: str, url: str | None) -> AsyncIterator[ClientSession]:
    """The SDK alone: the transport, a ClientSession, initialize. No registry, limits or supervision."""
    async with AsyncExitStack() as stack:
        streams: Any
        if transport == "stdio":
            streams = stdio_transport(CALCULATOR[0], [*CALCULATOR[1:], "--transport", "stdio"])
        elif transport == "http":
            streams = streamable_http_client(url or "")
        else:
            streams = websocket_client(url or "")
        read, write = await stack.enter_async_context(streams)
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        yield session


async def round_trip_ratio(transport: str, calls: int) -> float:
    per_block = calls // BLOCKS
    server: Any = launched_server("calculator", "ws" if transport == "ws" else "http")
    with server if transport != "stdio" else nullcontext() as url:
        async with MCPClientManager(_config(transport, url)) as manager, bare_session(transport, url) as bare:
            for i in range(20):  # warm both paths up before measuring
                await manager.call_tool("evaluate", {"expression": f"{i}"})
                await bare.call_tool("evaluate", {"expression": f"{i}"})
            pairs: list[tuple[float, float]] = []
            for _ in range(BLOCKS):
                times = []
                for call in (manager.call_tool, bare.call_tool):
                    began = time.perf_counter()
                    for i in range(per_block):
                        await call("evaluate", {"expression": f"{i} + 1"})
                    times.append(time.perf_counter() - began)
                pairs.append((times[0], times[1]))
    manager_secs, bare_secs = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    ratio = statistics.median(m / b for m, b in pairs)
    print(
        f"  {transport:9s} manager {manager_secs / calls * 1e3:.3f} ms/call, "
        f"bare SDK {bare_secs / calls * 1e3:.3f} ms/call, median block ratio {ratio:.3f}"
    )
    return ratio


def _slow_server(name: str, *extra: str) -> McpServerConfig:
    return McpServerConfig(
        id=name, name=name, source=ProcessSource(command=sys.executable, args=["-m", "tests.servers.slow", *extra])
    )


async def concurrent_sleeps() -> float:
    config = McpClientConfig(servers=[_slow_server("slow")], max_concurrent_calls=16)
    async with MCPClientManager(config) as manager:
        await manager.call_tool("sleep", {"seconds": 0})  # warm up the session and the server
        began = time.perf_counter()
        async with anyio.create_task_group() as task_group:
            for _ in range(8):
                task_group.start_soon(manager.call_tool, "sleep", {"seconds": 0.2})
        elapsed = time.perf_counter() - began
    print(f"  8 concurrent 200 ms calls: {elapsed:.3f} s")
    return elapsed


async def startup() -> float:
    tiny = str(Path(__file__).with_name("_tiny_server.py"))
    servers = [
        McpServerConfig(
            id=f"s{i}", name=f"s{i}", tool_prefix=f"s{i}",
            source=ProcessSource(command=sys.executable, args=[tiny, "--delay", "0.5"]),
        )
        for i in range(5)
    ]
    began = time.perf_counter()
    async with MCPClientManager(McpClientConfig(servers=servers)) as manager:
        elapsed = time.perf_counter() - began
        ready = sum(1 for s in manager.status() if s.state == "ready")
    print(f"  5 servers that take 0.5 s to start: {ready} ready in {elapsed:.3f} s")
    if ready != 5:
        raise SystemExit("not every server started")
    return elapsed


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    print("MCP client overhead (this run, side by side)")
    ratios = {t: await round_trip_ratio(t, args.calls) for t in ("stdio", "http", "ws")}
    figures = {"round_trip_ratio": max(ratios.values()), "concurrent_secs": await concurrent_sleeps()}
    figures["startup_secs"] = await startup()
    return report(figures, TARGETS)


if __name__ == "__main__":
    sys.exit(anyio.run(main))
