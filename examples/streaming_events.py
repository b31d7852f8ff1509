"""Streaming: the answer arrives as content deltas, and every agent event (tool call started, finished,
the run's end) as a chunk whose `mcpagent_event` describes it.

Run: python examples/streaming_events.py
"""

import sys

from agent import ChatCompletionRequest, McpClientConfig, McpServerConfig, McpServerSource, Runner, Which

source = McpServerSource.Process(command=sys.executable, args=["-m", "tools", "calculator"])
config = McpClientConfig(servers=[McpServerConfig(name="calculator", tool_prefix="calc", source=source)])
with Runner(which=Which.GGUF(quantized_model_id="smollm2-135m"), mcp_client_config=config) as runner:
    request = ChatCompletionRequest(
        messages=[{"role": "user", "content": "Use the calculator: 2 + 2"}],
        tool_choice={"type": "function", "function": {"name": "calc_evaluate"}},
        max_tool_rounds=2,
        max_tokens=64,
        stream=True,
        stream_options={"include_usage": True},
    )
    in_text = False
    for chunk in runner.send_chat_completion_request(request):
        event, delta = chunk.mcpagent_event, chunk.choices[0].delta if chunk.choices else None
        if delta is not None and delta.content:
            print(delta.content if in_text else f"\n{delta.content}", end="", flush=True)  # as it is written
            in_text = True
            continue
        if event is not None and event["type"] == "tool_call_started":
            line = f"calling {event['call']['name']} {event['call']['arguments']}"
        elif event is not None and event["type"] == "tool_call_finished":
            line = f"result: {event['result']['text']} in {event['duration_secs']:.2f} s"
        elif event is not None:
            line = event["type"]
        elif chunk.choices and chunk.choices[0].finish_reason:
            line = f"finish: {chunk.choices[0].finish_reason}"
        elif chunk.usage is not None:
            line = f"usage: {chunk.usage.total_tokens} tokens, {chunk.usage.avg_compl_tok_per_sec:.0f} tok/s"
        else:
            continue  # the role chunk
        print(f"\n[{line}]", end="")
        in_text = False
    print()
