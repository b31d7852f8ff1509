"""Async helpers shared by every package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_exceptions() -> Iterator[None]:
    """Re-raise a task group's lone exception as itself rather than inside an exception group.

    A task group wraps even one failure in a group; an API whose task group is an implementation
    detail (a stream, an event feed) should give its caller `ContextOverflowError`, not a group.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        leaf = group.exceptions[0]
        while isinstance(leaf, BaseExceptionGroup) and len(leaf.exceptions) == 1:
            leaf = leaf.exceptions[0]
        raise leaf from leaf.__cause__  # keeps the leaf's own cause; hides the group as context
