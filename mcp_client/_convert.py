"""Convert `mcp` SDK types to our runtime types at the package edge; SDK types go no further."""

from __future__ import annotations

import mcp.types as mt

from tools import AudioContent, ContentBlock, ImageContent, ResourceContent, TextContent, ToolResult


def content_from_mcp(block: object) -> ContentBlock:
    if isinstance(block, mt.TextContent):
        return TextContent(text=block.text)
    if isinstance(block, mt.ImageContent):
        return ImageContent(data=block.data, mime_type=block.mime_type)
    if isinstance(block, mt.AudioContent):
        return AudioContent(data=block.data, mime_type=block.mime_type)
    if isinstance(block, mt.EmbeddedResource):
        res = block.resource
        text = getattr(res, "text", None)
        blob = getattr(res, "blob", None)
        return ResourceContent(uri=str(res.uri), mime_type=res.mime_type, text=text, blob=blob)
    if isinstance(block, mt.ResourceLink):
        return ResourceContent(uri=str(block.uri), mime_type=block.mime_type)
    return TextContent(text=f"[unsupported content {type(block).__name__}]")


def result_from_mcp(result: mt.CallToolResult) -> ToolResult:
    return ToolResult(
        content=tuple(content_from_mcp(block) for block in result.content),
        structured_content=result.structured_content,
        is_error=bool(result.is_error),
    )
