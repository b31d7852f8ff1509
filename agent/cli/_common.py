"""What every `mcpagent` command shares: the options, opening the engine with progress shown, and errors
printed as one line and a hint."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

from agent.completions.engine import ChatEngine
from agent.errors import AgentError
from agent.options import AgentOptions
from agent.session import SessionError
from inference import DEFAULT_MODEL, InferenceError, RemoteBackend, SamplingParams, resolve_model
from inference.pool import OpenableBackend
from mcp_client import McpClientConfig, MCPClientError, MCPClientManager, ServerState, bundled_config
from tools._aio import root_cause

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

# -- options (each command declares the ones it takes, with these types) ------------------------------

Model = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="A GGUF file or directory, an embedded alias (smollm2-135m, gemma3-270m), or a Hugging Face cache "
        "id as OWNER/REPO:FILE.gguf. With --engine-url: the engine's model name.",
    ),
]
McpConfig = Annotated[
    Path | None,
    typer.Option(
        envvar="MCP_CONFIG_PATH",
        help="MCP servers (mistral.rs or mcpServers JSON). Default: the bundled calculator and clock.",
    ),
]
EngineUrl = Annotated[
    str | None,
    typer.Option(help="An OpenAI-compatible engine to use instead of a local model, e.g. http://127.0.0.1:8080/v1."),
]
Threads = Annotated[int | None, typer.Option(min=1, help="CPU threads (default: the physical cores).")]
MaxRounds = Annotated[int, typer.Option(min=1, help="Model turns per run at most.")]
Temperature = Annotated[float, typer.Option(min=0.0, help="Sampling temperature; 0 is greedy.")]
MaxTokens = Annotated[int, typer.Option(min=1, help="Tokens per model turn at most.")]
ChatFormat = Annotated[
    str | None,
    typer.Option(help="The model's tool-call format (a parser name, e.g. hermes), when its template is not detected."),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Logs, and full tracebacks on errors.")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The shared options of a command, as given."""

    model: str = DEFAULT_MODEL
    mcp_config: Path | None = None
    engine_url: str | None = None
    threads: int | None = None
    max_rounds: int = 6
    temperature: float = 0.0
    max_tokens: int = 256
    chat_format: str | None = None
    verbose: bool = False

    @classmethod
    def pick(cls, options: Mapping[str, Any]) -> Settings:
        """The settings among a command's options (its `locals()`), by name."""
        return cls(**{f.name: options[f.name] for f in fields(cls) if f.name in options})

    def agent_options(self) -> AgentOptions:
        return AgentOptions(
            max_rounds=self.max_rounds,
            sampling=SamplingParams(temperature=self.temperature, max_tokens=self.max_tokens),
        )

    def mcp(self) -> McpClientConfig:
        """The MCP servers: the --mcp-config file, or the bundled ones. Raises MCPConfigError."""
        return McpClientConfig.load(self.mcp_config) if self.mcp_config else bundled_config()


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


# -- the engine ------------------------------------------------------------------------------------------

_HF_ID = re.compile(r"^[\w.-]+/[\w.-]+:(?P<file>.+\.gguf)$")


def model_reference(model: str) -> str | Path:
    """What the llama.cpp backend is given: `OWNER/REPO:FILE.gguf` is looked up in the Hugging Face cache."""
    match = _HF_ID.match(model)
    if match and not Path(model).exists():
        return resolve_model(model.split(":", 1)[0], filename=match["file"])
    return model


def served_id(model: str) -> str:
    """The id a model is served under: an alias or engine name as given, a file by its name without `.gguf`."""
    match = _HF_ID.match(model)
    if match:
        return Path(match["file"]).stem
    path = Path(model)
    if path.suffix == ".gguf":
        return path.stem
    return path.resolve().name if path.is_dir() else model


class _Loading:
    """What shows while the engine opens: a spinner, and a bar while an embedded model is assembled (the
    first time, a few hundred MB). One live display, as rich allows only one at a time."""

    def __init__(self, what: str) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[size]}"),
            console=errors,
            transient=True,
        )
        self._spinner = self._progress.add_task(what, total=None, size="")
        self._bar: TaskID | None = None

    def __enter__(self) -> _Loading:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, done: int, total: int) -> None:
        """The assembly's progress, in bytes (called from the loading thread)."""
        if self._bar is None:
            self._progress.update(self._spinner, visible=False)
            self._bar = self._progress.add_task("Assembling the embedded model", total=total, size="")
        self._progress.update(self._bar, completed=done, total=total, size=f"{done / 1e6:.0f}/{total / 1e6:.0f} MB")
        if done >= total:
            self._progress.update(self._bar, visible=False)
            self._progress.update(self._spinner, visible=True)


def backend_for(
    settings: Settings, *, engine_timeout: float = 60.0, progress: Callable[[int, int], None] | None = None
) -> tuple[str, OpenableBackend]:
    """(served id, unopened backend) for the --model / --engine-url options."""
    model_id = served_id(settings.model)
    if settings.engine_url:
        return model_id, RemoteBackend(settings.engine_url, model=settings.model, timeout_secs=engine_timeout)
    from inference.llama_cpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(
        model_reference(settings.model),
        n_threads=settings.threads,
        model_id=model_id,
        progress=progress,
        chat_format=settings.chat_format,
    )
    return model_id, backend


@asynccontextmanager
async def open_engine(
    settings: Settings, *, with_tools: bool = True, engine_timeout: float = 60.0
) -> AsyncIterator[ChatEngine]:
    """The model and the MCP servers, opened with a progress bar or spinner; failed servers are warned about."""
    config = settings.mcp() if with_tools else None
    what = f"Connecting to {settings.engine_url}" if settings.engine_url else f"Loading model {settings.model}"
    servers = f" and starting {len(config.servers)} MCP server(s)" if config and config.servers else ""
    async with AsyncExitStack() as stack:
        with _Loading(f"{what}{servers}…") as loading:
            model_id, backend = backend_for(settings, engine_timeout=engine_timeout, progress=loading)
            options = settings.agent_options()
            engine = ChatEngine([(model_id, backend)], mcp_client_config=config, agent_options=options)
            await stack.enter_async_context(engine)
        warn_failed_servers(engine.mcp)
        yield engine


def warn_failed_servers(manager: MCPClientManager | None) -> None:
    for status in manager.status() if manager is not None else ():
        if status.state in (ServerState.FAILED, ServerState.RESTARTING):
            errors.print(f"[yellow]warning:[/] MCP server {status.name!r} failed: {escape(status.error or '')}")


# -- errors ------------------------------------------------------------------------------------------------

_HINTS: list[tuple[type[Exception], str]] = [
    (SessionError, "the file must be a conversation saved by /save (or agent.session.save)"),
    (
        InferenceError,
        "check --model: a GGUF path, or an embedded alias (smollm2-135m, gemma3-270m); or --engine-url",
    ),
    (MCPClientError, "check --mcp-config (or MCP_CONFIG_PATH) and that each server's command or URL works"),
    (AgentError, "check the request's options"),
    (OSError, "check the path and its permissions"),
]


def explain(exc: BaseException) -> str:
    """One line and a hint for an error a user can act on."""
    hint = next((h for kind, h in _HINTS if isinstance(exc, kind)), "")
    line = f"[red]error:[/] {escape(str(exc))}"
    return f"{line}\n[dim]hint: {hint}[/]" if hint else line


def fail(exc: BaseException, *, verbose: bool) -> NoReturn:
    if verbose:
        traceback.print_exception(exc)
    errors.print(explain(exc))
    raise typer.Exit(1) from None


@contextmanager
def user_errors(verbose: bool) -> Iterator[None]:
    """Known errors become one line, a hint and exit status 1 (the traceback only with --verbose);
    Ctrl-C exits with 130."""
    known = tuple(kind for kind, _ in _HINTS)
    try:
        yield
    except known as exc:
        fail(exc, verbose=verbose)
    except BaseExceptionGroup as group:  # a failure inside a task group, alone in its group
        leaf = root_cause(group)
        if isinstance(leaf, KeyboardInterrupt):
            raise typer.Exit(130) from None
        if isinstance(leaf, known):
            fail(leaf, verbose=verbose)
        raise
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
