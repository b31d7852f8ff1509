"""Python functions served in one line; the tests run `python -m tests.tools._function_server`."""

from __future__ import annotations

import functools
import sys
import typing
from enum import Enum
from typing import Literal

import anyio
import anyio.lowlevel

from tools import serve_functions, tool


class Greeting(Enum):
    HELLO = "hello"
    GOODBYE = "goodbye"


def add(a: int, b: int = 1) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    return a + b


@tool(name="greet")
async def greet_someone(name: str, greeting: Greeting = Greeting.HELLO) -> str:
    """Greet someone, asynchronously."""
    await anyio.lowlevel.checkpoint()
    return f"{greeting.value}, {name}!"


if __name__ == "__main__":
    transport = typing.cast(Literal["stdio", "http", "ws"], sys.argv[1] if len(sys.argv) > 1 else "stdio")
    announce = functools.partial(print, "serving MCP over", transport, "at", file=sys.stderr, flush=True)
    serve_functions(add, greet_someone, name="demo", transport=transport, port=0, on_ready=announce)
