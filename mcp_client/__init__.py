"""MCP client: config, transports (stdio, streamable HTTP, WebSocket, in-memory), client-side handlers,
and the manager that registers tools.

The only package (with the tool servers in `tools/`) that imports the `mcp` SDK.
"""

from __future__ import annotations

from mcp_client._connection import ServerState, ServerStatus
from mcp_client._resources import PromptArgument, PromptInfo, PromptMessage, ResourceInfo
from mcp_client.bundled import bundled_config
from mcp_client.config import (
    HttpSource,
    McpClientConfig,
    McpServerConfig,
    McpServerSource,
    MemorySource,
    ProcessSource,
    ServerSource,
    WebSocketSource,
)
from mcp_client.errors import (
    MCPClientError,
    MCPConfigError,
    MCPConnectError,
    MCPServerDownError,
    ToolNotFoundError,
)
from mcp_client.handlers import (
    ClientHandlers,
    ElicitationHandler,
    ElicitationRequest,
    ElicitationResult,
    LogHandler,
    LogMessage,
    Root,
    RootsHandler,
    SamplingHandler,
    SamplingMessage,
    SamplingRequest,
    SamplingResult,
)
from mcp_client.manager import MCPClientManager, RegisteredTool
from mcp_client.transports import (
    HttpTransport,
    MemoryTransport,
    StdioTransport,
    Transport,
    WebSocketTransport,
    transport_for,
)
from tools import ProgressCallback

# The names mistral.rs's Python API uses, so its code ports by changing the import.
McpClientConfigPy = McpClientConfig
McpServerConfigPy = McpServerConfig
McpServerSourcePy = McpServerSource

__all__ = [
    "ClientHandlers",
    "ElicitationHandler",
    "ElicitationRequest",
    "ElicitationResult",
    "HttpSource",
    "HttpTransport",
    "LogHandler",
    "LogMessage",
    "MCPClientError",
    "MCPClientManager",
    "MCPConfigError",
    "MCPConnectError",
    "MCPServerDownError",
    "McpClientConfig",
    "McpClientConfigPy",
    "McpServerConfig",
    "McpServerConfigPy",
    "McpServerSource",
    "McpServerSourcePy",
    "MemorySource",
    "MemoryTransport",
    "ProcessSource",
    "ProgressCallback",
    "PromptArgument",
    "PromptInfo",
    "PromptMessage",
    "ResourceInfo",
    "RegisteredTool",
    "Root",
    "RootsHandler",
    "SamplingHandler",
    "SamplingMessage",
    "SamplingRequest",
    "SamplingResult",
    "ServerSource",
    "ServerState",
    "ServerStatus",
    "StdioTransport",
    "ToolNotFoundError",
    "Transport",
    "WebSocketSource",
    "WebSocketTransport",
    "bundled_config",
    "transport_for",
]
