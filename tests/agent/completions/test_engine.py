"""ChatEngine, the service behind every door: the agent it builds for a model, with the MCP tools."""

from __future__ import annotations

from typing import Any

import pytest

from agent import AgentOptions, ChatEngine
from inference import SamplingParams, UnknownModelError
from inference.scripted import ScriptedBackend, assistant
from mcp_client import McpClientConfig, bundled_config
from tools import ToolCall


class OpenableScript(ScriptedBackend):
    """A scripted backend the engine can open and close like a model."""

    async def __aenter__(self) -> OpenableScript:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _calculator() -> McpClientConfig:
    return McpClientConfig(servers=[s for s in bundled_config().servers if s.name == "calculator"])


async def test_agent_runs_on_the_named_model_with_the_mcp_tools_and_the_engine_options() -> None:
    call = ToolCall(id="c1", name="calc_evaluate", arguments={"expression": "15 * 4 + 3"})
    small = OpenableScript([assistant(None, call), assistant("63")], model_id="small")
    other = OpenableScript([], model_id="other")
    base = AgentOptions(max_rounds=4, sampling=SamplingParams(max_tokens=99))
    models = [("other", other), ("small", small)]
    async with ChatEngine(models, mcp_client_config=_calculator(), agent_options=base) as engine:
        agent = engine.agent("small", system_prompt="Be brief.")
        assert agent.options.max_rounds == 4 and agent.options.sampling.max_tokens == 99
        result = await agent.run("What is 15 * 4 + 3?")
    assert result.answer == "63"
    assert [r.result.text for r in result.tool_calls] == ["63"]
    assert small.requests[0].messages[0].content == "Be brief."
    assert "calc_evaluate" in {t.name for t in small.requests[0].tools}
    assert other.requests == []


async def test_agent_defaults_to_the_default_model_and_refuses_an_unknown_one() -> None:
    first = OpenableScript([assistant("hello")], model_id="first")
    async with ChatEngine([("first", first)]) as engine:
        assert (await engine.agent().run("hi")).answer == "hello"
        with pytest.raises(UnknownModelError, match="nope"):
            engine.agent("nope")


@pytest.mark.parametrize("stream", [False, True])
async def test_a_turn_calling_a_client_tool_and_an_mcp_tool_runs_the_mcp_call_and_hands_back_the_other(
    stream: bool,
) -> None:
    """The client gets only its own call; its next request carries both calls and both results, in call order."""
    from agent import ChatCompletionRequest

    weather = ToolCall(id="w1", name="get_weather", arguments={"city": "Paris"})
    calc = ToolCall(id="c1", name="calc_evaluate", arguments={"expression": "6 * 7"})
    model = OpenableScript([assistant("Let me check.", weather, calc), assistant("Sunny, and 42.")], model_id="m")
    city = {"type": "object", "properties": {"city": {"type": "string"}}}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": city}}
    question = {"role": "user", "content": "Weather in Paris, and 6 * 7?"}
    request = ChatCompletionRequest(messages=[question], tools=[tool])
    async with ChatEngine([("m", model)], mcp_client_config=_calculator()) as engine:
        if stream:
            async with engine.stream(request) as chunks:
                streamed = [chunk async for chunk in chunks]
            deltas = [choice.delta for chunk in streamed for choice in chunk.choices]
            calls = [(c.id, c.function and c.function.name) for d in deltas for c in d.tool_calls or ()]
            finish = [choice.finish_reason for chunk in streamed for choice in chunk.choices if choice.finish_reason]
            events = [chunk.mcpagent_event for chunk in streamed if chunk.mcpagent_event]
            ran = [e["result"]["text"] for e in events if e.get("type") == "tool_call_finished"]
        else:
            response = await engine.complete(request)
            first = response.choices[0]
            assert first.message.content == "Let me check."
            calls = [(c.id, c.function.name) for c in first.message.tool_calls or ()]
            finish, ran = [first.finish_reason], [r.result for r in response.tool_call_records or ()]
        assert calls == [("w1", "get_weather")] and finish == ["tool_calls"] and ran == ["42"]

        echoed = {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{"id": "w1", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
        }  # fmt: skip
        answer = {"role": "tool", "tool_call_id": "w1", "content": "Sunny"}
        second = await engine.complete(ChatCompletionRequest(messages=[question, echoed, answer], tools=[tool]))
    assert second.choices[0].message.content == "Sunny, and 42."
    seen = model.requests[1].messages
    assert [m.role for m in seen] == ["user", "assistant", "tool", "tool"]
    assert [c.id for c in seen[1].tool_calls] == ["w1", "c1"]
    assert [(m.tool_call_id, m.content) for m in seen[2:]] == [("w1", "Sunny"), ("c1", "42")]


async def test_a_mixed_turn_the_engine_does_not_remember_is_served_as_sent() -> None:
    from agent import ChatCompletionRequest

    model = OpenableScript([assistant("Sunny.")], model_id="m")
    sent = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [
            {"id": "w9", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "w9", "content": "Sunny"},
    ]  # fmt: skip
    async with ChatEngine([("m", model)]) as engine:
        await engine.complete(ChatCompletionRequest(messages=sent))
    assert [(m.role, m.tool_call_id) for m in model.requests[0].messages] == [
        ("user", None), ("assistant", None), ("tool", "w9")]  # fmt: skip


@pytest.mark.model
async def test_response_format_with_tools_is_one_pass_on_the_real_model() -> None:
    """A call or an answer following the schema, in one grammar: the answer turn is generated once, not twice."""
    import json

    import jsonschema

    from agent import ChatCompletionRequest, Which

    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    request = ChatCompletionRequest(
        messages=[{"role": "user", "content": "What is the capital of France? Reply in JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}},
        max_tokens=48,
    )
    smol = Which.GGUF(quantized_model_id="smollm2-135m").to_backend(model_id="smol")
    async with ChatEngine([("smol", smol)], mcp_client_config=_calculator()) as engine:
        _, prompt = await engine.prompt(request)
        response = await engine.complete(request)
    assert "calc_evaluate" in prompt.prompt  # the tools were on offer
    jsonschema.validate(json.loads(response.choices[0].message.content or ""), schema)
    assert response.usage is not None and response.usage.prompt_tokens == len(prompt.tokens)


@pytest.mark.model
@pytest.mark.parametrize(
    ("fields", "empty_think"),
    [({}, False), ({"enable_thinking": False}, True), ({"chat_template_kwargs": {"enable_thinking": False}}, True),
     ({"chat_template_kwargs": {"enable_thinking": False}, "enable_thinking": True}, False)],
)  # fmt: skip
async def test_enable_thinking_reaches_a_template_that_reads_it(fields: dict[str, Any], empty_think: bool) -> None:
    """A Qwen3-shaped template writes an empty think block when `enable_thinking` is false."""
    from pathlib import Path

    from agent import ChatCompletionRequest
    from inference import resolve_model
    from inference.llama_cpp_backend import LlamaCppBackend

    template = (Path(__file__).parents[2] / "inference" / "chat_templates" / "qwen3.jinja").read_text()
    model = LlamaCppBackend(resolve_model("smollm2-135m"), chat_template=template, n_ctx=2048)
    request = ChatCompletionRequest(messages=[{"role": "user", "content": "Hi"}], max_tokens=4, **fields)
    async with ChatEngine([("qwen-shaped", model)]) as engine:
        _, prompt = await engine.prompt(request)
        await engine.complete(request)  # the same prompt is generated from
    assert prompt.prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n") is empty_think, prompt.prompt


@pytest.mark.parametrize("name", ["messages", "add_generation_prompt", "raise_exception", "bos_token"])
async def test_chat_template_kwargs_cannot_replace_what_the_runtime_gives_the_template(name: str) -> None:
    from agent import ChatCompletionRequest, RequestError

    request = ChatCompletionRequest(messages=[{"role": "user", "content": "Hi"}], chat_template_kwargs={name: 1})
    async with ChatEngine([("m", OpenableScript([], model_id="m"))]) as engine:
        with pytest.raises(RequestError, match=rf"chat_template_kwargs.{name}: set by the request itself"):
            await engine.complete(request)
