"""The OpenAI-compatible server: `create_app(engine)` builds the FastAPI app; `serve(engine)` runs it with
uvicorn until SIGINT or SIGTERM, then returns so the caller closes the engine (models, MCP servers)."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable, Generator
from types import FrameType

import anyio
import uvicorn

from agent.completions.conversation import ValidationMode
from agent.completions.engine import ChatEngine
from agent.server.app import ApiError, api_error, create_app

__all__ = ["ApiError", "api_error", "create_app", "serve"]


class _Server(uvicorn.Server):
    """uvicorn's server, but a signal only asks it to stop: uvicorn re-raises the signal once it has stopped,
    which would kill the process before the engine closes its MCP server processes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        try:
            previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread: whoever runs us stops us
            yield
            return
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        self.force_exit = self.should_exit  # a second Ctrl-C stops waiting for open connections
        self.should_exit = True


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


async def serve(
    engine: ChatEngine,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
    validation_mode: ValidationMode | str = ValidationMode.TEST,
) -> None:
    """Serve `engine` over HTTP until SIGINT or SIGTERM (or until cancelled).

    Args:
        host: The address to bind (127.0.0.1: this machine only).
        port: The port; 0 picks a free one (see `on_ready`).
        api_key: Required as a bearer token on the /v1 routes, when set.
        on_ready: Called with the base URL (e.g. http://127.0.0.1:8000) once the server accepts connections.
        access_log: Log each request.
        validation_mode: How strictly conversations are checked (test, finetuning, serving).

    Raises:
        OSError: the address cannot be bound (in use, or not an address of this machine).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, reuse_port=False)
    config = uvicorn.Config(
        create_app(engine, api_key=api_key, validation_mode=validation_mode),
        lifespan="off",
        log_level="info" if access_log else "warning",
        access_log=access_log,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,
    )
    server = _Server(config)
    with sock:
        async with anyio.create_task_group() as task_group:

            async def run() -> None:
                await server.serve(sockets=[sock])
                task_group.cancel_scope.cancel()

            task_group.start_soon(run)
            while not server.started:  # noqa: ASYNC110  (uvicorn sets a flag, not an event)
                await anyio.sleep(0.02)
            if on_ready is not None:
                on_ready(_url(sock))
            await anyio.sleep_forever()
