"""Async helpers shared by every package."""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

T = TypeVar("T")
Send = Callable[[T], Coroutine[Any, Any, None]]
"""Hands one item to the consumer, waiting while its buffer is full."""


def root_cause(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio wraps task failures in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


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


@asynccontextmanager
async def produced(
    producer: Callable[[Send[T]], Awaitable[None]], *, buffer: int = 64
) -> AsyncIterator[AsyncIterator[T]]:
    """Run `producer(send)` in a task and hand its items to the caller as an async iterator.

    An exception in the producer is raised to the consumer, as itself, when the items run out. If the
    consumer leaves early, the producer's next `send` fails (BrokenResourceError) and it stops.
    """
    send, receive = anyio.create_memory_object_stream[T](buffer)
    failure: list[Exception] = []

    async def produce() -> None:
        async with send:
            try:
                await producer(send.send)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass  # the consumer left early
            except Exception as exc:  # re-raised in the consumer's task below
                failure.append(exc)

    async def items() -> AsyncIterator[T]:
        async for item in receive:
            yield item
        if failure:
            raise failure[0]

    with single_exceptions():
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(produce)
            try:
                yield items()
            finally:
                receive.close()


Work = Callable[[Callable[[T], None], threading.Event], None]
"""Blocking work for a worker thread: it calls `emit(item)` for each item and stops when the event is set."""


@asynccontextmanager
async def from_worker_thread(
    work: Work[T], *, limiter: anyio.CapacityLimiter, buffer: int = 256
) -> AsyncIterator[AsyncIterator[T]]:
    """Run blocking `work(emit, cancelled)` in a worker thread and hand what it emits to the caller.

    `emit` blocks until the event loop takes the item; if the caller leaves early, `cancelled` is set
    and the next `emit` raises, so the work stops within one step.
    """
    cancelled = threading.Event()

    async def producer(send: Send[T]) -> None:
        def emit(item: T) -> None:
            if cancelled.is_set():
                raise anyio.BrokenResourceError
            anyio.from_thread.run(send, item)

        await anyio.to_thread.run_sync(functools.partial(work, emit, cancelled), limiter=limiter)

    async with produced(producer, buffer=buffer) as items:
        try:
            yield items
        finally:
            cancelled.set()


class LoopThread:
    """An event loop in a daemon thread and a portal into it.

    Not `anyio.from_thread.start_blocking_portal()`: its thread pool is joined at interpreter exit before
    atexit handlers run, so a loop nobody stopped (a Runner nobody closed) would hang the exit instead of
    being closed.
    """

    def __init__(self, name: str = "mcpagent-loop") -> None:
        ready: queue.Queue[BlockingPortal | BaseException] = queue.Queue(1)
        self.thread = threading.Thread(target=self._run, args=(ready,), name=name, daemon=True)
        self.thread.start()
        got = ready.get()
        if isinstance(got, BaseException):
            raise got
        self.portal = got

    @staticmethod
    def _run(ready: queue.Queue[BlockingPortal | BaseException]) -> None:
        async def main() -> None:
            async with BlockingPortal() as portal:
                ready.put(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(main)
        except BaseException as exc:  # reported to the constructor, which raises it
            if ready.empty():
                ready.put(exc)
            raise

    def stop(self) -> None:
        try:
            self.portal.call(self.portal.stop, True)
        except RuntimeError:
            pass  # already stopped
        self.thread.join()
