"""The agent: the loop, its events, and the front doors (CLI, and later the server and Runner API)."""

from __future__ import annotations

from agent._defaults import bundled_config
from agent.events import (
    Event,
    FinalAnswer,
    ModelTurn,
    RunFinished,
    RunResult,
    RunStarted,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
)
from agent.loop import Agent, AgentOptions
from mcp_client import McpClientConfig, McpServerConfig, McpServerSource

__all__ = [
    "Agent",
    "AgentOptions",
    "Event",
    "FinalAnswer",
    "McpClientConfig",
    "McpServerConfig",
    "McpServerSource",
    "ModelTurn",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "bundled_config",
]
