"""An MCP server reached over WebSocket: the bundled calculator, started here on a free loopback port.

Run: python examples/mcp_websocket.py
"""

import subprocess
import sys
import threading

from agent import ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which


def start_calculator() -> tuple[subprocess.Popen[str], str]:
    """Start the server on port 0 and read the URL it announces on stderr."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tools", "calculator", "--transport", "ws", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    for line in server.stderr:  # "calculator: serving MCP over ws at URL"
        if " serving MCP over " in line:
            threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe drained
            return server, line.rsplit(" at ", 1)[1].strip()
    raise RuntimeError(f"the calculator server exited with code {server.wait()}")


server, url = start_calculator()
try:
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
finally:
    server.terminate()
    server.wait(timeout=10)
