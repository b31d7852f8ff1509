"""Quickstart: the embedded model answers with the bundled MCP tools (run: python examples/quickstart.py)."""

import anyio

from agent import Agent, bundled_config
from inference.llama_cpp_backend import LlamaCppBackend
from mcp_client import MCPClientManager


async def main() -> None:
    async with LlamaCppBackend("smollm2-135m") as model, MCPClientManager(bundled_config()) as tools:
        result = await Agent(model, tools).run("What is the current time in Asia/Tokyo?")
        for record in result.tool_calls:
            print(record.call.name, record.call.arguments, "->", record.result.text)
        print(result.answer, result.usage)


anyio.run(main)
