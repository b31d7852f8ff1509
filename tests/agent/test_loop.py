"""Loop logic with the scripted backend and in-process tools (no model): order, ids, rounds, retries."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import anyio

from agent import Agent, AgentOptions
from inference import ChatRequest, Message
from inference.scripted import ScriptedBackend, assistant
from tools import ToolCall, ToolResult, ToolSpec


class SleepyTools:
    """In-process toolset: `echo` returns its text after `delay` seconds; `fail` reports an error."""

    tools: Sequence[ToolSpec] = (ToolSpec(name="echo"), ToolSpec(name="fail"))

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any], *, timeout_secs: float | None = None, progress: Any = None
    ) -> ToolResult:
        self.calls.append(name)
        if name == "fail":
            raise RuntimeError("disk on fire")
        await anyio.sleep(float(arguments.get("delay", 0)))
        return ToolResult.from_text(str(arguments["text"]))


def _call(id_: str, text: str, delay: float = 0.0, name: str = "echo") -> ToolCall:
    return ToolCall(id=id_, name=name, arguments={"text": text, "delay": delay})


async def test_parallel_calls_run_concurrently_and_results_keep_call_order() -> None:
    calls = [_call("aaaaaaaa1", "slow", 0.3), _call("bbbbbbbb2", "fast", 0.0), _call("cccccccc3", "mid", 0.1)]
    backend = ScriptedBackend([assistant(None, *calls), assistant("done")])
    began = time.perf_counter()
    result = await Agent(backend, SleepyTools()).run("go")
    elapsed = time.perf_counter() - began
    assert result.answer == "done" and result.rounds == 2
    tool_messages = [m for m in backend.requests[1].messages if m.role == "tool"]
    assert [(m.tool_call_id, m.content) for m in tool_messages] == [
        ("aaaaaaaa1", "slow"), ("bbbbbbbb2", "fast"), ("cccccccc3", "mid")
    ]
    assert elapsed < 0.3 + 0.25  # concurrent: about the slowest call, not the sum (0.4 s)


async def test_last_round_disables_tools_and_required_resets_to_auto() -> None:
    def keep_calling(request: ChatRequest) -> Message:
        return assistant(None, _call(f"id{len(request.messages):07d}", "again"))

    backend = ScriptedBackend([keep_calling, keep_calling, assistant("final")])
    result = await Agent(backend, SleepyTools(), AgentOptions(max_rounds=3, tool_choice="required")).run("go")
    assert [r.tool_choice for r in backend.requests] == ["required", "auto", "none"]
    assert result.answer == "final" and result.rounds == 3 and len(result.tool_calls) == 2


async def test_model_fixable_errors_go_back_as_tool_results() -> None:
    backend = ScriptedBackend(
        [assistant(None, ToolCall(id="x00000001", name="nope", arguments={}), _call("x00000002", "", name="fail")),
         assistant("recovered")]
    )
    result = await Agent(backend, SleepyTools()).run("go")
    errors = {r.call.name: r.result for r in result.tool_calls}
    assert errors["nope"].is_error and "unknown tool 'nope'; available tools: echo, fail" in errors["nope"].text
    assert errors["fail"].is_error and "disk on fire" in errors["fail"].text
    assert result.answer == "recovered"


async def test_events_stream_ends_with_the_result() -> None:
    backend = ScriptedBackend([assistant(None, _call("e00000001", "hi")), assistant("bye")])
    async with Agent(backend, SleepyTools()).events("go") as events:
        kinds = [event.type async for event in events]
    assert kinds == [
        "run_started", "model_turn", "tool_call_started", "tool_call_finished", "token", "model_turn",
        "final_answer", "run_finished",
    ]


async def test_a_turn_cut_off_by_the_token_limit_is_retried_not_answered() -> None:
    from inference import ChatResponse, Usage

    cut = ChatResponse(
        message=assistant(None), finish_reason="length", usage=Usage(), raw_text='<tool_call>[{"name": "ec'
    )
    backend = ScriptedBackend([cut, assistant("short answer")])
    result = await Agent(backend, SleepyTools()).run("go")
    assert result.answer == "short answer" and result.rounds == 2
    assert "cut off by the token limit" in (backend.requests[1].messages[-1].content or "")
