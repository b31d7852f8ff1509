"""What every `mcpagent` command shares: the options, opening the engine with progress shown, and errors
printed as one line and a hint."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, fields, replace
from enum import StrEnum
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
from inference import DEFAULT_MODEL, InferenceError, ModelSpec, SamplingParams, open_backend, served_id
from inference.models import find_hf_folder
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
        help="A GGUF (or GGML) file or directory, an embedded alias (smollm2-135m, gemma3-270m), or a file in the "
        "Hugging Face cache or a directory as OWNER/REPO:FILE.gguf (split parts: :PART1,PART2); or a Hugging Face "
        "safetensors model, a folder or OWNER/REPO in the local cache, converted to GGUF once (cached). "
        "With --engine-url: the engine's model name.",
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
class EngineBackendChoice(StrEnum):
    openai = "openai"
    llama_cpp = "llama_cpp"


EngineBackendOption = Annotated[
    EngineBackendChoice,
    typer.Option(
        help="How --engine-url is used: 'openai' sends chat requests to its OpenAI-compatible API; 'llama_cpp' "
        "loads --model's vocabulary and template here and sends token ids (and the tool-call grammar) to a "
        "llama.cpp server's /completion.",
    ),
]
Threads = Annotated[int | None, typer.Option(min=1, help="CPU threads (default: the physical cores).")]
Isq = Annotated[
    str | None,
    typer.Option(
        "--isq",
        help="Quantize a safetensors --model as it is converted: Q4K, Q8_0, ... (mistral.rs's names) "
        "or Q4_K_M, ... (llama.cpp's).",
    ),
]
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
    isq: str | None = None
    max_rounds: int = 6
    temperature: float = 0.0
    max_tokens: int = 256
    chat_format: str | None = None
    engine_timeout: float = 60.0
    engine_backend: str = "openai"
    """openai or llama_cpp (how --engine-url is used)."""
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

    def model_spec(self) -> ModelSpec:
        """The model that --model, --engine-url, --threads and --chat-format name."""
        if self.engine_url and str(self.engine_backend) == "llama_cpp":
            spec = ModelSpec.parse(self.model)
            return replace(spec, url=self.engine_url, timeout_secs=self.engine_timeout, engine_backend="llama_cpp",
                           chat_format=self.chat_format)
        if self.engine_url:
            return ModelSpec(model=self.model, url=self.engine_url, timeout_secs=self.engine_timeout)
        spec = ModelSpec.parse(self.model)
        return replace(spec, threads=self.threads, chat_format=self.chat_format, in_situ_quant=self.isq)

    def mcp(self) -> McpClientConfig:
        """The MCP servers: the --mcp-config file, or the bundled ones. Raises MCPConfigError."""
        return McpClientConfig.load(self.mcp_config) if self.mcp_config else bundled_config()


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


# -- the engine ------------------------------------------------------------------------------------------

class _Loading:
    """What shows while the engine opens: a spinner, and a bar while an embedded model is assembled (the
    first time, a few hundred MB). One live display, as rich allows only one at a time."""

    def __init__(self, what: str, *, bar: str | None = None) -> None:
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
        self._bar_label = bar or "Assembling the embedded model"

    def __enter__(self) -> _Loading:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, done: int, total: int) -> None:
        """The assembly's progress, in bytes (called from the loading thread)."""
        if self._bar is None:
            self._progress.update(self._spinner, visible=False)
            self._bar = self._progress.add_task(self._bar_label, total=total, size="")
        self._progress.update(self._bar, completed=done, total=total, size=f"{done / 1e6:.0f}/{total / 1e6:.0f} MB")
        if done >= total:
            self._progress.update(self._bar, visible=False)
            self._progress.update(self._spinner, visible=True)


@asynccontextmanager
async def open_engine(settings: Settings, *, with_tools: bool = True) -> AsyncIterator[ChatEngine]:
    """The model and the MCP servers, opened with a progress bar or spinner; failed servers are warned about."""
    config = settings.mcp() if with_tools else None
    what = f"Connecting to {settings.engine_url}" if settings.engine_url else f"Loading model {settings.model}"
    servers = f" and starting {len(config.servers)} MCP server(s)" if config and config.servers else ""
    async with AsyncExitStack() as stack:
        spec = settings.model_spec()
        bar = "Converting to GGUF" + (f" and quantizing to {spec.in_situ_quant}" if spec.in_situ_quant else "")
        with _Loading(f"{what}{servers}…", bar=bar if _is_safetensors(spec) else None) as loading:
            model_id = served_id(spec)
            backend = open_backend(spec, model_id=model_id, progress=loading)
            options = settings.agent_options()
            engine = ChatEngine([(model_id, backend)], mcp_client_config=config, agent_options=options)
            await stack.enter_async_context(engine)
        warn_failed_servers(engine.mcp)
        yield engine


def _is_safetensors(spec: ModelSpec) -> bool:
    if spec.url is not None or spec.filename is not None:
        return False
    return spec.format == "safetensors" or find_hf_folder(spec.model, spec.hf_cache_path) is not None


def warn_failed_servers(manager: MCPClientManager | None) -> None:
    for status in manager.status() if manager is not None else ():
        if status.state in (ServerState.FAILED, ServerState.RESTARTING):
            errors.print(f"[yellow]warning:[/] MCP server {status.name!r} failed: {escape(status.error or '')}")


# -- errors ------------------------------------------------------------------------------------------------

_HINTS: list[tuple[type[Exception], str]] = [
    (SessionError, "the file must be a conversation saved by /save (or agent.session.save)"),
    (
        InferenceError,
        "check --model: a GGUF path, an embedded alias (smollm2-135m, gemma3-270m), OWNER/REPO:FILE.gguf, "
        "a safetensors model folder or OWNER/REPO in the Hugging Face cache; or --engine-url",
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
