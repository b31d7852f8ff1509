"""Local `@tool` functions next to MCP tools in one agent run (scripted turns, real MCP server over stdio)."""

from __future__ import annotations

from agent import Agent, bundled_config
from inference.scripted import ScriptedBackend, assistant
from mcp_client import McpClientConfig, MCPClientManager
from tools import CombinedToolset, FunctionToolset, ToolCall, tool


@tool
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


async def test_one_turn_calls_a_python_function_and_an_mcp_tool() -> None:
    calculator = McpClientConfig(servers=[s for s in bundled_config().servers if s.name == "calculator"])
    calls = [
        ToolCall(id="local0001", name="shout", arguments={"text": "hi"}),
        ToolCall(id="remote001", name="calc_evaluate", arguments={"expression": "6 * 7"}),
        ToolCall(id="nowhere01", name="nope", arguments={}),
    ]
    backend = ScriptedBackend([assistant(None, *calls), assistant("HI and 42")])
    async with MCPClientManager(calculator) as manager:
        toolset = CombinedToolset(FunctionToolset([shout]), manager)
        assert {t.name for t in toolset.tools} == {"shout", "calc_evaluate"}
        result = await Agent(backend, toolset).run("go")
    outcomes = {r.call.name: (r.result.text, r.result.is_error) for r in result.tool_calls}
    assert outcomes["shout"] == ("HI", False) and outcomes["calc_evaluate"] == ("42", False)
    assert outcomes["nope"][1] and "unknown tool 'nope'" in outcomes["nope"][0]
    assert result.answer == "HI and 42"
