"""The manager: registry, calls, timeouts, and failures that name their cause. The bundled servers over
stdio, as users run them; the rest over in-process servers (the memory transport)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from mcp_client import (
    McpClientConfig,
    MCPClientManager,
    McpServerConfig,
    MemorySource,
    ProcessSource,
    ServerState,
    ToolNotFoundError,
    bundled_config,
)
from tests.mcp_client._configs import in_memory
from tools.servers import calculator, clock


def _calculator(**fields: Any) -> McpServerConfig:
    """The bundled calculator's tools, served in-process under the bundled config's name and prefix."""
    fields = {"id": "calculator", "name": "calculator", "tool_prefix": "calc", **fields}
    return McpServerConfig(source=MemorySource(server=calculator.toolset()), **fields)


def _in_process_bundled() -> McpClientConfig:
    clock_server = McpServerConfig(
        id="clock", name="clock", tool_prefix="clock", source=MemorySource(server=clock.build())
    )
    return McpClientConfig(servers=[_calculator(), clock_server])


async def test_bundled_servers_register_prefixed_tools_and_answer() -> None:
    async with MCPClientManager(bundled_config()) as manager:
        names = {t.name for t in manager.tools}
        assert {"calc_evaluate", "clock_now"} <= names
        calc = next(t for t in manager.tools if t.name == "calc_evaluate")
        assert (calc.server_id, calc.original_name) == ("calculator", "evaluate")
        assert calc.input_schema["required"] == ["expression"]
        result = await manager.call_tool("calc_evaluate", {"expression": "1234 * 5678"})
        assert (result.text, result.is_error) == ("7006652", False)
        states = {s.name: s.state for s in manager.status()}
        assert states == {"calculator": ServerState.READY, "clock": ServerState.READY}


async def test_tool_error_comes_back_as_an_error_result() -> None:
    async with MCPClientManager(_in_process_bundled()) as manager:
        result = await manager.call_tool("calc_evaluate", {"expression": "1 / 0"})
        assert result.is_error
        assert "division by zero" in result.text


async def test_unknown_tool_lists_near_matches() -> None:
    async with MCPClientManager(_in_process_bundled()) as manager:
        with pytest.raises(ToolNotFoundError, match="calc_evaluate") as info:
            await manager.call_tool("calc_evaluat", {"expression": "1"})
        assert info.value.near[0] == "calc_evaluate"


async def test_call_timeout_returns_a_timeout_result_and_the_server_stays_usable() -> None:
    config = McpClientConfig(servers=[in_memory("slow")])
    async with MCPClientManager(config) as manager:
        with anyio.fail_after(10):
            result = await manager.call_tool("sleep", {"seconds": 30}, timeout_secs=0.3)
        assert result.is_error
        assert "timed out after 0.3 s" in result.text
        again = await manager.call_tool("sleep", {"seconds": 0.01})
        assert again.text == "slept 0.01 s"


async def test_missing_command_fails_that_server_only_and_names_the_command() -> None:
    broken = McpServerConfig(id="broken", name="broken", source=ProcessSource(command="no-such-mcp-server-xyz"))
    config = McpClientConfig(servers=[broken, *_in_process_bundled().servers])
    async with MCPClientManager(config) as manager:
        status = {s.name: s for s in manager.status()}
        assert status["broken"].state is ServerState.FAILED
        assert "'no-such-mcp-server-xyz' not found" in (status["broken"].error or "")
        assert status["calculator"].state is ServerState.READY
        assert (await manager.call_tool("calc_evaluate", {"expression": "2+2"})).text == "4"


async def test_colliding_names_are_both_renamed_never_overwritten() -> None:
    a, b = _calculator(id="a", name="alpha", tool_prefix=None), _calculator(id="b", name="beta", tool_prefix=None)
    async with MCPClientManager(McpClientConfig(servers=[a, b])) as manager:
        names = {t.name for t in manager.tools}
        assert {"alpha_evaluate", "beta_evaluate"} <= names
        assert "evaluate" not in names
        renamed = {s.name: s.renamed for s in manager.status()}
        assert renamed["alpha"] == ("evaluate -> alpha_evaluate",)
        assert (await manager.call_tool("beta_evaluate", {"expression": "3*3"})).text == "9"
