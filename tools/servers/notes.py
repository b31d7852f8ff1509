"""The `notes` MCP server: persistent memory in SQLite (put, get, search, delete).

WAL journal with synchronous=FULL: a write is acknowledged only after its commit reached the disk, so
it survives a kill -9 of the server (and a power cut). Several processes may share one database.
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any

from mcp.server.lowlevel import Server
from pydantic import Field

from tools.function import FunctionToolset, tool
from tools.servers._serve import toolset_server

MAX_KEY_CHARS = 200
MAX_TEXT_CHARS = 100_000
MAX_TAGS = 20
DEFAULT_MAX_NOTES = 10_000
BUSY_TIMEOUT_SECS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
)
"""

Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY_CHARS, description="The note's unique name.")]
Tags = Annotated[tuple[Annotated[str, Field(max_length=50)], ...], Field(max_length=MAX_TAGS)]


def default_db_path() -> Path:
    """`$MCPAGENT_NOTES_DB`, else `$XDG_DATA_HOME/mcpagent/notes.sqlite3` (`~/.local/share` by default)."""
    if explicit := os.environ.get("MCPAGENT_NOTES_DB"):
        return Path(explicit)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "mcpagent" / "notes.sqlite3"


class NoteNotFoundError(LookupError):
    """No note has this key; `suggestions` holds similar keys."""

    def __init__(self, key: str, suggestions: list[str]) -> None:
        hint = f"; similar keys: {', '.join(map(repr, suggestions))}" if suggestions else ""
        super().__init__(f"no note with key {key!r}{hint}")
        self.key = key
        self.suggestions = suggestions


class NotesFullError(RuntimeError):
    """The store holds its maximum number of notes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    key: str
    text: str
    tags: tuple[str, ...]
    updated_at: str


class NotesStore:
    """Notes in one SQLite file. `with NotesStore(path) as store:` opens it (creating it if needed).

    One connection per store, used by one thread at a time; other processes use their own.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_notes: int = DEFAULT_MAX_NOTES) -> None:
        self.path = Path(path)
        self.max_notes = max_notes
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> NotesStore:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECS, isolation_level=None, check_same_thread=False
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        self._db = db
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("NotesStore is not open; use `with NotesStore(path) as store:`")
        return self._db

    def put(self, key: str, text: str, tags: tuple[str, ...] = ()) -> bool:
        """Create or replace a note; True when it is new. Returns after the commit is on disk."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                exists = db.execute("SELECT 1 FROM notes WHERE key = ?", (key,)).fetchone() is not None
                if not exists and db.execute("SELECT count(*) FROM notes").fetchone()[0] >= self.max_notes:
                    raise NotesFullError(
                        f"the store holds {self.max_notes} notes, its limit; delete some first"
                    )
                db.execute(
                    "INSERT INTO notes (key, text, tags, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO "
                    "UPDATE SET text = excluded.text, tags = excluded.tags, updated_at = excluded.updated_at",
                    (key, text, json.dumps(list(tags)), now),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return not exists

    def get(self, key: str) -> Note:
        """The note called `key`.

        Raises:
            NoteNotFoundError: No such note; the error lists similar keys.
        """
        with self._lock:
            db = self._conn()
            row = db.execute("SELECT key, text, tags, updated_at FROM notes WHERE key = ?", (key,)).fetchone()
            if row is None:
                keys = [k for (k,) in db.execute("SELECT key FROM notes")]
                raise NoteNotFoundError(key, difflib.get_close_matches(key, keys, n=3, cutoff=0.6))
        return _note(row)

    def search(self, query: str = "", *, limit: int = 10) -> list[Note]:
        """Notes whose key, text or tags contain `query` (ASCII case-insensitive), most recent first."""
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT key, text, tags, updated_at FROM notes WHERE key LIKE ?1 ESCAPE '\\' "
                    "OR text LIKE ?1 ESCAPE '\\' OR tags LIKE ?1 ESCAPE '\\' "
                    "ORDER BY updated_at DESC, key LIMIT ?2",
                    (pattern, limit),
                )
                .fetchall()
            )
        return [_note(row) for row in rows]

    def delete(self, key: str) -> None:
        """Delete the note called `key`.

        Raises:
            NoteNotFoundError: No such note.
        """
        with self._lock:
            deleted = self._conn().execute("DELETE FROM notes WHERE key = ?", (key,)).rowcount
        if not deleted:
            raise NoteNotFoundError(key, [])


def _note(row: tuple[str, str, str, str]) -> Note:
    return Note(key=row[0], text=row[1], tags=tuple(json.loads(row[2])), updated_at=row[3])


def toolset(store: NotesStore) -> FunctionToolset:
    """The notes tools over an open `store`, to use in-process or to serve."""

    @tool
    def put_note(
        key: Key,
        text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)],
        tags: Tags = (),
    ) -> str:
        """Save a note under a key, replacing any note with that key. The note is on disk when this returns.

        Args:
            key: The note's unique name, such as 'shopping-list'.
            text: The content to remember.
            tags: Optional labels to find the note by.
        """
        created = store.put(key, text, tags)
        return f"{'saved new' if created else 'replaced'} note {key!r}"

    @tool
    def get_note(key: Key) -> str:
        """Read the note saved under a key.

        Args:
            key: The note's name.
        """
        note = store.get(key)
        tags = f"tags: {', '.join(note.tags)}\n" if note.tags else ""
        return f"{note.key} (updated {note.updated_at})\n{tags}\n{note.text}"

    @tool
    def search_notes(query: str = "", limit: Annotated[int, Field(ge=1, le=50)] = 10) -> str:
        """Find notes whose key, text or tags contain the query (case-insensitive); most recent first.

        Args:
            query: The text to look for; empty lists the most recent notes.
            limit: The most notes to return.
        """
        notes = store.search(query, limit=limit)
        if not notes:
            return "no notes" if not query else f"no notes contain {query!r}"
        return "\n".join(f"{n.key} [{', '.join(n.tags)}]: {n.text[:100]!r}" for n in notes)

    @tool
    def delete_note(key: Key) -> str:
        """Delete the note saved under a key.

        Args:
            key: The note's name.
        """
        store.delete(key)
        return f"deleted note {key!r}"

    return FunctionToolset([put_note, get_note, search_notes, delete_note])


def build(store: NotesStore) -> Server[Any]:
    """The notes server over an open `store` as an MCP server."""
    instructions = "Remembers notes across sessions: put, get, search and delete them by key."
    return toolset_server(toolset(store), name="notes", instructions=instructions)
