"""Ending child process groups when the client process is told to stop or exits.

Signals and exit hooks are process-wide, so this registry is too: it holds the process-group ids
of the stdio servers alive right now. Closing a manager ends its children itself; this is the net
for SIGTERM (whose default action would kill us and orphan them) and for interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from types import FrameType

_groups: set[int] = set()
_lock = threading.Lock()
_installed = False


def _stat(pid: int | str) -> tuple[int, int] | None:
    """(parent pid, start time) of a process from /proc, or None when it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: fields start after the last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def descendants(pid: int) -> dict[int, int]:
    """Every live descendant of `pid` with its start time, through /proc parent links (none without /proc).

    Catches the children that left the process group (`setsid`, as daemonizing helpers do), which a
    group kill misses; it must run while their parent is alive, before they are re-parented.
    """
    children: dict[int, list[tuple[int, int]]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return {}
    for entry in entries:
        stat = _stat(entry)
        if stat is not None:
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found: dict[int, int] = {}
    stack = [pid]
    while stack:
        for child, started in children.get(stack.pop(), ()):
            if child not in found:
                found[child] = started
                stack.append(child)
    return found


def kill_pids(pids: dict[int, int], sig: signal.Signals) -> None:
    """Signal each pid whose start time still matches, so a recycled pid is never hit."""
    for pid, started in pids.items():
        stat = _stat(pid)
        if stat is None or stat[1] != started:
            continue
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send `sig` to a process group, ignoring one that is already gone."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def end_all() -> None:
    """SIGTERM every tracked group, then SIGKILL what is left after a short grace."""
    with _lock:
        groups = list(_groups)
        _groups.clear()
    strays: dict[int, int] = {}
    for pgid in groups:
        strays.update(descendants(pgid))
    for pgid in groups:
        signal_group(pgid, signal.SIGTERM)
    kill_pids(strays, signal.SIGTERM)
    if groups:
        time.sleep(0.3)
        for pgid in groups:
            signal_group(pgid, signal.SIGKILL)
        kill_pids(strays, signal.SIGKILL)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    end_all()
    # Then die of SIGTERM as we would have without this handler.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(end_all)
    # Only where nobody else handles SIGTERM, and only from the main thread (Python's rule).
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def track(pgid: int) -> None:
    with _lock:
        _install()
        _groups.add(pgid)


def untrack(pgid: int) -> None:
    with _lock:
        _groups.discard(pgid)
