"""Tools: the shared tool types, the Toolset protocol, Python function tools, and the bundled MCP tool
servers (`python -m tools NAME`)."""

from __future__ import annotations

from tools._types import (
    AudioContent,
    ContentBlock,
    ImageContent,
    ProgressCallback,
    ResourceContent,
    TextContent,
    ToolCall,
    ToolResult,
    Toolset,
    ToolSpec,
    new_call_id,
    text_of,
)
from tools.combined import CombinedToolset
from tools.function import FunctionTool, FunctionToolset, serve_functions, tool

__all__ = [
    "CombinedToolset",
    "AudioContent",
    "ContentBlock",
    "FunctionTool",
    "FunctionToolset",
    "ImageContent",
    "ProgressCallback",
    "ResourceContent",
    "TextContent",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Toolset",
    "new_call_id",
    "serve_functions",
    "text_of",
    "tool",
]
