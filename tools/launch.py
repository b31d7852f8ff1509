"""Start a bundled tool server over HTTP or WebSocket (or any command that announces a URL) in a child
process, and learn its URL.

    with launched_server("calculator", "ws") as url:   # ws://127.0.0.1:PORT/
        ...
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

_ANNOUNCE = re.compile(r" serving MCP over \S+ at (?P<url>\S+)")


def _watch(stderr: object, announce: re.Pattern[str], urls: queue.Queue[str]) -> None:
    """Hand over the announced URL, then keep draining stderr so the process never blocks on it."""
    for line in stderr:  # type: ignore[attr-defined]
        match = announce.search(line)
        if match:
            urls.put(match["url"])


def stop_process(process: subprocess.Popen[Any], *, grace_secs: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process is still there after `grace_secs`; returns once it has exited."""
    process.terminate()
    try:
        process.wait(timeout=grace_secs)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def launched_command(
    command: Sequence[str], announce: re.Pattern[str], *, what: str, timeout_secs: float = 30.0
) -> Iterator[str]:
    """Run `command`, wait for a stderr line matching `announce` (its `url` group), and yield that URL.

    The process is stopped on exit (SIGTERM, then SIGKILL if it lingers for 10 s).

    Raises:
        RuntimeError: it exited or announced no URL within `timeout_secs`.
    """
    process = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    urls: queue.Queue[str] = queue.Queue()
    watcher = threading.Thread(target=_watch, args=(process.stderr, announce, urls), daemon=True)
    watcher.start()
    try:
        try:
            url = urls.get(timeout=timeout_secs)
        except queue.Empty:
            state = f"exited with code {process.returncode}" if process.poll() is not None else "is still silent"
            raise RuntimeError(f"{what} announced no URL within {timeout_secs:g} s; it {state}") from None
        yield url
    finally:
        stop_process(process)
        watcher.join(timeout=5)  # it ends at the pipe's EOF, now that the process is gone
        if process.stderr is not None:
            process.stderr.close()


@contextmanager
def launched_server(
    name: str, transport: Literal["http", "ws"], *args: str, timeout_secs: float = 30.0
) -> Iterator[str]:
    """Run `python -m tools NAME --transport TRANSPORT --port 0 *ARGS` on 127.0.0.1 and yield its URL.

    The server is stopped on exit (terminated, then killed if it lingers).

    Raises:
        RuntimeError: it exited or announced no URL within `timeout_secs`.
    """
    command = [sys.executable, "-m", "tools", name, "--transport", transport, "--port", "0", *args]
    with launched_command(command, _ANNOUNCE, what=f"{name} over {transport}", timeout_secs=timeout_secs) as url:
        yield url
