"""The event stream with real parts: progress from an MCP server, server status changes, model tokens."""

from __future__ import annotations

from agent import Agent
from agent.events import Event, ModelTurn, ServerStatusChanged, Token, ToolCallCutOff, ToolProgress
from inference import ChatResponse, Message, SamplingParams, Usage
from inference.llama_cpp_backend import LlamaCppBackend
from inference.scripted import ScriptedBackend, assistant
from mcp_client import McpClientConfig, MCPClientManager
from tests.mcp_client._configs import server_config
from tools import FunctionToolset, ToolCall, tool


async def _kinds_and_events(agent: Agent, prompt: str) -> list[Event]:
    async with agent.events(prompt) as stream:
        return [event async for event in stream]


async def test_tool_progress_is_an_event_between_start_and_finish() -> None:
    call = ToolCall(id="prog00001", name="count", arguments={"n": 3})
    backend = ScriptedBackend([assistant(None, call), assistant("counted")])
    async with server_config("progress", "stdio") as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            events = await _kinds_and_events(Agent(backend, manager), "count to three")
    kinds = [e.type for e in events]
    start, finish = kinds.index("tool_call_started"), kinds.index("tool_call_finished")
    progress = [e for e in events if isinstance(e, ToolProgress)]
    assert [(p.progress, p.total, p.message) for p in progress] == [(i, 3, f"step {i} of 3") for i in (1, 2, 3)]
    assert all(start < kinds.index("progress") + i < finish for i in range(3))
    assert progress[0].call == call


async def test_a_server_going_down_during_a_run_is_an_event() -> None:
    crash = ToolCall(id="crash0001", name="crash", arguments={})
    backend = ScriptedBackend([assistant(None, crash), assistant("it crashed")])
    async with server_config("crashy", "stdio", backoff_initial_secs=30) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            events = await _kinds_and_events(Agent(backend, manager), "crash it")
    changes = [e for e in events if isinstance(e, ServerStatusChanged)]
    assert changes and changes[0].server == "crashy" and changes[0].state == "restarting"
    assert changes[0].error in ("connection lost", "process exited with code 3")
    assert events[-1].type == "run_finished"


async def test_tokens_add_up_to_the_answer(backend: LlamaCppBackend) -> None:
    from agent import AgentOptions

    agent = Agent(backend, None, AgentOptions(sampling=SamplingParams(max_tokens=24)))
    events = await _kinds_and_events(agent, "Name three colours.")
    text = "".join(e.text for e in events if isinstance(e, Token))
    result = events[-1].result  # type: ignore[union-attr]
    assert text.strip() == result.answer and len([e for e in events if isinstance(e, Token)]) >= 1


WRITTEN: list[str] = []


@tool
def write_file(path: str, content: str) -> str:
    """Write a file."""
    WRITTEN.append(content)
    return "written"


async def test_a_cut_off_call_is_an_event_and_never_runs() -> None:
    cut = '<tool_call>\n{"name": "write_file", "arguments": {"path": "/tmp/build.sh", "content": "rm -rf /'
    turn = ChatResponse(
        message=Message(role="assistant"), finish_reason="length", usage=Usage(), raw_text=cut, cut_call=cut
    )
    backend = ScriptedBackend([turn, assistant("done")])
    WRITTEN.clear()
    events = await _kinds_and_events(Agent(backend, FunctionToolset([write_file])), "write the script")
    cut_offs = [e for e in events if isinstance(e, ToolCallCutOff)]
    assert [(e.round, e.text) for e in cut_offs] == [(1, cut)]
    assert "tool_call_started" not in [e.type for e in events] and WRITTEN == []
    result = events[-1].result  # type: ignore[union-attr]
    assert result.answer == "done" and "cut off" in (result.messages[-2].content or "")


async def test_the_model_cut_off_by_max_tokens_runs_no_call(backend: LlamaCppBackend) -> None:
    from agent import AgentOptions

    options = AgentOptions(sampling=SamplingParams(max_tokens=6), tool_choice="required", max_rounds=2)
    WRITTEN.clear()
    events = await _kinds_and_events(Agent(backend, FunctionToolset([write_file]), options), "Write hello to a.txt")
    first = next(e for e in events if isinstance(e, ModelTurn))
    assert first.message.tool_calls == () and first.message.content is None
    assert [e.round for e in events if isinstance(e, ToolCallCutOff)] == [1]
    assert "tool_call_started" not in [e.type for e in events] and WRITTEN == []
