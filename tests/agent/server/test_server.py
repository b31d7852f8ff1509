"""`mcpagent serve` as its users meet it: a live server on loopback, the real `openai` client, the real model
and the bundled MCP servers over stdio."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx2
import openai
import pytest

from agent.server.launch import launched_api
from inference import ChatRequest, Message
from inference.llama_cpp_backend import LlamaCppBackend
from tests._net import free_port
from tests._procs import alive, descendants
from tools import ToolSpec

KEY = "test-key-7"
MODEL = "smollm2-135m"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOKYO = [{"role": "user", "content": "What is the current time in Asia/Tokyo?"}]

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with launched_api("--api-key", KEY, "--max-tokens", "96") as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=120) as opened:
        yield opened


def _post(url: str, path: str, body: object, *, key: str | None = KEY) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx2.post(f"{url}{path}", json=body, headers=headers, timeout=120)


def _error(response: httpx2.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


# -- chat completions ------------------------------------------------------------------------------------


def test_chat_runs_the_mcp_tool_server_side(client: openai.OpenAI) -> None:
    response = client.chat.completions.create(model=MODEL, messages=TOKYO)  # type: ignore[arg-type]
    choice = response.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content and not choice.message.tool_calls
    records = (response.model_extra or {})["tool_call_records"]
    assert [(r["name"], r["arguments"]) for r in records] == [("clock_now", {"timezone": "Asia/Tokyo"})]
    assert records[0]["result"].endswith("+09:00") and not records[0]["is_error"]
    assert response.model == MODEL and response.id.startswith("chatcmpl-")
    assert response.usage is not None and response.usage.total_tokens > response.usage.completion_tokens > 0


def test_chat_streams_the_answer_and_the_agent_events(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=TOKYO,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    text, events, finishes, usage = "", [], [], None
    for chunk in stream:
        event = (chunk.model_extra or {}).get("mcpagent_event")
        if event:
            events.append(event)
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finishes.append(chunk.choices[0].finish_reason)
        if chunk.usage:
            usage = chunk.usage
    kinds = [e["type"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.index("tool_call_started") < kinds.index("tool_call_finished") < kinds.index("final_answer")
    started = next(e for e in events if e["type"] == "tool_call_started")
    assert started["call"]["name"] == "clock_now"
    answer = next(e for e in events if e["type"] == "final_answer")["text"]
    assert text == answer and text
    assert [f for f in finishes if f] == ["stop"]
    assert usage is not None and usage.total_tokens > 0


def test_a_client_function_comes_back_as_tool_calls_and_the_result_continues(client: openai.OpenAI) -> None:
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(
        model=MODEL,
        messages=question,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="required",
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert set(json.loads(call.function.arguments)) == {"city"}
    # The caller runs its function and answers; the conversation goes on to a final answer.
    follow = [
        *question,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 °C."},
    ]
    second = client.chat.completions.create(
        model=MODEL,
        messages=follow,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="none",
    )
    assert second.choices[0].finish_reason in ("stop", "length")
    assert second.choices[0].message.content and not second.choices[0].message.tool_calls


def test_a_failure_mid_stream_arrives_as_an_error_event(client: openai.OpenAI) -> None:
    huge = [{"role": "user", "content": "word " * 6000}]
    with pytest.raises(openai.APIError, match="exceeds the context window"):
        for _ in client.chat.completions.create(model=MODEL, messages=huge, stream=True):  # type: ignore[arg-type]
            pass


def test_a_request_that_overflows_without_streaming_is_a_400(url: str) -> None:
    response = _post(url, "/v1/chat/completions", {"messages": "word " * 6000})
    assert response.status_code == 400
    assert _error(response)["code"] == "context_length_exceeded"


# -- models, health, docs, keys --------------------------------------------------------------------------


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    assert client.models.retrieve(MODEL).owned_by == "mcpagent"
    with pytest.raises(openai.NotFoundError, match="not loaded"):
        client.models.retrieve("gpt-9")


def test_an_unknown_model_is_a_404_naming_the_loaded_ones(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=TOKYO)  # type: ignore[arg-type]
    assert caught.value.body == {  # type: ignore[comparison-overlap]
        "message": "model 'gpt-9' is not loaded; loaded models: smollm2-135m",
        "type": "not_found_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_the_api_key_is_enforced(url: str) -> None:
    with openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError, match="incorrect API key"):
            wrong.models.list()
    missing = httpx2.get(f"{url}/v1/models")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert _error(missing)["code"] == "missing_api_key"
    assert _post(url, "/v1/tokenize", {"messages": "hi"}, key=None).status_code == 401


def test_health_and_docs_are_open(url: str) -> None:
    health = httpx2.get(f"{url}/health").json()
    assert health["status"] == "ok"
    assert [(m["id"], m["default"], m["chat_format"]) for m in health["models"]] == [(MODEL, True, "smollm2")]
    assert {(s["name"], s["state"], s["transport"]) for s in health["servers"]} == {
        ("calculator", "ready", "stdio"),
        ("clock", "ready", "stdio"),
    }
    docs = httpx2.get(f"{url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = httpx2.get(f"{url}/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/v1/tokenize", "/v1/detokenize", "/v1/detokenize/string"} <= set(
        paths
    )


# -- errors ------------------------------------------------------------------------------------------------


def test_malformed_json_is_a_400(url: str) -> None:
    response = httpx2.post(
        f"{url}/v1/chat/completions", content=b'{"messages": [', headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_json" and "not valid JSON" in str(error["message"])


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"messages": [{"role": "user"}]}, "messages[0].content", "Field required"),
        ({"messages": "hi", "temperature": -1}, "temperature", "greater than or equal to 0"),
        ({"messages": "hi", "n": 2}, None, "only one choice"),
        ({"messages": "hi", "tempurature": 1}, "tempurature", "Extra inputs"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0]", "robot"),
        ([1, 2], None, "must be a JSON object"),
    ],
)
def test_schema_violations_are_a_422_naming_the_field(url: str, body: object, param: str | None, words: str) -> None:
    response = _post(url, "/v1/chat/completions", body)
    assert response.status_code == 422, response.text
    error = _error(response)
    assert error["param"] == param and words in str(error["message"]), error


def test_a_field_that_cannot_be_honoured_is_a_400(url: str) -> None:
    image = {"type": "image_url", "image_url": {"url": "http://x/y.png"}}
    response = _post(url, "/v1/chat/completions", {"messages": [{"role": "user", "content": [image]}]})
    assert response.status_code == 400
    assert _error(response)["param"] == "messages[0].content[0].type"


def test_unknown_routes_and_methods_keep_the_error_shape(url: str) -> None:
    assert _error(httpx2.get(f"{url}/v2/nothing"))["type"] == "not_found_error"
    response = httpx2.put(f"{url}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 405 and _error(response)["message"] == "Method Not Allowed"


# -- tokenize and detokenize -------------------------------------------------------------------------------


def test_tokenize_then_detokenize_round_trips(url: str) -> None:
    tokenized = _post(url, "/v1/tokenize", {"messages": TOKYO, "return_prompt": True}).json()
    assert tokenized["model"] == MODEL and tokenized["max_model_len"] == 4096
    assert tokenized["count"] == len(tokenized["tokens"]) > 100
    prompt = tokenized["prompt"]
    # The MCP tools are in the prompt the model would see, and the question at its end.
    assert "clock_now" in prompt and prompt.rstrip().endswith("<|im_start|>assistant")
    text = _post(url, "/v1/detokenize/string", {"tokens": tokenized["tokens"]}).json()["text"]
    assert text == prompt
    plain = _post(url, "/v1/detokenize/string", {"tokens": tokenized["tokens"], "special_token_policy": "ignore"})
    assert "<|im_start|>" not in plain.json()["text"] and "What is the current time" in plain.json()["text"]
    raised = _post(url, "/v1/detokenize/string", {"tokens": tokenized["tokens"], "special_token_policy": "raise"})
    assert raised.status_code == 400 and "special" in str(_error(raised)["message"])


def test_tokenize_counts_the_client_tools_too(url: str) -> None:
    without = _post(url, "/v1/tokenize", {"messages": TOKYO}).json()["count"]
    with_tool = _post(url, "/v1/tokenize", {"messages": TOKYO, "tools": [WEATHER]}).json()["count"]
    assert with_tool > without


async def test_detokenize_parses_the_tool_calls_of_a_real_model_turn(url: str, backend: LlamaCppBackend) -> None:
    schema = WEATHER["function"]["parameters"]  # type: ignore[index]
    spec = ToolSpec(name="get_weather", description="The weather in a city.", input_schema=schema)
    turn = await backend.complete(
        ChatRequest(
            messages=[Message(role="user", content="What is the weather in Paris?")],
            tools=[spec],
            tool_choice="required",
        )
    )
    assert turn.message.tool_calls, turn.raw_text
    tokens = await backend.tokenize(turn.raw_text)
    message = _post(url, "/v1/detokenize", {"tokens": tokens}).json()["message"]
    assert message["content"] is None
    expected = [(c.name, c.arguments) for c in turn.message.tool_calls]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]] == expected


async def test_detokenize_parses_reasoning_in_the_models_format(backend: LlamaCppBackend) -> None:
    call = '{"name": "get_weather", "arguments": {"city": "Paris"}}'
    text = f"<think>Paris is in France.</think>\n<tool_call>\n{call}\n</tool_call>"
    tokens = await backend.tokenize(text)
    with launched_api("--chat-format", "hermes") as hermes:
        message = _post(hermes, "/v1/detokenize", {"tokens": tokens}, key=None).json()["message"]
    assert message["reasoning_content"] == "Paris is in France."
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]] == [
        ("get_weather", {"city": "Paris"})
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/detokenize", {"tokens": []}, 400, "empty_tokens"),
        ("/v1/detokenize/string", {"tokens": []}, 400, "empty_tokens"),
        ("/v1/detokenize", {"tokens": [1, 49152]}, 400, "invalid_token"),
        ("/v1/detokenize/string", {"tokens": [-1]}, 400, "invalid_token"),
        ("/v1/detokenize", {"tokens": [1], "model": "gpt-9"}, 404, "model_not_found"),
        ("/v1/detokenize/string", {"tokens": [1], "special_token_policy": "drop"}, 422, "invalid_value"),
        ("/v1/tokenize", {"messages": "hi", "model": "gpt-9"}, 404, "model_not_found"),
    ],
)
def test_token_errors(url: str, path: str, body: object, status: int, code: str) -> None:
    response = _post(url, path, body)
    assert response.status_code == status, response.text
    assert _error(response)["code"] == code


# -- a remote engine that is down or silent --------------------------------------------------------------


@pytest.fixture(scope="module")
def no_servers(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An MCP config with no servers: the remote-engine tests need no tools."""
    config = tmp_path_factory.mktemp("config") / "empty.json"
    config.write_text('{"mcpServers": {}}')
    return str(config)


@contextmanager
def _silent_engine() -> Iterator[int]:
    """A TCP server that accepts connections and never answers; yields its port."""
    held: list[socket.socket] = []
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.1)

        def accept() -> None:
            while not stop.is_set():
                with suppress(TimeoutError):
                    held.append(server.accept()[0])

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield int(server.getsockname()[1])
        finally:
            stop.set()
            thread.join()
            for conn in held:
                conn.close()


def test_an_unreachable_engine_is_a_502(no_servers: str) -> None:
    engine = f"http://127.0.0.1:{free_port()}/v1"
    with launched_api("--engine-url", engine, "--model", "remote-model", "--mcp-config", no_servers) as base:
        response = _post(base, "/v1/chat/completions", {"model": "remote-model", "messages": "hi"}, key=None)
        assert response.status_code == 502, response.text
        assert _error(response)["code"] == "engine_error"
        # Tokenizing a chat needs the model's template, which a remote engine keeps to itself.
        tokenize = _post(base, "/v1/tokenize", {"messages": "hi"}, key=None)
        assert tokenize.status_code == 400 and _error(tokenize)["param"] == "model"


def test_a_silent_engine_is_a_504(no_servers: str) -> None:
    with _silent_engine() as port:
        engine = f"http://127.0.0.1:{port}/v1"
        with launched_api("--engine-url", engine, "--engine-timeout", "1", "--mcp-config", no_servers) as base:
            response = _post(base, "/v1/chat/completions", {"messages": "hi"}, key=None)
    assert response.status_code == 504, response.text
    assert _error(response)["code"] == "engine_timeout"


# -- stopping ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_then_its_mcp_servers(sig: signal.Signals) -> None:
    command = [sys.executable, "-m", "agent.cli", "serve", "--port", "0"]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("mcpagent: serving"):
                break
        base = line.split(" on ", 1)[1].split("/v1", 1)[0]
        assert httpx2.get(f"{base}/health").json()["status"] == "ok"
        servers = descendants(process.pid)
        assert len(servers) >= 2  # the bundled calculator and clock
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
        assert "mcpagent: stopped" in process.stderr.read()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in servers if alive(pid)]
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{base}/health")


def test_a_tool_schema_the_grammar_cannot_express_is_a_400_naming_the_tool(url: str) -> None:
    """Found by the schemathesis fuzz: llama-cpp-python's converter asserts on `{"": null}`, which was a 500."""
    odd = {"type": "function", "function": {"name": "odd", "parameters": {"": None}}}
    response = _post(url, "/v1/chat/completions", {"messages": "hi", "tools": [odd], "max_tokens": 4})
    assert response.status_code == 400, response.text
    assert "tool 'odd'" in str(_error(response)["message"])
