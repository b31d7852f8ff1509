"""Runtime values every package shares: tool specs, tool calls, tool results and the Toolset protocol.

These are plain frozen dataclasses; wire formats (MCP, OpenAI) are converted to and from them at
the package edges.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

_ID_ALPHABET = string.ascii_letters + string.digits
# 256 is 4 x 62 + 8: the first 248 byte values map evenly onto the alphabet; the last 8 are redrawn.
_ID_TABLE = bytes((_ID_ALPHABET * 5)[:248].encode())


def new_call_id() -> str:
    """A fresh tool-call id: 9 alphanumeric characters, uniformly random.

    Mistral templates require exactly this shape; every other family accepts it.
    """
    out = bytearray()
    while len(out) < 9:
        out += bytes(_ID_TABLE[b] for b in secrets.token_bytes(12) if b < 248)
    return out[:9].decode()


def _empty_object_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """A tool as the model sees it: a name, a description and a JSON schema for its arguments."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=_empty_object_schema)
    output_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One call the model asked for. `arguments` is the decoded JSON object."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class TextContent:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageContent:
    data: str
    """Base64-encoded bytes."""
    mime_type: str
    type: Literal["image"] = "image"


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioContent:
    data: str
    """Base64-encoded bytes."""
    mime_type: str
    type: Literal["audio"] = "audio"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceContent:
    """An embedded resource or a link to one (`text` and `blob` both None)."""

    uri: str
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    type: Literal["resource"] = "resource"


ContentBlock = TextContent | ImageContent | AudioContent | ResourceContent


def text_of(blocks: Sequence[ContentBlock]) -> str:
    """Content as text for a model: text blocks verbatim, other blocks as short placeholders, one a line."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ResourceContent):
            parts.append(block.text if block.text is not None else f"[resource {block.uri}]")
        else:
            parts.append(f"[{block.type} {block.mime_type}, {len(block.data) * 3 // 4} bytes]")
    return "\n".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResult:
    """What a tool returned. `is_error` results go back to the model, which may fix its call."""

    content: tuple[ContentBlock, ...] = ()
    structured_content: dict[str, Any] | None = None
    is_error: bool = False

    @classmethod
    def from_text(cls, text: str, *, is_error: bool = False) -> ToolResult:
        return cls(content=(TextContent(text=text),), is_error=is_error)

    @property
    def text(self) -> str:
        """The result as text for a model: text blocks verbatim, other blocks as short placeholders."""
        return text_of(self.content)


class ProgressCallback(Protocol):
    """Awaited with each progress report of a running call: progress so far, the total if known, a message."""

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None: ...


@runtime_checkable
class Toolset(Protocol):
    """A source of tools the agent can call: MCP servers, Python functions, or a mix."""

    @property
    def tools(self) -> Sequence[ToolSpec]:
        """The tools available now, under the names the model must use."""
        ...

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout_secs: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ToolResult:
        """Run one tool. Failures the model can fix come back as `ToolResult(is_error=True)`.

        `progress`, where the tool reports any, is awaited with each report while the call runs.
        """
        ...
