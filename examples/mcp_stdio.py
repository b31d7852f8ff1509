"""MCP servers started as child processes (stdio): the bundled calculator and clock.

Run: python examples/mcp_stdio.py
"""

import sys

from agent import ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which


def bundled(name: str, prefix: str) -> McpServerConfig:
    source = McpServerSource.Process(command=sys.executable, args=["-m", "tools", name, "--transport", "stdio"])
    return McpServerConfig(name=name, tool_prefix=prefix, source=source)


config = McpClientConfig(servers=[bundled("calculator", "calc"), bundled("clock", "clock")], tool_timeout_secs=10)
with Runner(which=Which.GGUF(quantized_model_id="smollm2-135m"), mcp_client_config=config) as runner:
    res = runner.send_chat_completion_request(
        ChatCompletionRequest(
            messages=[{"role": "user", "content": "What is the current time in Asia/Tokyo?"}],
            tool_choice={"type": "function", "function": {"name": "clock_now"}},  # this call must happen
            max_tool_rounds=2,
            max_tokens=64,
        )
    )
    for record in res.tool_call_records:
        print(f"{record.name}({record.arguments}) -> {record.result}")
    print("answer:", res.choices[0].message.content)
