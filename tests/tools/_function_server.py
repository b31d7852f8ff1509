"""Python functions served in one line; the tests run `python -m tests.tools._function_server`."""

from __future__ import annotations

import sys
from enum import Enum

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
    transport = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    serve_functions(add, greet_someone, name="demo", transport=transport)  # type: ignore[arg-type]
