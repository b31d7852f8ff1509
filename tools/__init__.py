"""Tools: the shared tool types, the Toolset protocol, and the bundled MCP tool servers."""

from __future__ import annotations

from tools._types import (
    AudioContent,
    ContentBlock,
    ImageContent,
    ResourceContent,
    TextContent,
    ToolCall,
    ToolResult,
    Toolset,
    ToolSpec,
    new_call_id,
)

__all__ = [
    "AudioContent",
    "ContentBlock",
    "ImageContent",
    "ResourceContent",
    "TextContent",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Toolset",
    "new_call_id",
]
