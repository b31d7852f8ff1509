"""Approval: each MCP tool call is checked before it runs; a refused call reaches the model as an error.

Here the calculator needs a yes from a callback (a person would be asked), and the clock is denied.
Run: python examples/approval.py
"""

import sys

from agent import AgentOptions, ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which
from agent.approval import ApprovalPolicy
from tools import ToolCall


async def ask(call: ToolCall) -> bool:
    print(f"approve {call.name}({call.arguments})? yes")
    return True


def bundled(name: str, prefix: str) -> McpServerConfig:
    source = McpServerSource.Process(command=sys.executable, args=["-m", "tools", name])
    return McpServerConfig(name=name, tool_prefix=prefix, source=source)


policy = ApprovalPolicy({"calc_*": "ask", "clock_*": "deny"}, ask=ask)
config = McpClientConfig(servers=[bundled("calculator", "calc"), bundled("clock", "clock")])
questions = [("Use the calculator: 2 + 2", "calc_evaluate"), ("What time is it in Asia/Tokyo?", "clock_now")]
model = Which.GGUF(quantized_model_id="smollm2-135m")
with Runner(which=model, mcp_client_config=config, agent_options=AgentOptions(approval=policy)) as runner:
    for question, tool in questions:
        res = runner.send_chat_completion_request(
            ChatCompletionRequest(
                messages=[{"role": "user", "content": question}],
                tool_choice={"type": "function", "function": {"name": tool}},
                max_tool_rounds=2,
                max_tokens=48,
            )
        )
        for record in res.tool_call_records:
            status = "refused" if record.is_error else "ran"
            print(f"{record.name} {status}: {record.result}")
