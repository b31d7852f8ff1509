"""The token-level llama.cpp engine backend against llama.cpp's real `llama-server` on loopback (built by
`make llama-server` from the sources the llama-cpp-python sdist vendors): prompts rendered and tokenized
here, token ids and the tool-call grammar sent there, the tokens parsed here; and an engine that is down,
slow or answering garbage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from agent.server.launch import launched_api
from agent.validation import validate_arguments
from inference import (
    ChatRequest,
    EngineProtocolError,
    EngineTimeoutError,
    EngineUnreachableError,
    Message,
    SamplingParams,
    resolve_model,
)
from inference.llama_cpp_backend import LlamaCppBackend
from inference.llama_cpp_engine import LlamaCppEngineBackend
from tests._net import free_port
from tests.inference._engines import FakeEngine, llama_server, llama_server_binary
from tests.inference.test_remote import ADD

pytestmark = pytest.mark.model

QUESTION = [Message(role="user", content="What is 2 plus 3? Use the add tool.")]


@pytest.fixture(scope="module")
def gguf() -> Path:
    return resolve_model("smollm2-135m")


@pytest.fixture(scope="module")
def engine_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = llama_server_binary()
    if binary is None:
        pytest.skip("llama-server is not built: `make llama-server` (which `make test` runs) builds it")
    with llama_server(binary, gguf, tmp_path_factory.mktemp("llama_server") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def no_servers(tmp_path_factory: pytest.TempPathFactory) -> str:
    config = tmp_path_factory.mktemp("config") / "empty.json"
    config.write_text('{"mcpServers": {}}')
    return str(config)


async def test_the_prompt_is_the_local_models_and_the_calls_are_grammar_constrained(
    gguf: Path, engine_url: str
) -> None:
    request = ChatRequest(
        messages=QUESTION, tools=[ADD], tool_choice="required", sampling=SamplingParams(max_tokens=48)
    )
    async with LlamaCppEngineBackend(gguf, engine_url=engine_url) as engine, LlamaCppBackend(gguf) as local:
        assert (await engine.prompt_tokens(request)).tokens == (await local.prompt_tokens(request)).tokens
        response = await engine.complete(request)
    assert response.finish_reason == "tool_calls" and response.message.tool_calls
    for call in response.message.tool_calls:
        assert call.name == "add"
        assert validate_arguments(ADD, call.arguments) is None, call.arguments
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


async def test_a_plain_answer_streams_and_stops_at_the_end_of_turn(gguf: Path, engine_url: str) -> None:
    request = ChatRequest(messages=[Message(role="user", content="Say hello.")], sampling=SamplingParams(max_tokens=24))
    async with LlamaCppEngineBackend(gguf, engine_url=engine_url) as engine:
        async with engine.stream(request) as items:
            kinds = [type(item).__name__ async for item in items]
    assert kinds[-1] == "ResponseDone" and "TextDelta" in kinds


def test_serve_runs_mcp_tools_through_the_token_engine(gguf: Path, engine_url: str) -> None:
    """`mcpagent serve --engine-backend llama_cpp`: the bundled clock runs server-side, its calls all valid."""
    args = ("--model", str(gguf), "--engine-url", engine_url, "--engine-backend", "llama_cpp", "--timeout", "60")
    with launched_api(*args, "--max-tokens", "96") as url:
        health = httpx2.get(f"{url}/health").json()
        body = {"messages": [{"role": "user", "content": "What is the current time in Asia/Tokyo?"}]}
        response = httpx2.post(f"{url}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    records = response.json()["tool_call_records"]
    assert records and all(not r["is_error"] for r in records), records
    assert [r["name"] for r in records] == ["clock_now"] and records[0]["result"].endswith("+09:00")
    assert health["models"][0]["path"] == str(gguf)


# -- an engine that is down, slow or answering garbage -------------------------------------------------


async def test_engine_failures_are_typed_and_name_the_url(gguf: Path) -> None:
    request = ChatRequest(messages=QUESTION, sampling=SamplingParams(max_tokens=4))
    down = f"http://127.0.0.1:{free_port()}"
    with FakeEngine() as fake:
        cases = [
            (down, 60.0, EngineUnreachableError),
            (fake.url("slow"), 0.3, EngineTimeoutError),
            (fake.url("notjson"), 60.0, EngineProtocolError),
            (fake.url("canned"), 60.0, EngineProtocolError),  # JSON, but a chat completion: no `tokens`
        ]
        for url, timeout, error in cases:
            async with LlamaCppEngineBackend(gguf, engine_url=url, timeout_secs=timeout) as engine:
                with pytest.raises(error) as caught:
                    await engine.complete(request)
            assert f"{url}/completion" in str(caught.value), str(caught.value)


@pytest.mark.parametrize(("scenario", "status", "code"), [
    ("down", 502, "engine_error"), ("slow", 504, "engine_timeout"), ("notjson", 502, "engine_error"),
])  # fmt: skip
def test_serve_answers_502_504_502_with_the_url(
    gguf: Path, no_servers: str, scenario: str, status: int, code: str
) -> None:
    with FakeEngine() as fake:
        url = f"http://127.0.0.1:{free_port()}" if scenario == "down" else fake.url(scenario)
        args = ("--model", str(gguf), "--engine-url", url, "--engine-backend", "llama_cpp", "--timeout", "0.3")
        with launched_api(*args, "--mcp-config", no_servers) as base:
            response = httpx2.post(f"{base}/v1/chat/completions", json={"messages": "hi"}, timeout=60)
            tokens = httpx2.post(f"{base}/v1/tokenize/", json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == status, response.text
    error = json.loads(response.text)["error"]
    assert error["code"] == code and f"{url}/completion" in error["message"], error
    # The vocabulary is here: tokenizing needs no engine.
    assert tokens.status_code == 200 and all(isinstance(t, int) for t in tokens.json())
