"""Python functions mounted as an in-process MCP server (the memory transport: no process, no socket).

Run: python examples/mcp_memory.py
"""

import anyio

from mcp_client import McpClientConfig, MCPClientManager, McpServerConfig, MemorySource
from tools import FunctionToolset, tool


@tool
def word_count(text: str) -> int:
    """Count the words in `text`."""
    return len(text.split())


async def main() -> None:
    functions = FunctionToolset([word_count])
    local = McpServerConfig(name="local", tool_prefix="local", source=MemorySource(server=functions))
    async with MCPClientManager(McpClientConfig(servers=[local])) as manager:
        print("tools:", [t.name for t in manager.tools], "over", manager.status()[0].transport)
        result = await manager.call_tool("local_word_count", {"text": "one MCP server, zero processes"})
        print("local_word_count ->", result.text)


anyio.run(main)
