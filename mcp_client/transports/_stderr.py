"""Drain a server process's stderr into our log, line by line, so a chatty server never blocks."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

logger = logging.getLogger("mcp_client.server")


def _pump(read_fd: int, server: str) -> None:
    with os.fdopen(read_fd, "rb") as pipe:
        for raw in pipe:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                logger.info("[%s] %s", server, line)


@asynccontextmanager
async def stderr_to_log(server: str) -> AsyncIterator[TextIO]:
    """A writable file for a child's stderr; a daemon thread logs what arrives until the child closes it.

    The thread ends at EOF, which comes when every process holding the write end has exited.
    """
    read_fd, write_fd = os.pipe()
    threading.Thread(target=_pump, args=(read_fd, server), name=f"stderr-{server}", daemon=True).start()
    errlog = os.fdopen(write_fd, "w")
    try:
        yield errlog
    finally:
        errlog.close()
