"""Start a bundled tool server over HTTP or WebSocket in a child process, and learn its URL.

    with launched_server("calculator", "ws") as url:   # ws://127.0.0.1:PORT/
        ...
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

_MARK = " serving MCP over "


def _watch(stderr: object, urls: queue.Queue[str]) -> None:
    """Hand over the announced URL, then keep draining stderr so the server never blocks on it."""
    for line in stderr:  # type: ignore[attr-defined]
        if _MARK in line:
            urls.put(line.rsplit(" at ", 1)[1].strip())


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
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    urls: queue.Queue[str] = queue.Queue()
    watcher = threading.Thread(target=_watch, args=(process.stderr, urls), daemon=True)
    watcher.start()
    try:
        try:
            url = urls.get(timeout=timeout_secs)
        except queue.Empty:
            state = f"exited with code {process.returncode}" if process.poll() is not None else "is still silent"
            message = f"{name} over {transport} announced no URL within {timeout_secs:g} s; it {state}"
            raise RuntimeError(message) from None
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        watcher.join(timeout=5)  # it ends at the pipe's EOF, now that the server is gone
        if process.stderr is not None:
            process.stderr.close()
