"""Where a validation error points, written as a field path."""

from __future__ import annotations

from collections.abc import Iterable


def field_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a path: ('messages', 0, 'content') -> 'messages[0].content'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
