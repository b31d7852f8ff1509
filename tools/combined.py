"""CombinedToolset: several toolsets seen as one, e.g. MCP servers and local `@tool` functions together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tools._types import ProgressCallback, ToolResult, Toolset, ToolSpec


class CombinedToolset:
    """The tools of several toolsets, each call routed to the toolset that has the tool.

    The first toolset wins a name that two of them use (order your toolsets accordingly); names are
    looked up when called, so toolsets whose tools change (an MCP manager after `list_changed`) stay current.
    """

    def __init__(self, *toolsets: Toolset) -> None:
        self.toolsets = toolsets

    @property
    def tools(self) -> Sequence[ToolSpec]:
        seen: set[str] = set()
        tools: list[ToolSpec] = []
        for toolset in self.toolsets:
            for tool in toolset.tools:
                if tool.name not in seen:
                    seen.add(tool.name)
                    tools.append(tool)
        return tools

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout_secs: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ToolResult:
        for toolset in self.toolsets:
            if any(tool.name == name for tool in toolset.tools):
                return await toolset.call_tool(name, arguments, timeout_secs=timeout_secs, progress=progress)
        known = ", ".join(t.name for t in self.tools) or "none"
        return ToolResult.from_text(f"unknown tool {name!r}; available tools: {known}", is_error=True)
