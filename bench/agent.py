"""What the agent loop costs, measured side by side in one run. Exits non-zero on a miss.

1. Framework overhead per round: Agent.run against a bare loop making the same backend and tool
   calls (scripted backend, in-process tools), interleaved. Target: median overhead <= 1 ms a round.
2. One turn with 8 tool calls that each take 200 ms: the round finishes in <= 0.3 s.

Run: .venv/bin/python -m bench.agent
"""

from __future__ import annotations

import os
import sys

# Run as a file, this folder would come first on sys.path and shadow the `agent` package.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

import anyio  # noqa: E402

from agent import Agent, AgentOptions  # noqa: E402
from bench._report import report  # noqa: E402
from inference import ChatRequest, Message  # noqa: E402
from inference.scripted import ScriptedBackend, assistant  # noqa: E402
from tools import ToolCall, ToolResult, ToolSpec  # noqa: E402

ROUNDS = 20
TARGETS = {"overhead_ms_per_round": ("<=", 1.0), "eight_slow_calls_secs": ("<=", 0.3)}
ECHO = ToolSpec(
    name="echo",
    description="Echo text.",
    input_schema={"type": "object", "properties": {"text": {"type": "string"}, "secs": {"type": "number"}}},
)


class InProcessTools:
    tools = [ECHO]

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any], *, timeout_secs: float | None = None, progress: Any = None
    ) -> ToolResult:
        if arguments.get("secs"):
            await anyio.sleep(float(arguments["secs"]))
        return ToolResult.from_text(str(arguments.get("text", "")))


def _script() -> list[Message]:
    calls = [ToolCall(id=f"id{n:07d}", name="echo", arguments={"text": f"r{n}"}) for n in range(ROUNDS)]
    return [*(assistant(None, call) for call in calls), assistant("done")]


async def agent_run() -> float:
    backend = ScriptedBackend(_script())
    began = time.perf_counter()
    await Agent(backend, InProcessTools(), AgentOptions(max_rounds=ROUNDS + 1, max_repeats=ROUNDS)).run("go")
    return time.perf_counter() - began


async def bare_run() -> float:
    """The same model turns and tool calls with nothing around them: the baseline."""
    backend, tools = ScriptedBackend(_script()), InProcessTools()
    history = [Message(role="user", content="go")]
    began = time.perf_counter()
    while True:
        response = await backend.complete(ChatRequest(messages=tuple(history), tools=tools.tools))
        history.append(response.message)
        if not response.message.tool_calls:
            return time.perf_counter() - began
        for call in response.message.tool_calls:
            result = await tools.call_tool(call.name, call.arguments)
            history.append(Message(role="tool", content=result.text, tool_call_id=call.id, name=call.name))


async def overhead_ms_per_round(repeats: int = 30) -> float:
    overheads = []
    for _ in range(repeats):
        agent_secs, bare_secs = await agent_run(), await bare_run()
        overheads.append((agent_secs - bare_secs) / (ROUNDS + 1) * 1000)
    median = statistics.median(overheads)
    print(f"  per round: agent loop {median:.3f} ms more than a bare loop (median of {repeats} interleaved runs)")
    return median


async def eight_slow_calls() -> float:
    calls = [ToolCall(id=f"slow{n:05d}", name="echo", arguments={"text": str(n), "secs": 0.2}) for n in range(8)]
    backend = ScriptedBackend([assistant(None, *calls), assistant("done")])
    began = time.perf_counter()
    result = await Agent(backend, InProcessTools(), AgentOptions(max_calls_per_turn=8)).run("go")
    elapsed = time.perf_counter() - began
    assert len(result.tool_calls) == 8
    print(f"  one turn of 8 calls taking 200 ms each: {elapsed:.3f} s")
    return elapsed


async def main() -> int:
    print("agent loop overhead (this run, side by side)")
    figures = {"overhead_ms_per_round": await overhead_ms_per_round()}
    figures["eight_slow_calls_secs"] = await eight_slow_calls()
    return report(figures, TARGETS)


if __name__ == "__main__":
    sys.exit(anyio.run(main))
