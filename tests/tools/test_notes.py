"""The notes server: store semantics, several clients at once, and durability across kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession

from tests.tools._servers import mcp_session, server_command, server_process, text_of
from tools import FunctionToolset, ToolResult
from tools.servers import notes


@pytest.fixture
def toolset(tmp_path: Path) -> Iterator[FunctionToolset]:
    with notes.NotesStore(tmp_path / "notes.sqlite3", max_notes=5) as store:
        yield notes.toolset(store)


def _rows(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = dict(connection.execute("SELECT key, text FROM notes").fetchall())
    connection.close()
    return rows


async def test_put_get_search_delete(toolset: FunctionToolset) -> None:
    assert (
        await toolset.call_tool("put_note", {"key": "todo", "text": "buy milk"})
    ).text == "saved new note 'todo'"
    put = await toolset.call_tool(
        "put_note", {"key": "todo", "text": "buy milk and eggs", "tags": ["home", "food"]}
    )
    assert put.text == "replaced note 'todo'"
    await toolset.call_tool("put_note", {"key": "idea", "text": "100% of 10_000 is it"})
    got = (await toolset.call_tool("get_note", {"key": "todo"})).text.splitlines()
    assert got[0].startswith("todo (updated ") and got[1:] == ["tags: home, food", "", "buy milk and eggs"]
    assert (await toolset.call_tool("search_notes", {"query": "EGGS"})).text == (
        "todo [home, food]: 'buy milk and eggs'"
    )
    assert (await toolset.call_tool("search_notes", {"query": "food"})).text.startswith("todo ")
    assert (await toolset.call_tool("search_notes", {"query": "100%"})).text.startswith("idea ")
    assert (await toolset.call_tool("search_notes", {"query": "0_0"})).text.startswith("idea ")
    assert (await toolset.call_tool("search_notes", {"query": "1%0"})).text == "no notes contain '1%0'"
    recent = (await toolset.call_tool("search_notes", {})).text.splitlines()
    assert [line.split()[0] for line in recent] == ["idea", "todo"]
    assert await toolset.call_tool("delete_note", {"key": "todo"}) == ToolResult.from_text(
        "deleted note 'todo'"
    )
    missing = await toolset.call_tool("delete_note", {"key": "todo"})
    assert missing == ToolResult.from_text("NoteNotFoundError: no note with key 'todo'", is_error=True)


async def test_unknown_keys_suggest_similar_ones(toolset: FunctionToolset) -> None:
    await toolset.call_tool("put_note", {"key": "shopping-list", "text": "milk"})
    result = await toolset.call_tool("get_note", {"key": "shoping-list"})
    assert result.is_error and result.text.endswith(
        "no note with key 'shoping-list'; similar keys: 'shopping-list'"
    )


async def test_limits(toolset: FunctionToolset) -> None:
    empty = await toolset.call_tool("put_note", {"key": "", "text": "x"})
    assert empty.is_error and "key: String should have at least 1 character" in empty.text
    long_key = await toolset.call_tool("put_note", {"key": "k" * 201, "text": "x"})
    assert long_key.is_error and "key: String should have at most 200 characters" in long_key.text
    huge = await toolset.call_tool("put_note", {"key": "k", "text": "x" * 100_001})
    assert huge.is_error and "text: String should have at most 100000 characters" in huge.text
    for i in range(5):
        assert not (await toolset.call_tool("put_note", {"key": f"n{i}", "text": "x"})).is_error
    full = await toolset.call_tool("put_note", {"key": "n5", "text": "x"})
    assert full.text == "NotesFullError: the store holds 5 notes, its limit; delete some first"
    assert not (await toolset.call_tool("put_note", {"key": "n0", "text": "replacing is fine"})).is_error


def test_the_store_must_be_opened() -> None:
    with pytest.raises(
        RuntimeError, match=r"NotesStore is not open; use `with NotesStore\(path\) as store:`"
    ):
        notes.NotesStore("unused.sqlite3").get("x")


async def _put_many(session: ClientSession, prefix: str, count: int) -> None:
    for i in range(count):
        result = await session.call_tool("put_note", {"key": f"{prefix}-{i}", "text": f"{prefix} note {i}"})
        assert not result.is_error, text_of(result)


async def test_several_clients_and_processes_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite3"
    with server_process("notes", "ws", "--db", str(db)) as server, anyio.fail_after(60):
        async with (
            mcp_session(server) as first,
            mcp_session(server) as second,
            mcp_session(server_command("notes", "--db", str(db))) as other_process,
        ):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_put_many, first, "first", 30)
                tg.start_soon(_put_many, second, "second", 30)
                tg.start_soon(_put_many, other_process, "third", 30)
            seen = text_of(await other_process.call_tool("get_note", {"key": "first-29"}))
            assert seen.endswith("first note 29")
    rows = _rows(db)
    assert len(rows) == 90
    assert all(
        rows[f"{prefix}-{i}"] == f"{prefix} note {i}"
        for prefix in ("first", "second", "third")
        for i in range(30)
    )


async def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite3"
    acknowledged: dict[str, str] = {}
    with server_process("notes", "ws", "--db", str(db)) as server:

        async def burst(session: ClientSession, writer: int) -> None:
            for i in range(1_000):
                key, text = f"w{writer}-{i}", f"writer {writer} note {i} " + "x" * (i % 50)
                if len(acknowledged) >= 120 and server.process.poll() is None:
                    os.kill(server.process.pid, signal.SIGKILL)  # while the other writers are mid-call
                try:
                    result = await session.call_tool("put_note", {"key": key, "text": text})
                except Exception:
                    return  # the connection died with the server: this write was never acknowledged
                assert not result.is_error, text_of(result)
                acknowledged[key] = text

        with anyio.fail_after(60):
            async with mcp_session(server) as session, anyio.create_task_group() as tg:
                for writer in range(4):
                    tg.start_soon(burst, session, writer)
        assert server.process.wait(timeout=10) == -signal.SIGKILL
    assert len(acknowledged) >= 120
    rows = _rows(db)
    lost = {key for key, text in acknowledged.items() if rows.get(key) != text}
    assert not lost, f"{len(lost)} acknowledged writes were lost: {sorted(lost)[:5]}"
    async with mcp_session(server_command("notes", "--db", str(db))) as session:  # the server reopens it
        key = next(iter(acknowledged))
        assert text_of(await session.call_tool("get_note", {"key": key})).endswith(acknowledged[key])
