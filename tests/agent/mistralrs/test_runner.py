"""The Runner API end to end: the real embedded model, the bundled calculator over stdio, mistral.rs's calls."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from agent import (
    AgentOptions,
    ChatCompletionRequest,
    ChatCompletionResponse,
    MultiModelRunner,
    RequestError,
    Runner,
    RunnerClosedError,
    UnsupportedModelError,
    Which,
    bundled_config,
)
from agent.mistralrs.runner import AsyncChunkIterator, ChunkIterator
from inference import ContextOverflowError, ModelNotFoundError, UnknownModelError
from inference.models import resolve_model
from mcp_client import McpClientConfig
from tests.inference._tiny_ggml import write_tiny_llama
from tests.inference.test_lora import write_adapter

SMOL = Which.GGUF(quantized_model_id="smollm2-135m", quantized_filename=None, tok_model_id=None)
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _calculator() -> McpClientConfig:
    return McpClientConfig(servers=[s for s in bundled_config().servers if s.name == "calculator"])


def _children() -> set[int]:
    """Live child processes of this test process (read from /proc, so no `ps` child counts itself)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            children.add(int(stat.parent.name))
    return children


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    with Runner(which=SMOL, mcp_client_config=_calculator(), n_ctx=2048, max_seqs=16, in_situ_quant="Q4K") as loaded:
        yield loaded


def _ask(**fields: object) -> ChatCompletionRequest:
    fields.setdefault("messages", [{"role": "user", "content": "Use the calculator: 2 + 2"}])
    return ChatCompletionRequest.model_validate({"model": "ignore", "max_tokens": 48, **fields})


def test_a_sync_request_runs_the_mcp_tool_and_records_it(runner: Runner) -> None:
    res = runner.send_chat_completion_request(
        _ask(tool_choice={"type": "function", "function": {"name": "calc_evaluate"}}, max_tool_rounds=2)
    )
    assert isinstance(res, ChatCompletionResponse)
    assert res.object == "chat.completion" and res.id.startswith("chatcmpl-")
    assert res.model == "smollm2-135m"  # a single Runner ignores request.model, as mistral.rs does
    choice = res.choices[0]
    assert choice.message.role == "assistant" and choice.message.tool_calls is None
    assert choice.finish_reason in ("stop", "length") and isinstance(choice.message.content, str)
    [record, *_] = res.tool_call_records
    assert record.round == 1 and record.name == "calc_evaluate" and "expression" in record.arguments
    assert record.result and record.duration_secs > 0
    usage = res.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens and usage.completion_tokens > 0
    assert usage.total_time_sec > 0 and usage.avg_compl_tok_per_sec > 0


async def test_an_async_request_from_another_event_loop(runner: Runner) -> None:
    res = await runner.send_chat_completion_request_async(
        _ask(messages="Say hello.", tool_choice="none", max_tokens=8, temperature=0.0, seed=1)
    )
    assert isinstance(res, ChatCompletionResponse)
    assert res.choices[0].message.content and res.tool_call_records == []
    assert res.usage.completion_tokens <= 8


def test_streaming_yields_chunks_with_the_agent_events(runner: Runner) -> None:
    request = _ask(
        stream=True,
        stream_options={"include_usage": True},
        tool_choice={"type": "function", "function": {"name": "calc_evaluate"}},
        max_tool_rounds=2,
    )
    stream = runner.send_chat_completion_request(request)
    assert isinstance(stream, ChunkIterator)
    chunks = list(stream)
    assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    events = [c.mcpagent_event["type"] for c in chunks if c.mcpagent_event]
    assert events[0] == "run_started" and events[-1] == "run_finished"
    assert {"tool_call_started", "tool_call_finished", "model_turn"} <= set(events)
    started = [c.mcpagent_event for c in chunks if c.mcpagent_event and c.mcpagent_event["type"] == "tool_call_started"]
    assert started[0]["call"]["name"] == "calc_evaluate"
    # Server-side (MCP) calls are never client tool_calls; the text streams as content deltas.
    assert not any(ch.delta.tool_calls for c in chunks for ch in c.choices)
    text = "".join(ch.delta.content or "" for c in chunks for ch in c.choices)
    assert text.strip()
    *_, finish, usage = chunks
    assert finish.choices[0].finish_reason in ("stop", "length")
    assert usage.choices == [] and usage.usage is not None and usage.usage.completion_tokens > 0


async def test_async_streaming_and_leaving_early(runner: Runner) -> None:
    stream = await runner.send_chat_completion_request_async(_ask(stream=True, tool_choice="none", max_tokens=8))
    assert isinstance(stream, AsyncChunkIterator)
    async with stream:
        first = await stream.__anext__()
        assert first.choices[0].delta.role == "assistant"
    assert [chunk async for chunk in stream] == []  # closed: the run was stopped
    # The runner serves the next request as usual.
    res = await runner.send_chat_completion_request_async(_ask(tool_choice="none", max_tokens=4))
    assert isinstance(res, ChatCompletionResponse)


def test_client_tools_come_back_unexecuted_and_the_conversation_goes_on(runner: Runner) -> None:
    question = {"role": "user", "content": "What is the weather in Paris?"}
    forced = {"type": "function", "function": {"name": "get_weather"}}
    res = runner.send_chat_completion_request(_ask(messages=[question], tools=[WEATHER], tool_choice=forced))
    assert isinstance(res, ChatCompletionResponse)
    choice = res.choices[0]
    assert choice.finish_reason == "tool_calls" and res.tool_call_records == []
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)

    reply = {"role": "tool", "tool_call_id": call.id, "content": [{"type": "text", "text": "Sunny, 21 C"}]}
    conversation = [question, choice.message.model_dump(), reply]
    later = runner.send_chat_completion_request(
        _ask(messages=conversation, tools=[WEATHER], tool_choice="none", max_tokens=24)
    )
    assert isinstance(later, ChatCompletionResponse)
    assert later.choices[0].finish_reason in ("stop", "length") and later.choices[0].message.content


def test_response_format_json_schema_gives_valid_json(runner: Runner) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    # Tools are on offer: one grammar, a calculator call or an answer following the schema.
    res = runner.send_chat_completion_request(
        _ask(
            messages=[{"role": "user", "content": "What is 2 + 2? Reply in JSON."}],
            response_format={"type": "json_schema", "json_schema": {"name": "math", "schema": schema}},
            max_tool_rounds=2,
        )
    )
    assert isinstance(res, ChatCompletionResponse)
    jsonschema.validate(json.loads(res.choices[0].message.content or ""), schema)


def test_requests_that_cannot_be_served_are_clear_errors(runner: Runner) -> None:
    with pytest.raises(RequestError, match=r"tool_choice.function.name: 'nope' is not a tool; tools: calc_evaluate"):
        runner.send_chat_completion_request(_ask(tool_choice={"type": "function", "function": {"name": "nope"}}))
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
    with pytest.raises(RequestError, match=r"messages\[0\].content\[0\].type: 'image_url' is not supported"):
        runner.send_chat_completion_request(_ask(messages=[image], stream=True))
    orphan = {"role": "tool", "tool_call_id": "abc", "content": "42"}
    with pytest.raises(RequestError, match=r"messages\[1\].tool_call_id: 'abc' answers no tool call"):
        runner.send_chat_completion_request(_ask(messages=[{"role": "user", "content": "hi"}, orphan]))
    with pytest.raises(ValueError, match="only one choice"):
        ChatCompletionRequest(messages=[{"role": "user", "content": "hi"}], n=2)
    with pytest.raises(UnknownModelError, match="model 'other' is not loaded; loaded models: smollm2-135m"):
        runner.send_chat_completion_request(_ask(), model_id="other")


def test_a_model_failure_reaches_the_caller_as_itself(runner: Runner) -> None:
    too_long = [{"role": "user", "content": "word " * 3000}]
    with pytest.raises(ContextOverflowError, match="exceeds the context window of 2048"):
        runner.send_chat_completion_request(_ask(messages=too_long, tool_choice="none"))
    stream = runner.send_chat_completion_request(_ask(messages=too_long, tool_choice="none", stream=True))
    with pytest.raises(ContextOverflowError):
        for _ in stream:
            pass


def test_a_single_runner_offers_the_multi_model_methods(runner: Runner) -> None:
    assert runner.list_models() == ["smollm2-135m"] and runner.get_default_model_id() == "smollm2-135m"
    assert runner.is_model_loaded("smollm2-135m") and runner.list_models_with_status() == [("smollm2-135m", "loaded")]
    runner.set_default_model_id("smollm2-135m")
    with pytest.raises(UnknownModelError):
        runner.set_default_model_id("gemma")
    tokens = runner.tokenize_text("hello world", add_special_tokens=False)
    assert runner.detokenize_text(tokens, skip_special_tokens=True).strip() == "hello world"


@pytest.mark.parametrize(
    "which",
    [
        Which.XLora(xlora_model_id="x", order="o.json"),
        Which.VisionPlain(model_id="google/gemma-3-4b-it", arch="gemma3"),
        Which.DiffusionPlain(model_id="black-forest-labs/FLUX.1-schnell", arch="flux"),
        Which.Speech(model_id="nari-labs/Dia-1.6B", arch="dia"),
    ],
    ids=lambda w: type(w).__name__,
)
def test_unsupported_variants_name_the_supported_ones(which: object) -> None:
    supported = "supported variants: Which.GGUF, Which.LoraGGUF, Which.GGML, Which.Remote"
    with pytest.raises(UnsupportedModelError, match=supported) as info:
        Runner(which=which)  # type: ignore[arg-type]
    assert info.value.variant == type(which).__name__


def test_supported_variants_resolve_their_files(tmp_path: Path) -> None:
    smol = resolve_model("smollm2-135m")
    snapshot = tmp_path / "hub" / "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF" / "snapshots" / "rev1"
    snapshot.mkdir(parents=True)
    (snapshot / "smol.gguf").symlink_to(smol)
    from_hf = Which.GGUF(
        quantized_model_id="HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
        quantized_filename="smol.gguf",
        tok_model_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        hf_cache_path=str(tmp_path / "hub"),
    )
    assert from_hf.to_backend(model_id="smol").model_info.id == "smol"
    with pytest.raises(ModelNotFoundError, match="not found"):
        Which.GGUF(quantized_model_id=str(tmp_path), quantized_filename="missing.gguf").to_backend(model_id="m")
    with pytest.raises(ModelNotFoundError, match="LoRA adapter"):
        Which.LoraGGUF(
            quantized_model_id="smollm2-135m", adapters_model_id=str(tmp_path / "lora.gguf"), order="ordering.json"
        ).to_backend(model_id="m")
    remote = Which.Remote(url="http://127.0.0.1:9/v1", model="qwen", api_key="sk-secret")
    assert "sk-secret" not in repr(remote) and "sk-secret" not in repr(remote.to_backend(model_id="qwen"))


def test_a_ggml_model_serves_through_ctransformers(tmp_path: Path) -> None:
    write_tiny_llama(tmp_path / "tiny.ggjt.bin")
    which = Which.GGML(quantized_model_id=str(tmp_path), quantized_filename="tiny.ggjt.bin", tok_model_id="x", gqa=1)
    with Runner(which=which, model_id="tiny") as tiny:
        res = tiny.send_chat_completion_request(
            ChatCompletionRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=4, seed=3)
        )
    assert isinstance(res, ChatCompletionResponse) and res.model == "tiny" and res.usage.completion_tokens <= 4


def test_a_lora_adapter_is_applied(tmp_path: Path) -> None:
    adapter = write_adapter(tmp_path / "adapter.gguf", b_scale=1.0)
    lora = Which.LoraGGUF(quantized_model_id="smollm2-135m", adapters_model_id=str(tmp_path), order="ordering.json")
    models = [{"model_id": "base", "which": SMOL}, {"model_id": "lora", "which": lora}]
    say = {"messages": [{"role": "user", "content": "Name a fruit."}], "max_tokens": 12}
    with MultiModelRunner(models=models) as multi:
        answers = {}
        for model in ("base", "lora"):
            res = multi.send_chat_completion_request({**say, "model": model})
            assert isinstance(res, ChatCompletionResponse)
            answers[model] = res.choices[0].message.content
    assert answers["base"] != answers["lora"], f"the adapter {adapter} changed nothing"


def test_multi_model_runner_routes_by_model_and_removes_models() -> None:
    gemma = Which.GGUF(quantized_model_id="gemma3-270m")
    models = [{"model_id": "smol", "which": SMOL}, {"model_id": "gemma", "which": gemma}]
    say = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}
    with MultiModelRunner(models=models, default_model_id="smol", n_ctx=1024) as multi:
        assert multi.list_models() == ["smol", "gemma"] and multi.get_default_model_id() == "smol"
        for model, served in [("gemma", "gemma"), ("default", "smol"), ("smol", "smol")]:
            res = multi.send_chat_completion_request({**say, "model": model})
            assert isinstance(res, ChatCompletionResponse) and res.model == served
        with pytest.raises(UnknownModelError, match="model 'llama' is not loaded; loaded models: smol, gemma"):
            multi.send_chat_completion_request({**say, "model": "llama"})
        multi.set_default_model_id("gemma")
        assert multi.get_default_model_id() == "gemma"
        multi.remove_model("gemma")
        assert multi.list_models() == ["smol"] and multi.get_default_model_id() == "smol"
        with pytest.raises(UnknownModelError, match="loaded models: smol"):
            multi.send_chat_completion_request_to_model(ChatCompletionRequest(**say), "gemma")


def test_closing_ends_the_mcp_servers_and_refuses_requests() -> None:
    before = _children()
    runner = Runner(which=SMOL, mcp_client_config=_calculator(), agent_options=AgentOptions(max_rounds=1))
    assert _children() - before, "the calculator server was not started"
    runner.close()
    runner.close()  # idempotent
    assert runner.closed and not (_children() - before)
    with pytest.raises(RunnerClosedError):
        runner.send_chat_completion_request(_ask())
    # One nobody closed is closed when it is collected.
    dropped = Runner(which=SMOL, mcp_client_config=_calculator())
    assert _children() - before
    del dropped
    gc.collect()
    assert not (_children() - before)


def test_mistralrs_runner_arguments_map_onto_ours(tmp_path: Path) -> None:
    config = tmp_path / "tokenizer_config.json"
    config.write_text(json.dumps({"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}))
    with Runner(which=SMOL, chat_template=str(config), seed=7, max_seqs=4, no_kv_cache=False) as plain:
        res = plain.send_chat_completion_request({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})
    assert isinstance(res, ChatCompletionResponse)
    assert res.usage.prompt_tokens <= 3  # "Hi" alone: the template replaced the model's own


def test_runner_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_sequences'"):
        Runner(which=SMOL, max_sequences=3)
    with pytest.raises(TypeError, match="which_draft= is not supported"):
        Runner(which=SMOL, which_draft=SMOL)
    with pytest.raises(TypeError, match="expected a Which variant"):
        Runner(which="smollm2-135m")  # type: ignore[arg-type]


_UNCLOSED = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from agent import Runner, Which, bundled_config
runner = Runner(which=Which.GGUF(quantized_model_id="smollm2-135m"), mcp_client_config=bundled_config())
print("ready", flush=True)
sys.stdin.readline()  # the test ends us here: end of input (a normal exit) or Ctrl-C
"""


@pytest.mark.parametrize("ending", ["normal exit", "ctrl-c"])
def test_a_runner_never_closed_ends_quietly_with_the_program(ending: str) -> None:
    """At interpreter exit its MCP servers stop without the supervisor reporting them down and retrying."""
    import signal
    import subprocess
    import sys

    from tests._procs import alive, descendants

    program = subprocess.Popen(
        [sys.executable, "-c", _UNCLOSED],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C reaches the whole group, the MCP servers included, as in a terminal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert program.stdout is not None and program.stdout.readline() == "ready\n"
        servers = descendants(program.pid)
        assert servers, "the bundled servers were not started"
        if ending == "ctrl-c":
            os.killpg(program.pid, signal.SIGINT)
        _, stderr = program.communicate("", timeout=60)
    finally:
        if program.poll() is None:
            os.killpg(program.pid, signal.SIGKILL)
            program.wait()
    warnings = [line for line in stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == [] and "retrying" not in stderr, stderr
    assert not any(alive(pid) for pid in servers)
    if ending == "normal exit":
        assert (program.returncode, "Traceback" in stderr) == (0, False), stderr
