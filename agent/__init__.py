"""The agent: the loop, its events, and the front doors (CLI, the Runner API, and later the server)."""

from __future__ import annotations

from agent._defaults import bundled_config
from agent.engine import ChatEngine
from agent.errors import AgentError, RequestError, RunnerClosedError, UnsupportedModelError
from agent.events import (
    Event,
    FinalAnswer,
    ModelTurn,
    Reasoning,
    RunFinished,
    RunResult,
    RunStarted,
    ServerStatusChanged,
    Token,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    ToolProgress,
)
from agent.loop import Agent, AgentOptions
from agent.openai_types import ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse
from agent.runner import MultiModelRunner, Runner
from agent.which import Which
from mcp_client import (
    McpClientConfig,
    McpClientConfigPy,
    McpServerConfig,
    McpServerConfigPy,
    McpServerSource,
    McpServerSourcePy,
)

__all__ = [
    "Agent",
    "AgentError",
    "AgentOptions",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "ChatCompletionResponse",
    "ChatEngine",
    "Event",
    "FinalAnswer",
    "McpClientConfig",
    "McpClientConfigPy",
    "McpServerConfig",
    "McpServerConfigPy",
    "McpServerSource",
    "McpServerSourcePy",
    "ModelTurn",
    "MultiModelRunner",
    "Reasoning",
    "RequestError",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "Runner",
    "RunnerClosedError",
    "ServerStatusChanged",
    "Token",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolProgress",
    "UnsupportedModelError",
    "Which",
    "bundled_config",
]
