"""`mcpagent run "question"`: one run, showing each tool call, its result and the answer as they happen."""

from __future__ import annotations

import json
from typing import Annotated

import anyio
import typer
from rich.markup import escape
from rich.status import Status

from agent.cli._common import (
    EngineUrl,
    Isq,
    MaxRounds,
    MaxTokens,
    McpConfig,
    Model,
    Settings,
    Temperature,
    Threads,
    Verbose,
    console,
    open_engine,
    setup_logging,
    user_errors,
)
from agent.completions import openai_types as oa
from agent.events import Event, FinalAnswer, RunFinished, ToolCallFinished, ToolCallStarted
from inference import DEFAULT_MODEL


def show_call(event: ToolCallStarted) -> None:
    args = json.dumps(event.call.arguments, ensure_ascii=False)
    console.print(f"[cyan]→ {escape(event.call.name)}[/] {escape(args)}")


def show_result(event: ToolCallFinished) -> None:
    text = event.result.text.strip().replace("\n", " ")
    text = text if len(text) <= 200 else text[:197] + "..."
    style, label = ("red", "error") if event.result.is_error else ("green", "result")
    console.print(f"[{style}]← {label}:[/] {escape(text)} [dim]({event.duration_secs:.2f} s)[/]")


def show_figures(event: RunFinished) -> None:
    r, u = event.result, event.result.usage
    console.print(
        f"[dim]rounds {r.rounds} · prompt {u.prompt_tokens} tokens ({u.cached_tokens} cached) · "
        f"completion {u.completion_tokens} tokens · {u.decode_tokens_per_sec:.1f} tok/s decode · "
        f"{u.prompt_tokens_per_sec:.0f} tok/s prompt · {r.wall_secs:.2f} s[/]"
    )


class _Printer:
    """Shows a run as it happens: tool calls (with a spinner while each runs), results, the answer, figures."""

    def __init__(self) -> None:
        self._spinner: Status | None = None

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    async def __call__(self, event: Event) -> None:
        if isinstance(event, ToolCallStarted):
            show_call(event)
            self._stop_spinner()
            self._spinner = console.status(f"running {escape(event.call.name)}…")
            self._spinner.start()
        elif isinstance(event, ToolCallFinished):
            self._stop_spinner()
            show_result(event)
        elif isinstance(event, FinalAnswer):
            self._stop_spinner()
            console.print(f"[bold]Answer:[/] {escape(event.text)}")
        elif isinstance(event, RunFinished):
            self._stop_spinner()
            show_figures(event)


async def _run(question: str, settings: Settings, *, tool_choice: str, as_json: bool) -> None:
    async with open_engine(settings) as engine:
        if as_json:
            request = oa.ChatCompletionRequest(
                messages=[oa.UserMessage(role="user", content=question)],
                tool_choice=tool_choice,  # type: ignore[arg-type]
            )
            response = await engine.complete(request)
            print(response.model_dump_json(indent=2))
            return
        names = ", ".join(t.name for t in engine.mcp.tools) if engine.mcp else ""
        model_id = engine.get_default_model_id()
        console.print(f"[dim]model {escape(model_id or '')} · tools: {escape(names or 'none')}[/]")
        await engine.agent(tool_choice=tool_choice).run(question, on_event=_Printer())


def run(
    question: Annotated[str, typer.Argument(help="What to ask the agent.")],
    model: Model = DEFAULT_MODEL,
    mcp_config: McpConfig = None,
    engine_url: EngineUrl = None,
    threads: Threads = None,
    isq: Isq = None,
    max_rounds: MaxRounds = 6,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 256,
    tool_choice: Annotated[str, typer.Option(help="auto, required or none, for the first round.")] = "auto",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the response object (OpenAI's shape) instead.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Run the agent once on QUESTION, showing each tool call, its result and the answer."""
    if tool_choice not in ("auto", "required", "none"):
        raise typer.BadParameter("must be auto, required or none", param_hint="--tool-choice")
    setup_logging(verbose)
    settings = Settings.pick(locals())
    with user_errors(verbose):
        anyio.run(lambda: _run(question, settings, tool_choice=tool_choice, as_json=as_json))
