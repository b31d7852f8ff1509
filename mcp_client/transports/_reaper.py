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
    for pgid in groups:
        signal_group(pgid, signal.SIGTERM)
    if groups:
        time.sleep(0.3)
        for pgid in groups:
            signal_group(pgid, signal.SIGKILL)


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
