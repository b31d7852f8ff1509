"""The agent loop: model turn, tool calls run concurrently, results back with their ids, until an answer.

Errors the model can fix (unknown tool, a tool's error, a timeout) go back to it as tool results;
errors of the environment (a model that will not load) propagate as typed exceptions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import anyio

from agent.events import (
    Event,
    FinalAnswer,
    ModelTurn,
    Reasoning,
    RunFinished,
    RunResult,
    RunStarted,
    ServerStatusChanged,
    Token,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    ToolProgress,
)
from inference import (
    Backend,
    ChatRequest,
    ChatResponse,
    InferenceError,
    Message,
    ReasoningDelta,
    ResponseDone,
    SamplingParams,
    TextDelta,
    ToolChoice,
    Usage,
)
from tools import ProgressCallback, ToolCall, ToolResult, Toolset, ToolSpec
from tools._aio import single_exceptions

logger = logging.getLogger("agent")

EventHandler = Callable[[Event], Awaitable[None]]

_CUT_OFF = "Your reply was cut off by the token limit before it was complete. Reply again, shorter."


async def _ignore(event: Event) -> None:
    return None


class Decision(Protocol):
    allowed: bool
    reason: str | None


class Approver(Protocol):
    """Decides whether a tool call may run (agent.approval.ApprovalPolicy is one)."""

    async def decide(self, call: ToolCall) -> Decision: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentOptions:
    max_rounds: int = 6
    """Model turns at most; on the last one tool calls are disabled, so the model must answer."""
    tool_choice: ToolChoice = "auto"
    """For the first round. After a round with tool calls it goes back to "auto", so "required" cannot loop."""
    max_calls_per_turn: int = 4
    max_concurrent_calls: int = 10
    tool_timeout_secs: float | None = None
    sampling: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str | None = None
    approval: Approver | None = None
    """Asked before each call; a denied call is not run and the model is told why."""


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
        send, receive = anyio.create_memory_object_stream[Event](64)
        failure: list[Exception] = []

        async def produce() -> None:
            async with send:
                try:
                    await self._run(self._messages(prompt), send.send, tuple(external_tools))
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass  # the watcher left early
                except Exception as exc:
                    failure.append(exc)

        async def items() -> AsyncIterator[Event]:
            async for event in receive:
                yield event
            if failure:
                raise failure[0]

        with single_exceptions():
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(produce)
                try:
                    yield items()
                finally:
                    receive.close()

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
        tools = [*(self.toolset.tools if self.toolset is not None else ()), *external]
        external_names = {t.name for t in external}
        await emit(RunStarted(tools=tuple(t.name for t in tools)))
        usage, records = Usage(), list[ToolCallRecord]()
        tool_choice = options.tool_choice
        for round_no in range(1, options.max_rounds + 1):
            last = round_no == options.max_rounds
            request = ChatRequest(
                messages=tuple(history),
                tools=tools,
                tool_choice="none" if last or not tools else tool_choice,
                sampling=options.sampling,
                max_calls_per_turn=options.max_calls_per_turn,
            )
            response = await self._turn(request, round_no, emit)
            usage += response.usage
            message = response.message
            history.append(message)
            await emit(ModelTurn(round=round_no, message=message, usage=response.usage))
            if response.finish_reason == "length" and not message.content and not message.tool_calls and not last:
                history.append(Message(role="user", content=_CUT_OFF))
                continue
            pending = tuple(c for c in message.tool_calls if c.name in external_names)
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
            for record in await self._call_all(message.tool_calls, round_no, emit):
                records.append(record)
                history.append(
                    Message(
                        role="tool", content=record.result.text, tool_call_id=record.call.id, name=record.call.name
                    )
                )
            tool_choice = "auto"
        raise AssertionError("unreachable: the last round always answers")

    async def _turn(self, request: ChatRequest, round_no: int, emit: EventHandler) -> ChatResponse:
        """One model turn, streamed: answer and reasoning text are emitted as they come."""
        async with self.backend.stream(request) as items:
            async for item in items:
                if isinstance(item, TextDelta):
                    await emit(Token(round=round_no, text=item.text))
                elif isinstance(item, ReasoningDelta):
                    await emit(Reasoning(round=round_no, text=item.text))
                elif isinstance(item, ResponseDone):
                    return item.response
        raise InferenceError("the model's stream ended without a response")

    async def _call_all(self, calls: Sequence[ToolCall], round_no: int, emit: EventHandler) -> list[ToolCallRecord]:
        """Run every call of a turn concurrently (bounded); records come back in call order."""
        records: list[ToolCallRecord | None] = [None] * len(calls)
        limiter = anyio.CapacityLimiter(self.options.max_concurrent_calls)

        async def one(index: int, call: ToolCall) -> None:
            async with limiter:
                await emit(ToolCallStarted(round=round_no, call=call))
                began = time.perf_counter()

                async def report(progress: float, total: float | None, message: str | None) -> None:
                    event = ToolProgress(round=round_no, call=call, progress=progress, total=total, message=message)
                    await emit(event)

                result = await self._call(call, report)
                duration = time.perf_counter() - began
                records[index] = ToolCallRecord(round=round_no, call=call, result=result, duration_secs=duration)
                await emit(ToolCallFinished(round=round_no, call=call, result=result, duration_secs=duration))

        async with anyio.create_task_group() as task_group:
            for index, call in enumerate(calls):
                task_group.start_soon(one, index, call)
        return [record for record in records if record is not None]

    async def _call(self, call: ToolCall, progress: ProgressCallback) -> ToolResult:
        if self.options.approval is not None:
            decision = await self.options.approval.decide(call)
            if not decision.allowed:
                reason = f": {decision.reason}" if decision.reason else ""
                return ToolResult.from_text(f"the call to {call.name!r} was not approved{reason}", is_error=True)
        toolset = self.toolset
        if toolset is None or call.name not in {t.name for t in toolset.tools}:
            known = ", ".join(t.name for t in toolset.tools) if toolset is not None else "none"
            return ToolResult.from_text(f"unknown tool {call.name!r}; available tools: {known}", is_error=True)
        try:
            return await toolset.call_tool(
                call.name, call.arguments, timeout_secs=self.options.tool_timeout_secs, progress=progress
            )
        except Exception as exc:  # the model sees the failure as the tool's result and may recover
            logger.warning("tool %s failed: %s", call.name, exc)
            return ToolResult.from_text(f"tool {call.name!r} failed: {exc}", is_error=True)


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
