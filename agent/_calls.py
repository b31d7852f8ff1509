"""One run's tool calls: approval, repeat detection, argument validation, the call, result shaping.

Everything the model can fix comes back to it as an error result; nothing here raises but
cancellation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import anyio

from agent.events import EventHandler, ToolCallFinished, ToolCallRecord, ToolCallStarted, ToolProgress
from agent.options import AgentOptions
from agent.repeats import RepeatGuard
from agent.shaping import TokenCounter, shape_result
from agent.validation import validate_arguments
from tools import ProgressCallback, ToolCall, ToolResult, Toolset, ToolSpec

logger = logging.getLogger("agent")


class CallPipeline:
    """Runs the tool calls of one agent run and remembers what it needs across rounds."""

    def __init__(
        self,
        toolset: Toolset | None,
        specs: Mapping[str, ToolSpec],
        options: AgentOptions,
        count_tokens: TokenCounter,
    ) -> None:
        self._toolset = toolset
        self._specs = specs
        self._options = options
        self._count_tokens = count_tokens
        self.guard = RepeatGuard(max_repeats=options.max_repeats)
        self.error_rounds = 0
        """Rounds in a row whose every call failed."""

    @property
    def give_up(self) -> bool:
        """The model keeps failing or repeating itself: its next turn must answer."""
        return self.guard.exhausted or self.error_rounds >= self._options.max_error_rounds

    async def run_all(self, calls: Sequence[ToolCall], round_no: int, emit: EventHandler) -> list[ToolCallRecord]:
        """Every call of a turn, concurrently within `max_concurrent_calls`; records in call order."""
        records: list[ToolCallRecord | None] = [None] * len(calls)
        limiter = anyio.CapacityLimiter(self._options.max_concurrent_calls)

        async def one(index: int, call: ToolCall) -> None:
            async with limiter:
                await emit(ToolCallStarted(round=round_no, call=call))
                began = time.perf_counter()

                async def report(progress: float, total: float | None, message: str | None) -> None:
                    event = ToolProgress(round=round_no, call=call, progress=progress, total=total, message=message)
                    await emit(event)

                result = await self.call(call, report)
                duration = time.perf_counter() - began
                records[index] = ToolCallRecord(round=round_no, call=call, result=result, duration_secs=duration)
                await emit(ToolCallFinished(round=round_no, call=call, result=result, duration_secs=duration))

        async with anyio.create_task_group() as task_group:
            for index, call in enumerate(calls):
                task_group.start_soon(one, index, call)
        done = [record for record in records if record is not None]
        self.error_rounds = self.error_rounds + 1 if done and all(r.result.is_error for r in done) else 0
        return done

    async def call(self, call: ToolCall, progress: ProgressCallback) -> ToolResult:
        approval = self._options.approval
        if approval is not None:
            decision = await approval.decide(call)
            if not decision.allowed:
                reason = f": {decision.reason}" if decision.reason else ""
                return ToolResult.from_text(f"the call to {call.name!r} was not approved{reason}", is_error=True)
        repeated = self.guard.seen(call)
        if repeated is not None:
            return repeated
        result = await self._execute(call, progress)
        self.guard.record(call, result)
        return result

    async def _execute(self, call: ToolCall, progress: ProgressCallback) -> ToolResult:
        spec = self._specs.get(call.name)
        if spec is None or self._toolset is None:
            known = ", ".join(self._specs) or "none"
            return ToolResult.from_text(f"unknown tool {call.name!r}; available tools: {known}", is_error=True)
        problem = validate_arguments(spec, call.arguments)
        if problem is not None:
            return ToolResult.from_text(problem, is_error=True)
        try:
            return await self._toolset.call_tool(
                call.name, call.arguments, timeout_secs=self._options.tool_timeout_secs, progress=progress
            )
        except Exception as exc:  # the model sees the failure as the tool's result and may recover
            logger.warning("tool %s failed: %s", call.name, exc)
            return ToolResult.from_text(f"tool {call.name!r} failed: {exc}", is_error=True)

    async def content_for(self, record: ToolCallRecord) -> str:
        """The text the model gets back for a call: structured content when it validates, cut to budget."""
        spec = self._specs.get(record.call.name)
        budget = self._options.result_budget_tokens
        if budget is None:
            return record.result.text
        return await shape_result(
            record.result,
            output_schema=spec.output_schema if spec is not None else None,
            budget_tokens=budget,
            count_tokens=self._count_tokens,
        )
