"""Start `mcpagent serve` in a child process and learn its URL (for tests, benches and examples).

    with launched_api("--api-key", "secret") as url:   # http://127.0.0.1:PORT
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="secret")
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tools.launch import launched_command

_ANNOUNCE = re.compile(r"^mcpagent: serving \S+ on (?P<url>http://\S+)/v1 ")


@contextmanager
def launched_api(*args: str, timeout_secs: float = 120.0) -> Iterator[str]:
    """Run `mcpagent serve --port 0 *ARGS` on 127.0.0.1 and yield its base URL; stop it (SIGTERM) on exit.

    Raises:
        RuntimeError: it exited, or announced no URL within `timeout_secs` (the model loads first).
    """
    command = [sys.executable, "-m", "agent.cli", "serve", "--port", "0", *args]
    with launched_command(command, _ANNOUNCE, what="mcpagent serve", timeout_secs=timeout_secs) as url:
        yield url
