"""ChatEngine, the service behind every door: the agent it builds for a model, with the MCP tools."""

from __future__ import annotations

from typing import Any

import pytest

from agent import AgentOptions, ChatEngine
from inference import SamplingParams, UnknownModelError
from inference.scripted import ScriptedBackend, assistant
from mcp_client import McpClientConfig, bundled_config
from tools import ToolCall


class OpenableScript(ScriptedBackend):
    """A scripted backend the engine can open and close like a model."""

    async def __aenter__(self) -> OpenableScript:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _calculator() -> McpClientConfig:
    return McpClientConfig(servers=[s for s in bundled_config().servers if s.name == "calculator"])


async def test_agent_runs_on_the_named_model_with_the_mcp_tools_and_the_engine_options() -> None:
    call = ToolCall(id="c1", name="calc_evaluate", arguments={"expression": "15 * 4 + 3"})
    small = OpenableScript([assistant(None, call), assistant("63")], model_id="small")
    other = OpenableScript([], model_id="other")
    base = AgentOptions(max_rounds=4, sampling=SamplingParams(max_tokens=99))
    models = [("other", other), ("small", small)]
    async with ChatEngine(models, mcp_client_config=_calculator(), agent_options=base) as engine:
        agent = engine.agent("small", system_prompt="Be brief.")
        assert agent.options.max_rounds == 4 and agent.options.sampling.max_tokens == 99
        result = await agent.run("What is 15 * 4 + 3?")
    assert result.answer == "63"
    assert [r.result.text for r in result.tool_calls] == ["63"]
    assert small.requests[0].messages[0].content == "Be brief."
    assert "calc_evaluate" in {t.name for t in small.requests[0].tools}
    assert other.requests == []


async def test_agent_defaults_to_the_default_model_and_refuses_an_unknown_one() -> None:
    first = OpenableScript([assistant("hello")], model_id="first")
    async with ChatEngine([("first", first)]) as engine:
        assert (await engine.agent().run("hi")).answer == "hello"
        with pytest.raises(UnknownModelError, match="nope"):
            engine.agent("nope")
