"""Each bundled server over each transport: real subprocesses over stdio, loopback HTTP and WebSocket."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from mcp import ClientSession

from tests.tools._servers import RunningServer, mcp_session, server_command, server_processes, text_of

SERVERS = ("calculator", "clock", "files", "notes")
TRANSPORTS = ("stdio", "http", "ws")

Target = RunningServer | list[str]


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("files-root")
    (root / "hello.txt").write_text("hello from the root\n")
    return root, tmp_path_factory.mktemp("notes") / "notes.sqlite3"


def _extra_args(name: str, dirs: tuple[Path, Path]) -> tuple[str, ...]:
    return {"files": ("--root", str(dirs[0])), "notes": ("--db", str(dirs[1]))}.get(name, ())


@pytest.fixture(scope="module")
def targets(data_dirs: tuple[Path, Path]) -> Iterator[dict[tuple[str, str], Target]]:
    """One HTTP and one WebSocket process per server for the whole module; stdio spawns per session."""
    specs = [
        (name, transport, _extra_args(name, data_dirs)) for name in SERVERS for transport in ("http", "ws")
    ]
    with server_processes(*specs) as running:
        found: dict[tuple[str, str], Target] = {
            (name, "stdio"): server_command(name, *_extra_args(name, data_dirs)) for name in SERVERS
        }
        found.update({(spec[0], spec[1]): server for spec, server in zip(specs, running, strict=True)})
        yield found


async def _calculator(session: ClientSession, transport: str) -> None:
    listed = await session.list_tools()
    assert [tool.name for tool in listed.tools] == ["evaluate"]
    assert listed.tools[0].input_schema["required"] == ["expression"]
    result = await session.call_tool("evaluate", {"expression": "(2 + 3) * 4 - 2 ** 10"})
    assert (result.is_error, text_of(result)) == (False, "-1004")
    result = await session.call_tool("evaluate", {"expression": "9**9**9"})
    assert result.is_error and "exponent 387420489 is larger than 10000" in text_of(result)
    result = await session.call_tool("evaluate", {"expr": "1"})
    assert result.is_error and "expression: Field required" in text_of(result)


async def _clock(session: ClientSession, transport: str) -> None:
    listed = await session.list_tools()
    assert sorted(tool.name for tool in listed.tools) == ["convert_time", "now"]
    result = await session.call_tool("now", {"timezone": "Asia/Tokyo"})
    assert not result.is_error and datetime.fromisoformat(text_of(result)).utcoffset() is not None
    assert text_of(result).endswith("+09:00")
    result = await session.call_tool(
        "convert_time", {"time": "2025-01-15T12:00", "from_timezone": "UTC", "to_timezone": "Asia/Tokyo"}
    )
    assert "2025-01-15T21:00:00+09:00" in text_of(result)
    result = await session.call_tool("now", {"timezone": "Europe/Pariss"})
    assert result.is_error and "did you mean Europe/Paris" in text_of(result)


async def _files(session: ClientSession, transport: str) -> None:
    listed = await session.list_tools()
    assert sorted(tool.name for tool in listed.tools) == [
        "list_directory", "read_file", "search_files", "write_file",
    ]  # fmt: skip
    written = await session.call_tool(
        "write_file", {"path": f"out/{transport}.txt", "content": "needle here"}
    )
    assert not written.is_error, text_of(written)
    read = await session.call_tool("read_file", {"path": f"out/{transport}.txt"})
    assert text_of(read) == "needle here"
    listing = await session.call_tool("list_directory", {"path": "."})
    assert "hello.txt (20 bytes)" in text_of(listing) and "out/" in text_of(listing)
    found = await session.call_tool("search_files", {"pattern": f"{transport}.*", "contains": "needle"})
    assert text_of(found) == f"out/{transport}.txt:1: needle here"
    refused = await session.call_tool("read_file", {"path": "../../etc/passwd"})
    assert refused.is_error and "refused" in text_of(refused)


async def _notes(session: ClientSession, transport: str) -> None:
    listed = await session.list_tools()
    assert sorted(tool.name for tool in listed.tools) == [
        "delete_note",
        "get_note",
        "put_note",
        "search_notes",
    ]
    key = f"{transport}-shopping"
    put = await session.call_tool("put_note", {"key": key, "text": "milk, eggs", "tags": ["home"]})
    assert text_of(put) == f"saved new note {key!r}"
    got = await session.call_tool("get_note", {"key": key})
    assert "milk, eggs" in text_of(got) and "tags: home" in text_of(got)
    found = await session.call_tool("search_notes", {"query": "EGGS"})
    assert key in text_of(found)
    assert not (await session.call_tool("delete_note", {"key": key})).is_error
    gone = await session.call_tool("get_note", {"key": key})
    assert gone.is_error and f"no note with key {key!r}" in text_of(gone)


SCRIPTS: dict[str, Callable[[ClientSession, str], Awaitable[None]]] = {
    "calculator": _calculator,
    "clock": _clock,
    "files": _files,
    "notes": _notes,
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("name", SERVERS)
async def test_server_over_transport(
    name: str, transport: str, targets: dict[tuple[str, str], Target]
) -> None:
    async with mcp_session(targets[name, transport]) as session:
        assert session.server_info is not None and session.server_info.name == name
        await SCRIPTS[name](session, transport)


def test_http_and_ws_bind_loopback_by_default(targets: dict[tuple[str, str], Target]) -> None:
    for (name, transport), target in targets.items():
        if isinstance(target, RunningServer):
            assert target.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")), (name, transport)


def test_command_line_mistakes_are_reported_clearly(tmp_path: Path) -> None:
    missing_root = subprocess.run(server_command("files"), capture_output=True, text=True, timeout=60)
    assert missing_root.returncode == 2 and "the files server needs --root DIR" in missing_root.stderr
    bad_root = subprocess.run(
        server_command("files", "--root", str(tmp_path / "nope")), capture_output=True, text=True, timeout=60
    )
    assert bad_root.returncode == 2 and "is not an existing directory" in bad_root.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = subprocess.run(
            server_command("clock", "--transport", "ws", "--port", port),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.returncode == 1
    assert f"clock: cannot serve on 127.0.0.1:{port}: Address already in use" in busy.stderr
