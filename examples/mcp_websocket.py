"""An MCP server reached over WebSocket: the bundled calculator, started here on a free loopback port.

Run: python examples/mcp_websocket.py
"""

from agent import ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which
from tools.launch import launched_server

with launched_server("calculator", "ws") as url:  # python -m tools calculator --transport ws --port 0
    source = McpServerSource.WebSocket(url=url, timeout_secs=10)
    config = McpClientConfig(servers=[McpServerConfig(name="calculator", tool_prefix="calc", source=source)])
    with Runner(which=Which.GGUF(quantized_model_id="smollm2-135m"), mcp_client_config=config) as runner:
        res = runner.send_chat_completion_request(
            ChatCompletionRequest(
                messages=[{"role": "user", "content": "Use the calculator: 2 + 2"}],
                tool_choice="required",  # the first turn must call a tool
                max_tool_rounds=2,
                max_tokens=64,
            )
        )
        print("server:", url)
        for record in res.tool_call_records:
            print(f"{record.name}({record.arguments}) -> {record.result}")
        print("answer:", res.choices[0].message.content)
