"""`mcpagent chat`: a REPL over one conversation, the answer streamed as it is written, with slash commands.

Terminal input stays in the main thread; the engine lives in an event loop of its own thread (as the
Runner's does), and each turn is a task there, so Ctrl-C in the main thread can cancel just that turn.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from pathlib import Path
from typing import Annotated

import anyio
import typer
from anyio.from_thread import BlockingPortal
from rich.markup import escape
from rich.status import Status
from rich.text import Text

from agent import session
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
    explain,
    open_engine,
    setup_logging,
    user_errors,
)
from agent.cli.run import show_call, show_figures, show_result
from agent.cli.tools import server_table, tool_table
from agent.completions.engine import ChatEngine
from agent.events import (
    Event,
    FinalAnswer,
    ModelTurn,
    Reasoning,
    RunFinished,
    ServerStatusChanged,
    Token,
    ToolCallFinished,
    ToolCallStarted,
    ToolProgress,
)
from agent.loop import Agent
from inference import DEFAULT_MODEL, ContextOverflowError, Message
from mcp_client import RegisteredTool, ServerStatus
from tools._aio import LoopThread, root_cause

PROMPT = "you> "


def _uninterrupted(step: Callable[[], object]) -> None:
    """Do `step` to its end, whatever Ctrl-C is pressed meanwhile (the turn is already being stopped)."""
    while True:
        try:
            step()
            return
        except KeyboardInterrupt:
            continue


class _TurnPrinter:
    """Shows one turn as it happens, from the engine's thread: answer and reasoning text streamed, each tool
    call with a spinner while it runs, its result, and the figures at the end."""

    def __init__(self) -> None:
        self._spinner: Status | None = None
        self._open: str | None = None  # "token" or "reasoning" while a line of streamed text is unfinished
        self._streamed: set[int] = set()  # rounds whose answer text was streamed
        self._last_round = 0
        self.broke_line = False
        """`close()` ended a line of streamed text (so after Ctrl-C its "^C" echo is on a line of its own)."""

    def _end_line(self) -> None:
        if self._open is not None:
            console.print()
            self._open = None

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _stream(self, kind: str, text: str, style: str = "") -> None:
        if self._open != kind:
            self._end_line()
            self._open = kind
        console.print(Text(text, style=style), end="", soft_wrap=True)

    async def __call__(self, event: Event) -> None:
        if isinstance(event, Token):
            self._streamed.add(event.round)
            self._stream("token", event.text)
        elif isinstance(event, Reasoning):
            self._stream("reasoning", event.text, style="dim")
        elif isinstance(event, ModelTurn):
            self._last_round = event.round
            self._end_line()
        elif isinstance(event, ToolCallStarted):
            self._end_line()
            self._stop_spinner()
            show_call(event)
            self._spinner = console.status(f"running {escape(event.call.name)}…")
            self._spinner.start()
        elif isinstance(event, ToolProgress) and self._spinner is not None:
            total = f"/{event.total:g}" if event.total is not None else ""
            note = f" {event.message}" if event.message else ""
            self._spinner.update(f"running {escape(event.call.name)}… {event.progress:g}{total}{escape(note)}")
        elif isinstance(event, ToolCallFinished):
            self._stop_spinner()
            show_result(event)
        elif isinstance(event, ServerStatusChanged):
            self._end_line()
            error = f": {event.error}" if event.error else ""
            console.print(f"[yellow]MCP server {escape(event.server)} is {escape(event.state)}{escape(error)}[/]")
        elif isinstance(event, FinalAnswer):
            if event.text and self._last_round not in self._streamed:  # e.g. a constrained answer, not streamed
                console.print(escape(event.text))
        elif isinstance(event, RunFinished):
            self.close()
            show_figures(event)

    def close(self) -> None:
        self._stop_spinner()
        self.broke_line = self._open is not None
        self._end_line()


class _Repl:
    """The conversation and the commands; runs in the main thread, turns in the engine's loop."""

    def __init__(
        self, portal: BlockingPortal, engine: ChatEngine, *, agent: Agent, history: list[Message], verbose: bool
    ) -> None:
        self.portal = portal
        self.engine = engine
        self.agent = agent
        self.history = history
        self.verbose = verbose
        self.commands: dict[str, tuple[Callable[[str], bool], str]] = {
            "/tools": (self._tools, "the tools the model may call"),
            "/servers": (self._servers, "the MCP servers and their state"),
            "/reset": (self._reset, "forget the conversation"),
            "/save FILE": (self._save, "save the conversation as JSON"),
            "/load FILE": (self._load, "replace the conversation with a saved one"),
            "/help": (self._help, "this list"),
            "/exit": (self._exit, "leave (or Ctrl-D)"),
        }
        self._by_name = {usage.split()[0]: run for usage, (run, _) in self.commands.items()}

    def loop(self) -> None:
        """Read and answer lines until /exit or Ctrl-D."""
        while True:
            try:
                line = input(PROMPT).strip()
            except KeyboardInterrupt:  # clears the line, as in a shell
                console.print()
                continue
            except EOFError:
                console.print()
                return
            if not line:
                continue
            if line.startswith("/"):
                if not self._command(line):
                    return
            else:
                self._ask(line)

    # -- turns -------------------------------------------------------------------------------------

    def _ask(self, text: str) -> None:
        messages = [*self.history, Message(role="user", content=text)]
        printer = _TurnPrinter()
        future: Future[bool] | None = None
        try:
            scope: anyio.CancelScope = self.portal.call(anyio.CancelScope)
            future = self.portal.start_task_soon(self._turn, messages, scope, printer)
            wait_for([future])
        except KeyboardInterrupt:
            if future is not None:
                _uninterrupted(lambda: self.portal.call(scope.cancel))
                self._stopping(future)
            if future is None or (future.exception() is None and not future.result()):
                if not printer.broke_line:  # the terminal's "^C" echo is still on the line
                    console.print()
                console.print("[yellow](stopped)[/]")
                return
        self._finished(future)

    async def _turn(self, messages: list[Message], scope: anyio.CancelScope, printer: _TurnPrinter) -> bool:
        """Run one turn; False when it was stopped. The history changes only when the turn finishes."""
        try:
            with scope:
                result = await self.agent.run(messages, on_event=printer)
                self.history = list(result.messages)
                return True
            return False
        finally:
            printer.close()

    def _stopping(self, future: Future[bool]) -> None:
        """Wait until a stopped turn has ended: the model stops at its next token (though it first finishes
        reading the prompt, a few seconds for a long one); a running tool's call is abandoned."""
        _uninterrupted(lambda: wait_for([future], timeout=0.3))
        if not future.done():
            with console.status("stopping…"):
                _uninterrupted(lambda: wait_for([future]))

    def _finished(self, future: Future[bool]) -> None:
        """Say how a turn that ran to its end ended: nothing more when it answered, else its error."""
        failure = future.exception()
        if failure is not None:
            if not isinstance(failure, Exception):
                raise failure
            if self.verbose:
                traceback.print_exception(failure)
            failure = root_cause(failure)
            if isinstance(failure, ContextOverflowError):
                console.print(f"[red]error:[/] {escape(str(failure))}\n[dim]hint: /reset, or lower --max-tokens[/]")
            else:
                console.print(explain(failure))

    # -- commands ----------------------------------------------------------------------------------

    def _command(self, line: str) -> bool:
        """Run a slash command; False to leave."""
        name, _, argument = line.partition(" ")
        run = self._by_name.get(name.lower())
        if run is None:
            known = ", ".join(self._by_name)
            console.print(f"[red]unknown command {escape(name)}[/]; commands: {known}")
            return True
        return run(argument.strip())

    def _snapshot(self) -> tuple[list[ServerStatus], list[RegisteredTool]]:
        manager = self.engine.mcp
        return (manager.status(), list(manager.tools)) if manager is not None else ([], [])

    def _tools(self, _: str) -> bool:
        statuses, tools = self.portal.call(self._snapshot)
        console.print(tool_table(tools, statuses) if tools else "[dim]no tools[/]")
        return True

    def _servers(self, _: str) -> bool:
        statuses, _tools = self.portal.call(self._snapshot)
        console.print(server_table(statuses) if statuses else "[dim]no MCP servers[/]")
        return True

    def _reset(self, _: str) -> bool:
        self.history = []
        console.print("[dim]conversation cleared[/]")
        return True

    def _path(self, argument: str, command: str) -> Path | None:
        if not argument:
            console.print(f"[red]usage:[/] {command} FILE")
            return None
        return Path(argument).expanduser()

    def _save(self, argument: str) -> bool:
        path = self._path(argument, "/save")
        if path is not None:
            try:
                session.save(path, self.history, meta={"model": self.engine.get_default_model_id()})
            except (session.SessionError, OSError) as exc:
                console.print(explain(exc))
            else:
                console.print(f"[dim]saved {len(self.history)} messages to {escape(str(path))}[/]")
        return True

    def _load(self, argument: str) -> bool:
        path = self._path(argument, "/load")
        if path is not None:
            try:
                messages, _meta = session.load(path)
            except (session.SessionError, OSError) as exc:
                console.print(explain(exc))
            else:
                self.history = messages
                console.print(f"[dim]loaded {len(messages)} messages from {escape(str(path))}[/]")
        return True

    def _help(self, _: str) -> bool:
        for usage, (_run, text) in self.commands.items():
            console.print(f"[cyan]{usage:<11}[/] {escape(text)}")
        console.print("[dim]Ctrl-C stops the answer being written; anything else is sent to the model.[/]")
        return True

    def _exit(self, _: str) -> bool:
        return False


def _banner(engine: ChatEngine, history: Sequence[Message]) -> None:
    names = ", ".join(t.name for t in engine.mcp.tools) if engine.mcp else ""
    loaded = f" · {len(history)} messages loaded" if history else ""
    console.print(
        f"[dim]model {escape(engine.get_default_model_id() or '')} · tools: {escape(names or 'none')}{loaded}\n"
        "/help for commands, Ctrl-C stops an answer, Ctrl-D or /exit leaves[/]"
    )


def chat(
    model: Model = DEFAULT_MODEL,
    mcp_config: McpConfig = None,
    engine_url: EngineUrl = None,
    threads: Threads = None,
    isq: Isq = None,
    max_rounds: MaxRounds = 6,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 256,
    system: Annotated[str | None, typer.Option(help="A system prompt for the conversation.")] = None,
    load: Annotated[
        Path | None, typer.Option(help="Start from a conversation saved with /save.", dir_okay=False)
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Chat with the agent: answers stream as they are written, tool calls show as they run.

    Commands: /tools, /servers, /reset, /save FILE, /load FILE, /help, /exit.

    Ctrl-C stops the current answer (the conversation stays as before the question); Ctrl-D or /exit leaves.
    """
    setup_logging(verbose)
    settings = Settings.pick(locals())
    with user_errors(verbose):
        history = session.load(load)[0] if load is not None else []
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        loop = LoopThread("mcpagent-chat")
        try:
            with loop.portal.wrap_async_context_manager(open_engine(settings)) as engine:
                agent = engine.agent(system_prompt=system)
                _banner(engine, history)
                _Repl(loop.portal, engine, agent=agent, history=history, verbose=verbose).loop()
        finally:
            loop.stop()
