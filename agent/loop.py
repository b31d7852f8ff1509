"""The agent loop: model turn, tool calls run concurrently, results back with their ids, until an answer.

Errors the model can fix (unknown tool, a tool's error, a timeout) go back to it as tool results;
errors of the environment (a model that will not load) propagate as typed exceptions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from agent._calls import CallPipeline
from agent.events import (
    Event,
    EventHandler,
    FinalAnswer,
    ModelTurn,
    Reasoning,
    RunFinished,
    RunResult,
    RunStarted,
    ServerStatusChanged,
    Token,
    ToolCallCutOff,
    ToolCallRecord,
)
from agent.options import AgentOptions
from agent.selection import select_tools, tool_token_counts
from agent.shaping import TokenCounter, token_counter
from inference import (
    Backend,
    ChatRequest,
    ChatResponse,
    Message,
    ReasoningDelta,
    StreamItem,
    TextDelta,
    ToolChoice,
    Usage,
)
from inference.backend import collect
from tools import ToolCall, Toolset, ToolSpec
from tools._aio import produced

logger = logging.getLogger("agent")

_CUT_OFF = "Your reply was cut off by the token limit before it was complete. Reply again, shorter."


async def _ignore(event: Event) -> None:
    return None


class Agent:
    """Runs conversations against a backend and a toolset.

    Usage::

        agent = Agent(backend, toolset)
        result = await agent.run("What time is it in Tokyo?")
        print(result.answer)
    """

    def __init__(self, backend: Backend, toolset: Toolset | None = None, options: AgentOptions | None = None) -> None:
        self.backend = backend
        self.toolset = toolset
        self.options = options or AgentOptions()

    async def run(
        self,
        prompt: str | Sequence[Message],
        *,
        on_event: EventHandler | None = None,
        external_tools: Sequence[ToolSpec] = (),
    ) -> RunResult:
        """Run to a final answer. `on_event` is awaited with every event, in order.

        Args:
            prompt: A question, or a whole conversation.
            on_event: Awaited with each event as it happens.
            external_tools: Tools the model may call that this agent does not run (an API client's
                function tools): a turn calling one ends the run with `finish_reason="tool_calls"` and
                the calls in `pending_tool_calls`; the caller runs them and continues the conversation.
        """
        return await self._run(self._messages(prompt), on_event or _ignore, tuple(external_tools))

    @asynccontextmanager
    async def events(
        self, prompt: str | Sequence[Message], *, external_tools: Sequence[ToolSpec] = ()
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """The run as a stream of events; the last one is `RunFinished` with the result."""
        async def producer(send: EventHandler) -> None:
            await self._run(self._messages(prompt), send, tuple(external_tools))

        async with produced(producer) as events:
            yield events

    def _messages(self, prompt: str | Sequence[Message]) -> list[Message]:
        messages = [Message(role="user", content=prompt)] if isinstance(prompt, str) else list(prompt)
        if self.options.system_prompt and not (messages and messages[0].role == "system"):
            messages.insert(0, Message(role="system", content=self.options.system_prompt))
        return messages

    async def _run(
        self, history: list[Message], emit: EventHandler, external: tuple[ToolSpec, ...] = ()
    ) -> RunResult:
        watcher = _StatusWatcher(self.toolset)
        try:
            return await self._rounds(history, watcher.wrap(emit), external)
        finally:
            watcher.close()

    async def _rounds(
        self, history: list[Message], emit: EventHandler, external: tuple[ToolSpec, ...]
    ) -> RunResult:
        options = self.options
        started = time.perf_counter()
        own = list(self.toolset.tools) if self.toolset is not None else []
        tools = [*own, *external]
        external_names = {t.name for t in external}
        count_tokens = token_counter(self.backend)
        calls = CallPipeline(self.toolset, {t.name: t for t in own}, options, count_tokens)
        selector = _Selector(own, external, options.tool_budget_tokens, count_tokens)
        await emit(RunStarted(tools=tuple(t.name for t in tools)))
        usage, records = Usage(), list[ToolCallRecord]()
        tool_choice = options.tool_choice
        for round_no in range(1, options.max_rounds + 1):
            last = round_no == options.max_rounds or calls.give_up
            offered = await selector.tools_for(history, records)
            request = self._request(history, offered, "none" if last or not tools else tool_choice)
            response = await self._turn(request, round_no, emit)
            usage += response.usage
            message = response.message
            history.append(message)
            await emit(ModelTurn(round=round_no, message=message, usage=response.usage))
            if response.cut_call is not None:  # never run; a turn with nothing else asks for a shorter reply
                await emit(ToolCallCutOff(round=round_no, text=response.cut_call))
            if response.finish_reason == "length" and not message.content and not message.tool_calls and not last:
                history.append(Message(role="user", content=_CUT_OFF))
                continue
            pending = tuple(c for c in message.tool_calls if c.name in external_names)
            if pending and not last:
                # The caller runs its own calls; the agent's run now, and their results stay in the history.
                own_calls = [c for c in message.tool_calls if c.name not in external_names]
                await self._run_calls(calls, own_calls, round_no, emit, records, history)
            if not message.tool_calls or last or pending:
                answer = message.content or ""
                if not pending:
                    await emit(FinalAnswer(text=answer))
                result = RunResult(
                    answer=answer,
                    messages=tuple(history),
                    rounds=round_no,
                    usage=usage,
                    tool_calls=tuple(records),
                    wall_secs=time.perf_counter() - started,
                    finish_reason="tool_calls" if pending else response.finish_reason,
                    pending_tool_calls=pending,
                    reasoning=message.reasoning,
                )
                await emit(RunFinished(result=result))
                return result
            await self._run_calls(calls, message.tool_calls, round_no, emit, records, history)
            tool_choice = "auto"
        raise AssertionError("unreachable: the last round always answers")

    @staticmethod
    async def _run_calls(
        calls: CallPipeline,
        to_run: Sequence[ToolCall],
        round_no: int,
        emit: EventHandler,
        records: list[ToolCallRecord],
        history: list[Message],
    ) -> None:
        """Run one turn's calls; their records and their results (as tool messages) are appended in call order."""
        if not to_run:
            return
        for record in await calls.run_all(to_run, round_no, emit):
            records.append(record)
            content = await calls.content_for(record)
            call = record.call
            history.append(Message(role="tool", content=content, tool_call_id=call.id, name=call.name))

    def _request(self, history: Sequence[Message], tools: Sequence[ToolSpec], tool_choice: ToolChoice) -> ChatRequest:
        options = self.options
        return ChatRequest(
            messages=tuple(history),
            tools=tools,
            tool_choice=tool_choice,
            sampling=options.sampling,
            max_calls_per_turn=options.max_calls_per_turn,
            chat_template_kwargs=options.chat_template_kwargs,
        )

    async def first_request(
        self, prompt: str | Sequence[Message], *, external_tools: Sequence[ToolSpec] = ()
    ) -> ChatRequest:
        """The request a run's first model turn sends the backend, built without running anything (to tokenize
        or inspect the prompt a run starts from)."""
        history = self._messages(prompt)
        own = list(self.toolset.tools) if self.toolset is not None else []
        selector = _Selector(own, tuple(external_tools), self.options.tool_budget_tokens, token_counter(self.backend))
        offered = await selector.tools_for(history, [])
        last = self.options.max_rounds == 1
        return self._request(history, offered, "none" if last or not offered else self.options.tool_choice)

    async def _turn(self, request: ChatRequest, round_no: int, emit: EventHandler) -> ChatResponse:
        """One model turn, streamed: answer and reasoning text are emitted as they come."""

        async def forward(item: StreamItem) -> None:
            if isinstance(item, TextDelta):
                await emit(Token(round=round_no, text=item.text))
            elif isinstance(item, ReasoningDelta):
                await emit(Reasoning(round=round_no, text=item.text))

        async with self.backend.stream(request) as items:
            return await collect(items, forward)

class _StatusWatcher:
    """Turns a toolset's server state changes (an MCPClientManager's) into ServerStatusChanged events.

    The manager calls listeners synchronously from its own tasks; changes are queued here and emitted
    with the run's next event, in order.
    """

    def __init__(self, toolset: Toolset | None) -> None:
        self._toolset = toolset
        self._queued: list[ServerStatusChanged] = []
        self._states = self._snapshot()
        subscribe = getattr(toolset, "on_change", None)
        self._unsubscribe = subscribe(self._changed) if callable(subscribe) else None

    def _snapshot(self) -> dict[str, tuple[str, str | None]]:
        status = getattr(self._toolset, "status", None)
        if not callable(status):
            return {}
        return {s.name: (str(s.state), s.error) for s in status()}

    def _changed(self) -> None:
        states = self._snapshot()
        for server, (state, error) in states.items():
            if self._states.get(server, (None, None))[0] != state:
                self._queued.append(ServerStatusChanged(server=server, state=state, error=error))
        self._states = states

    def wrap(self, emit: EventHandler) -> EventHandler:
        async def emit_with_status(event: Event) -> None:
            while self._queued:
                await emit(self._queued.pop(0))
            await emit(event)

        return emit_with_status

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()


class _Selector:
    """The tools offered each turn: all of them, or, past a token budget, the most relevant ones."""

    def __init__(
        self, own: list[ToolSpec], external: tuple[ToolSpec, ...], budget: int | None, count_tokens: TokenCounter
    ) -> None:
        self._own, self._external, self._budget = own, list(external), budget
        self._count_tokens = count_tokens
        self._sizes: dict[str, int] | None = None

    async def tools_for(self, history: Sequence[Message], records: Sequence[ToolCallRecord]) -> list[ToolSpec]:
        if self._budget is None or not self._own:
            return [*self._own, *self._external]
        if self._sizes is None:
            self._sizes = await tool_token_counts(self._own, self._count_tokens)
        query = " ".join(m.content or "" for m in history if m.role == "user")
        recent = [r.call.name for r in records]
        chosen = select_tools(self._own, query, budget_tokens=self._budget, tool_tokens=self._sizes, recent=recent)
        return [*chosen, *self._external]
