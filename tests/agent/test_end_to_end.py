"""End to end: the real embedded model, the real calculator server over stdio, the real loop."""

from __future__ import annotations

import jsonschema

from agent import Agent, AgentOptions, ToolCallFinished, ToolCallStarted
from agent.events import Event
from inference import SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend
from mcp_client import McpClientConfig, MCPClientManager, bundled_config


async def test_agent_calls_the_calculator_and_answers(backend: LlamaCppBackend) -> None:
    calculator = McpClientConfig(servers=[s for s in bundled_config().servers if s.name == "calculator"])
    events: list[Event] = []

    async def record(event: Event) -> None:
        events.append(event)

    async with MCPClientManager(calculator) as manager:
        schema = dict(next(t for t in manager.tools if t.name == "calc_evaluate").input_schema)
        options = AgentOptions(max_rounds=3, tool_choice="required", sampling=SamplingParams(max_tokens=96))
        result = await Agent(backend, manager, options).run("What is 15 * 4 + 3?", on_event=record)

    assert result.tool_calls, "the run made no tool call"
    for record_ in result.tool_calls:
        assert record_.call.name == "calc_evaluate"
        jsonschema.validate(record_.call.arguments, schema)
    # Each result went back to the model as a tool message carrying its call's id, in call order.
    messages = list(result.messages)
    for record_ in result.tool_calls:
        reply = next(m for m in messages if m.role == "tool" and m.tool_call_id == record_.call.id)
        assert reply.content == record_.result.text and reply.name == "calc_evaluate"
    assert 1 <= result.rounds <= 3
    assert result.answer.strip()
    assert messages[-1].role == "assistant" and not messages[-1].tool_calls
    started = [e.call.id for e in events if isinstance(e, ToolCallStarted)]
    finished = [e.call.id for e in events if isinstance(e, ToolCallFinished)]
    assert sorted(started) == sorted(finished) == sorted(r.call.id for r in result.tool_calls)
    assert events[-1].type == "run_finished" and result.usage.completion_tokens > 0


async def test_demo_question_uses_the_clock(backend: LlamaCppBackend) -> None:
    """The question `make demo` asks: the model picks the clock and answers with its result."""
    async with MCPClientManager(bundled_config()) as manager:
        result = await Agent(backend, manager).run("What is the current time in Asia/Tokyo?")
    assert [r.call.name for r in result.tool_calls][:1] == ["clock_now"]
    first = result.tool_calls[0]
    assert first.call.arguments == {"timezone": "Asia/Tokyo"} and not first.result.is_error
    assert first.result.text.endswith("+09:00")
    assert result.answer
