"""The OpenAI-compatible server, used with the `openai` client: `mcpagent serve` is started here on a free
loopback port. The MCP tools run in the server; a function the client sends comes back as `tool_calls`.

Run: python examples/openai_server.py   (or start `mcpagent serve` yourself and point base_url at it)
"""

import json

import openai

from agent.server.launch import launched_api

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

with launched_api("--api-key", "secret") as url:  # mcpagent serve --port 0 --api-key secret
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="secret")
    print("models:", [model.id for model in client.models.list()])

    # Streamed: the answer's text, and the agent's events riding along in `mcpagent_event`.
    question = [{"role": "user", "content": "What is the current time in Asia/Tokyo?"}]
    for chunk in client.chat.completions.create(model="smollm2-135m", messages=question, stream=True):
        event = (chunk.model_extra or {}).get("mcpagent_event")
        if event and event["type"] == "tool_call_finished":
            print(f"[server ran {event['call']['name']} -> {event['result']['text']}]")
        if chunk.choices and chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="", flush=True)
    print()

    # A client-side function: the call comes back for the client to run.
    reply = client.chat.completions.create(
        model="smollm2-135m",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="required",
    )
    for call in reply.choices[0].message.tool_calls or []:
        print("client tool call:", call.function.name, json.loads(call.function.arguments))

    # The prompt the model would read, as tokens.
    tokens = client.post("/tokenize", body={"messages": question}, cast_to=dict)
    print("prompt tokens:", tokens["count"], "of", tokens["max_model_len"])
