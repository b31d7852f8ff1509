"""The `files` MCP server: read, list, search and write files under one root directory given at start.

Absolute paths, `..`, symlinks out of the root and device files are refused (see `_paths`); reads and
writes are capped in size; writes are atomic.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Annotated, Any

from mcp.server.lowlevel import Server
from pydantic import Field

from tools.function import FunctionToolset
from tools.servers._glob import Glob
from tools.servers._paths import Root
from tools.servers._serve import toolset_server

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_LIST_ENTRIES = 1_000
MAX_SEARCH_RESULTS = 200
MAX_SEARCH_FILES = 10_000
MAX_SEARCH_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 200
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv"})


class FileTooLargeError(ValueError):
    """A write larger than the server's cap."""


def _decode(data: bytes, path: str, *, truncated: bool) -> str:
    """UTF-8 text; a multi-byte character cut by the read limit is dropped, binary data is refused."""
    for cut in range(4 if truncated else 1):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path!r} is not UTF-8 text (a binary file?)")


def _entry_line(entry: os.DirEntry[str]) -> str:
    info = entry.stat(follow_symlinks=False)
    if stat.S_ISLNK(info.st_mode):
        return f"{entry.name}@ (symbolic link)"
    if stat.S_ISDIR(info.st_mode):
        return f"{entry.name}/"
    if stat.S_ISREG(info.st_mode):
        return f"{entry.name} ({info.st_size} bytes)"
    return f"{entry.name} (special file)"


class FileTools:
    """The tools of the files server, bound to a root and a size cap.

    Raises:
        ValueError: `root` is not a directory, or `max_bytes` is not positive.
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.root = Root(root)
        self.max_bytes = max_bytes

    def read_file(self, path: str, offset: Annotated[int, Field(ge=0)] = 0) -> str:
        """Read a UTF-8 text file. Long files come back in parts: the note at the end gives the next offset.

        Args:
            path: The file, relative to the root (for example 'notes/todo.md').
            offset: The byte to start reading at.
        """
        with self.root.regular_file(self.root.resolve(path), path) as (fd, info):
            data = os.pread(fd, self.max_bytes, offset)
        end = offset + len(data)
        truncated = end < info.st_size
        text = _decode(data, path, truncated=truncated)
        if truncated:
            end = offset + len(text.encode("utf-8"))
            text += f"\n[truncated: bytes {offset}-{end} of {info.st_size}; read again with offset={end}]"
        return text

    def write_file(self, path: str, content: str) -> str:
        """Write a UTF-8 text file, replacing it if it exists; missing directories are created.

        Args:
            path: The file, relative to the root.
            content: The complete new content.
        """
        data = content.encode("utf-8")
        if len(data) > self.max_bytes:
            raise FileTooLargeError(f"content of {len(data)} bytes is over the {self.max_bytes}-byte limit")
        self.root.write_atomic(self.root.resolve(path), path, data)
        return f"wrote {len(data)} bytes to {path}"

    def list_directory(self, path: str = ".") -> str:
        """List a directory: subdirectories end with '/', files show their size.

        Args:
            path: The directory, relative to the root ('.' is the root itself).
        """
        with self.root.directory(self.root.resolve(path), path) as fd:
            with os.scandir(fd) as entries:
                lines = sorted(_entry_line(entry) for entry in entries)
        if not lines:
            return f"{path}: empty directory"
        shown = lines[:MAX_LIST_ENTRIES]
        more = f"\n... and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
        count = "1 entry" if len(lines) == 1 else f"{len(lines)} entries"
        return f"{path}: {count}\n" + "\n".join(shown) + more

    def search_files(
        self, pattern: str = "*", contains: str | None = None, path: str = ".", ignore_case: bool = False
    ) -> str:
        """Find files by name pattern and, optionally, by a substring of their text.

        Version-control and cache directories (.git, node_modules, __pycache__, .venv) are skipped.

        Args:
            pattern: A glob. Without '/' it matches file names at any depth ('*.py'); with '/' it matches
                the path below `path`, '**' standing for any directories ('src/**/test_*.py').
            contains: When given, only files whose text contains it, listed as 'path:line: text'.
            path: The directory to search, relative to the root.
            ignore_case: Match the pattern and `contains` without regard to case.
        """
        glob = Glob(pattern, ignore_case=ignore_case)
        needle = None if contains is None else (contains.lower() if ignore_case else contains)
        parts = self.root.resolve(path)
        prefix = "/".join(parts)
        results: list[str] = []
        scanned = read = 0
        with self.root.directory(parts, path) as fd:
            for relative, dir_fd, name in _walk_files(fd):
                scanned += 1
                if scanned > MAX_SEARCH_FILES or read > MAX_SEARCH_BYTES:
                    results.append(f"[stopped after scanning {scanned - 1} files]")
                    break
                if not glob.matches(relative):
                    continue
                shown = f"{prefix}/{relative}" if prefix else relative
                if needle is None:
                    results.append(shown)
                else:
                    hits, size = self._grep(dir_fd, name, shown, needle, ignore_case)
                    results.extend(hits)
                    read += size
                if len(results) >= MAX_SEARCH_RESULTS:
                    results = results[:MAX_SEARCH_RESULTS] + [f"[stopped at {MAX_SEARCH_RESULTS} results]"]
                    break
        return "\n".join(results) if results else "no matches"

    def _grep(
        self, dir_fd: int, name: str, shown: str, needle: str, ignore_case: bool
    ) -> tuple[list[str], int]:
        """`path:line: text` for each line containing `needle`, and the bytes read. Symlinks, special,
        large and binary files yield nothing."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return [], 0  # a symlink, or gone since the listing
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_bytes:
                return [], 0
            data = os.pread(fd, self.max_bytes, 0)
        except OSError:
            return [], 0
        finally:
            os.close(fd)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return [], len(data)
        hits = [
            f"{shown}:{number}: {line.strip()[:MAX_LINE_CHARS]}"
            for number, line in enumerate(text.splitlines(), start=1)
            if needle in (line.lower() if ignore_case else line)
        ]
        return hits, len(data)


def _walk_files(top_fd: int) -> Iterator[tuple[str, int, str]]:
    """`(relative path, directory fd, name)` for every non-directory below `top_fd`, never following
    symlinks into directories (os.fwalk checks each directory it enters against its lstat)."""
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(".", dir_fd=top_fd, follow_symlinks=False):
        dirnames[:] = sorted(name for name in dirnames if name not in SKIPPED_DIRECTORIES)
        base = "" if dirpath == "." else dirpath[2:] + "/"
        for name in sorted(filenames):
            yield base + name, dir_fd, name


def toolset(root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> FunctionToolset:
    """The file tools for `root`, to use in-process or to serve."""
    files = FileTools(root, max_bytes=max_bytes)
    return FunctionToolset([files.read_file, files.write_file, files.list_directory, files.search_files])


def build(root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Server[Any]:
    """The files server for `root` as an MCP server."""
    instructions = "Reads, lists, searches and writes files under one directory; paths are relative to it."
    return toolset_server(toolset(root, max_bytes=max_bytes), name="files", instructions=instructions)
