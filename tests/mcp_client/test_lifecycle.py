"""No orphans: closing the manager, cancelling its task, or SIGTERM ends every server's process tree."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from mcp_client import McpClientConfig, MCPClientManager
from tests._procs import alive
from tests.mcp_client._configs import server_config

ROOT = Path(__file__).resolve().parents[2]


async def _all_gone(pids: list[int], limit: float = 10) -> None:
    with anyio.fail_after(limit):
        while any(alive(pid) for pid in pids):
            await anyio.sleep(0.05)


def _kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("detach", [False, True], ids=["same-group", "setsid"])
async def test_closing_the_manager_ends_server_and_grandchildren(tmp_path: Path, detach: bool) -> None:
    pid_file = tmp_path / "pids"
    flags = ("--pid-file", str(pid_file), *(("--detach",) if detach else ()))
    pids: list[int] = []
    try:
        async with server_config("grandchild", "stdio", *flags) as server:
            async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
                await manager.call_tool("spawn", {})
                pids = [int(p) for p in pid_file.read_text().split()]
                assert len(pids) == 2 and all(alive(p) for p in pids)
        await _all_gone(pids)
    finally:
        _kill_leftovers(pids)


async def test_cancelling_the_owning_task_ends_the_tree(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    pids: list[int] = []
    opened = anyio.Event()

    async def owner() -> None:
        async with server_config("grandchild", "stdio", "--pid-file", str(pid_file)) as server:
            async with MCPClientManager(McpClientConfig(servers=[server])):
                opened.set()
                await anyio.sleep_forever()

    try:
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(owner)
            await opened.wait()
            pids = [int(p) for p in pid_file.read_text().split()]
            task_group.cancel_scope.cancel()
        await _all_gone(pids)
    finally:
        _kill_leftovers(pids)


SIGTERM_SCRIPT = textwrap.dedent(
    """
    import sys, anyio
    from mcp_client import MCPClientManager, McpClientConfig, McpServerConfig, ProcessSource

    async def main():
        source = ProcessSource(command=sys.executable, args=["-m", "tests.servers", "grandchild", "--pid-file",
                                                             sys.argv[1], "--detach"])
        config = McpClientConfig(servers=[McpServerConfig(id="g", name="g", source=source)])
        async with MCPClientManager(config) as manager:
            await manager.call_tool("echo", {"text": "up"})
            print("ready", flush=True)
            await anyio.sleep_forever()

    anyio.run(main)
    """
)


async def test_sigterm_to_the_client_process_ends_every_server_tree(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    client = subprocess.Popen(  # noqa: ASYNC220 - a plain child we signal and wait on, no I/O loop needed
        [sys.executable, "-c", SIGTERM_SCRIPT, str(pid_file)], stdout=subprocess.PIPE, cwd=ROOT, text=True
    )
    pids: list[int] = []
    try:
        assert client.stdout is not None
        assert client.stdout.readline().strip() == "ready"
        pids = [int(p) for p in pid_file.read_text().split()]
        server_pids = [int(line.split()[0]) for line in _children_of(client.pid)]
        pids += server_pids
        client.send_signal(signal.SIGTERM)
        assert client.wait(timeout=10) == -signal.SIGTERM
        await _all_gone(pids)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        if client.stdout is not None:
            client.stdout.close()
        _kill_leftovers(pids)


def _children_of(pid: int) -> list[str]:
    done = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [line for line in done.stdout.splitlines() if line.strip()]


async def test_a_chatty_server_never_blocks_and_its_stderr_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mcp_client.server")
    async with server_config("chatty", "stdio") as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            with anyio.fail_after(20):
                for i in range(30):
                    assert (await manager.call_tool("echo", {"text": str(i)})).text == str(i)
                    await anyio.sleep(0.02)
    assert any(r.getMessage().startswith("[chatty] ") for r in caplog.records)


async def test_garbage_on_stdout_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    async with server_config("garbage", "stdio") as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            for text in ("one", "two", "three"):
                assert (await manager.call_tool("echo", {"text": text})).text == text
    assert any("non-JSON-RPC line" in r.getMessage() for r in caplog.records)
