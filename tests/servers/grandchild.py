"""A test MCP server that leaves a grandchild process behind: does closing the client end the whole tree?

At start the runner spawns one grandchild (`python -c "import time; time.sleep(600)"`, stdio on
/dev/null); the server never stops it. Every grandchild's pid is written to `--pid-file`, one per line,
the file replaced atomically, so a test can check the pids are gone after the client closed, and kill
them itself when they are not.

Tools:
    spawn(): spawns one more grandchild and returns its pid, as text.
    grandchildren(): the pids spawned so far, space-separated.
    echo(text): returns `text`.

Flags (runner): `--pid-file PATH` (where the pids go); `--detach` starts grandchildren in their own
session (`setsid`), as daemonizing helpers do, so a process-group kill misses them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

GRANDCHILD_CODE = "import time; time.sleep(600)"


class Grandchildren:
    """The grandchildren this server spawned; they are left running on purpose."""

    def __init__(self, pid_file: Path | None = None, *, detach: bool = False) -> None:
        self.pid_file = pid_file
        self.detach = detach
        self._processes: list[subprocess.Popen[bytes]] = []  # kept so they are never reaped or collected

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    def spawn(self) -> int:
        """Start one grandchild, record its pid, and return it."""
        process = subprocess.Popen(
            [sys.executable, "-c", GRANDCHILD_CODE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.detach,
        )
        self._processes.append(process)
        if self.pid_file is not None:
            partial = self.pid_file.with_name(self.pid_file.name + ".partial")
            partial.write_text("".join(f"{pid}\n" for pid in self.pids))
            os.replace(partial, self.pid_file)
        return process.pid


def build(children: Grandchildren | None = None) -> MCPServer:
    """A fresh `grandchild` server spawning into `children` (a new set without a pid file by default)."""
    spawned = children if children is not None else Grandchildren()
    server = MCPServer("grandchild")

    @server.tool()
    def spawn() -> str:
        """Spawn one more grandchild process and return its pid."""
        return str(spawned.spawn())

    @server.tool()
    def grandchildren() -> str:
        """The pids of the grandchildren spawned so far."""
        return " ".join(str(pid) for pid in spawned.pids)

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    return server


def read_pids(pid_file: Path) -> list[int]:
    """The pids in a `--pid-file`; empty while the file does not exist yet."""
    try:
        return [int(line) for line in pid_file.read_text().split()]
    except FileNotFoundError:
        return []


def is_running(pid: int) -> bool:
    """Whether `pid` is a live process. A zombie is not: an orphan killed under a PID 1 that never reaps (as in
    some containers) stays a zombie, and `os.kill(pid, 0)` still succeeds on it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no procfs: ask the kernel, which cannot tell a zombie apart
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # the state follows the parenthesised command name
