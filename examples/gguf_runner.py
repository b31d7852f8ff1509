"""mistral.rs's GGUF example, on the embedded SmolLM2 with the bundled calculator as an MCP tool.

Run: python examples/gguf_runner.py
"""

import sys

from agent import ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which

calculator = McpServerConfig(
    name="calculator",
    tool_prefix="calc",
    source=McpServerSource.Process(command=sys.executable, args=["-m", "tools", "calculator"]),
)
runner = Runner(
    which=Which.GGUF(quantized_model_id="smollm2-135m", quantized_filename=None, tok_model_id=None),
    mcp_client_config=McpClientConfig(servers=[calculator]),
)
res = runner.send_chat_completion_request(
    ChatCompletionRequest(
        model="ignore",
        messages=[{"role": "user", "content": "Use the calculator: 2 + 2"}],
        max_tokens=256,
        presence_penalty=1.0,
        top_p=0.1,
        temperature=0.1,
    )
)
print(res.choices[0].message.content, res.usage)
for record in res.tool_call_records:
    print(f"round {record.round}: {record.name}({record.arguments}) -> {record.result} ({record.duration_secs:.2f} s)")
runner.close()
