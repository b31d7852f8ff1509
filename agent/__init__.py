"""The agent: the loop and its policies (this package's root), and the doors onto it, each a subpackage.

completions/ serves OpenAI-shaped chat completions to every door; mistralrs/ is mistral.rs's Python API
(`Runner`, `Which`); server/ is `mcpagent serve`; cli/ is the `mcpagent` command line.
"""

from __future__ import annotations

from agent.completions import ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ChatEngine
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
    ToolCallCutOff,
    ToolCallFinished,
    ToolCallRecord,
    ToolCallStarted,
    ToolProgress,
)
from agent.loop import Agent
from agent.mistralrs import MultiModelRunner, Runner, Which
from agent.options import AgentOptions
from mcp_client import (
    McpClientConfig,
    McpClientConfigPy,
    McpServerConfig,
    McpServerConfigPy,
    McpServerSource,
    McpServerSourcePy,
    bundled_config,
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
    "ToolCallCutOff",
    "ToolCallStarted",
    "ToolProgress",
    "UnsupportedModelError",
    "Which",
    "bundled_config",
]
