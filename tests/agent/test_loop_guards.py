"""The loop's guards with the scripted backend: validation, repeats, approval, shaping, tool selection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent import Agent, AgentOptions
from agent.approval import ApprovalPolicy
from inference import ChatRequest
from inference.scripted import ScriptedBackend, assistant
from tools import ToolCall, ToolResult, ToolSpec

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
DELETE = ToolSpec(name="delete_file", description="Delete a file.", input_schema={"type": "object", "properties": {}})


class Tools:
    def __init__(self, *specs: ToolSpec, reply: str = "sunny") -> None:
        self.tools = list(specs)
        self.reply = reply
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any], *, timeout_secs: float | None = None, progress: Any = None
    ) -> ToolResult:
        self.calls.append((name, dict(arguments)))
        return ToolResult.from_text(self.reply)


def _call(name: str, n: int, **arguments: Any) -> ToolCall:
    return ToolCall(id=f"call{n:05d}", name=name, arguments=arguments)


def _tool_messages(request: ChatRequest) -> list[str]:
    return [m.content or "" for m in request.messages if m.role == "tool"]


async def test_bad_arguments_go_back_to_the_model_which_fixes_them() -> None:
    tools = Tools(WEATHER)
    backend = ScriptedBackend([
        assistant(None, _call("get_weather", 1, town="Oslo")),
        assistant(None, _call("get_weather", 2, city="Oslo")),
        assistant("Sunny in Oslo."),
    ])
    result = await Agent(backend, tools).run("weather?")
    assert tools.calls == [("get_weather", {"city": "Oslo"})]  # the bad call never reached the tool
    first_reply = _tool_messages(backend.requests[1])[0]
    assert "city: missing (required)" in first_reply
    assert result.answer == "Sunny in Oslo." and result.tool_calls[0].result.is_error


async def test_repeated_identical_calls_are_caught_then_the_model_must_answer() -> None:
    tools = Tools(WEATHER)
    same = [assistant(None, _call("get_weather", n, city="Oslo")) for n in range(1, 4)]
    backend = ScriptedBackend([*same, assistant("Sunny.")])
    result = await Agent(backend, tools, AgentOptions(max_rounds=8, max_repeats=2)).run("weather?")
    assert tools.calls == [("get_weather", {"city": "Oslo"})]  # executed once
    assert "already called get_weather with exactly these arguments" in _tool_messages(backend.requests[2])[-1]
    assert [r.tool_choice for r in backend.requests] == ["auto", "auto", "auto", "none"]
    assert result.answer == "Sunny." and result.rounds == 4


async def test_approval_policy_denies_and_asks() -> None:
    asked: list[str] = []

    async def ask(call: ToolCall) -> bool:
        asked.append(call.name)
        return False

    tools = Tools(WEATHER, DELETE)
    policy = ApprovalPolicy({"delete_*": "deny", "get_*": "ask"}, ask=ask)
    backend = ScriptedBackend([
        assistant(None, _call("delete_file", 1), _call("get_weather", 2, city="Oslo")),
        assistant("Nothing was allowed."),
    ])
    result = await Agent(backend, tools, AgentOptions(approval=policy)).run("go")
    assert tools.calls == [] and asked == ["get_weather"]
    replies = _tool_messages(backend.requests[1])
    assert all("was not approved" in reply for reply in replies) and len(replies) == 2
    assert result.answer == "Nothing was allowed."


async def test_long_results_are_cut_to_the_budget_with_a_note() -> None:
    tools = Tools(WEATHER, reply=" ".join(f"word{i}" for i in range(2000)))
    backend = ScriptedBackend([assistant(None, _call("get_weather", 1, city="Oslo")), assistant("done")])
    await Agent(backend, tools, AgentOptions(result_budget_tokens=100)).run("weather?")
    (content,) = _tool_messages(backend.requests[1])
    assert content.startswith("word0 word1") and content.rstrip().endswith("word1999")
    assert "tokens cut ...]" in content and len(content.split()) <= 100


async def test_many_tools_are_narrowed_to_the_relevant_ones() -> None:
    filler = [
        ToolSpec(name=f"{area}_{verb}", description=f"{verb.title()} {area} records for an account.")
        for area in ("invoice", "order", "ticket", "user", "report") for verb in ("list", "create", "archive")
    ]
    tools = Tools(*filler, WEATHER)
    backend = ScriptedBackend([assistant(None, _call("get_weather", 1, city="Oslo")), assistant("Sunny.")])
    await Agent(backend, tools, AgentOptions(tool_budget_tokens=60)).run("What is the weather in Oslo?")
    offered = [t.name for t in backend.requests[0].tools]
    assert "get_weather" in offered and len(offered) < len(filler) + 1
    assert "get_weather" in [t.name for t in backend.requests[1].tools]  # recently used stays
