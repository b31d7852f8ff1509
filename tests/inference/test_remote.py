"""The remote engine backend against llama-cpp-python's own OpenAI-compatible server on loopback,
plus a fake engine for canned answers and garbage."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from importlib.util import find_spec

import pytest

from inference import (
    Backend,
    ChatRequest,
    ChatResponse,
    InferenceError,
    Message,
    NamedTool,
    ResponseDone,
    SamplingParams,
    TextDelta,
)
from inference.errors import (
    EngineError,
    EngineHTTPError,
    EngineProtocolError,
    EngineTimeoutError,
    EngineUnreachableError,
    EngineUnsupportedError,
)
from inference.models import resolve_model
from inference.remote import RemoteBackend
from tests._net import free_port
from tests.inference._engines import FakeEngine, llama_cpp_server
from tools import ToolCall, ToolSpec

pytestmark = pytest.mark.skipif(
    find_spec("sse_starlette") is None or find_spec("starlette_context") is None,
    reason="llama-cpp-python's [server] extra is not installed",
)

KEY = "sk-test-5f1e2d3c4b5a"
ALIAS = "smollm2-135m"
ADD = ToolSpec(
    name="add",
    description="Add two integers.",
    input_schema={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
GREEDY = SamplingParams(max_tokens=16, temperature=0.0, seed=1)


def ask(text: str, **kwargs: object) -> ChatRequest:
    kwargs.setdefault("sampling", GREEDY)
    return ChatRequest(messages=[Message(role="user", content=text)], **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    with llama_cpp_server(resolve_model(ALIAS), log, api_key=KEY, alias=ALIAS) as url:
        yield url


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEngine]:
    with FakeEngine() as engine:
        yield engine


@pytest.fixture
async def remote(server_url: str) -> AsyncIterator[RemoteBackend]:
    async with RemoteBackend(f"{server_url}/v1", model=ALIAS, api_key=KEY) as backend:
        yield backend


# -- the real server ------------------------------------------------------------------------------


async def test_complete_and_stream(remote: RemoteBackend) -> None:
    whole = await remote.complete(ask("Name a colour."))
    assert whole.message.role == "assistant" and whole.message.content
    assert whole.finish_reason in ("stop", "length") and not whole.message.tool_calls
    assert whole.usage.prompt_tokens > 10 and 0 < whole.usage.completion_tokens <= 16

    async with remote.stream(ask("Name a colour.")) as items:
        seen = [item async for item in items]
    deltas = [item.text for item in seen if isinstance(item, TextDelta)]
    assert len(deltas) > 1 and isinstance(seen[-1], ResponseDone)
    streamed = seen[-1].response
    # Not equal to `whole`: llama.cpp's prompt cache changes the last logits slightly, so greedy runs differ.
    assert "".join(deltas) == streamed.message.content
    assert streamed.finish_reason in ("stop", "length")
    assert streamed.usage.prompt_secs > 0  # measured here: the server sends no usage when streaming


async def test_named_tool_choice_comes_back_as_a_call(remote: RemoteBackend) -> None:
    request = ask("What is 2 plus 3?", tools=[ADD], tool_choice=NamedTool(name="add"))
    response = await remote.complete(request)
    assert response.finish_reason == "tool_calls"
    (call,) = response.message.tool_calls
    assert call.name == "add" and call.id.startswith("call_")  # the server's id is kept
    assert set(call.arguments) == {"a", "b"} and all(isinstance(v, int) for v in call.arguments.values())

    async with remote.stream(request) as items:
        seen = [item async for item in items]
    assert not [item for item in seen if isinstance(item, TextDelta)]
    done = seen[-1]
    assert isinstance(done, ResponseDone)
    (streamed,) = done.response.message.tool_calls
    assert (streamed.name, streamed.arguments) == (call.name, call.arguments) and streamed.id.startswith("call_")


async def test_a_tool_round_trip_is_accepted(remote: RemoteBackend) -> None:
    call = ToolCall(id="abc123XYZ", name="add", arguments={"a": 2, "b": 3})
    history = [
        Message(role="user", content="What is 2 plus 3?"),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", content="5", tool_call_id="abc123XYZ", name="add"),
    ]
    response = await remote.complete(ChatRequest(messages=history, tools=[ADD], sampling=GREEDY))
    assert response.message.content and not response.message.tool_calls


async def test_a_gbnf_grammar_constrains_the_answer(remote: RemoteBackend) -> None:
    response = await remote.complete(ask("Is the sky blue?", grammar='root ::= "yes" | "no"'))
    assert response.message.content in ("yes", "no")


async def test_tokenize_detokenize_and_count(remote: RemoteBackend) -> None:
    tokens = await remote.tokenize("Hello world, how are you?")
    assert tokens and all(isinstance(t, int) for t in tokens)
    assert await remote.detokenize(tokens) == "Hello world, how are you?"

    messages = [
        Message(role="system", content="You answer in one word."),
        Message(role="user", content="What colour is the sky on a clear day?"),
    ]
    estimate = await remote.count_tokens(messages)
    actual = (await remote.complete(ChatRequest(messages=messages, sampling=GREEDY))).usage.prompt_tokens
    assert abs(estimate - actual) <= 3, (estimate, actual)
    assert await remote.count_tokens([]) == 0
    assert remote.model_info.id == ALIAS and remote.model_info.chat_format == "openai"


@pytest.mark.parametrize("key", ["sk-wrong-0000", None])
async def test_a_wrong_or_missing_key_is_a_401(
    server_url: str, key: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with RemoteBackend(server_url, model=ALIAS, api_key=key) as backend:
        with pytest.raises(EngineHTTPError) as info:
            await backend.complete(ask("hi"))
    error = info.value
    assert error.status_code == 401 and error.is_client_error and not error.is_server_error
    assert error.message == "Invalid API key"
    assert error.url == f"{server_url}/v1/chat/completions"
    assert str(error) == f"{server_url}/v1/chat/completions: engine answered HTTP 401: Invalid API key"
    if key:
        assert key not in str(error) and key not in repr(backend) and key not in caplog.text
        assert repr(backend) == f"RemoteBackend({server_url!r}, model={ALIAS!r}, api_key='***')"


async def test_leaving_a_stream_early_frees_the_connection(remote: RemoteBackend) -> None:
    async with remote.stream(ask("Tell me a long story.", sampling=SamplingParams(max_tokens=32))) as items:
        async for item in items:
            assert isinstance(item, TextDelta)
            break
    assert (await remote.complete(ask("hi"))).message.content


async def test_the_key_is_redacted_from_what_the_engine_echoes(fake: FakeEngine) -> None:
    async with RemoteBackend(fake.url("echokey"), model="m", api_key=KEY) as backend:
        with pytest.raises(EngineHTTPError) as info:
            await backend.complete(ask("hi"))
    assert info.value.status_code == 403 and info.value.message == "rejected Bearer ***"
    assert KEY not in str(info.value)


# -- an engine that is not there ------------------------------------------------------------------


async def test_a_closed_port_is_unreachable_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    async with RemoteBackend(url, model="m", max_retries=2, retry_backoff_secs=0.01) as backend:
        with pytest.raises(EngineUnreachableError) as info:
            await backend.complete(ask("hi"))
        with pytest.raises(EngineUnreachableError):
            async with backend.stream(ask("hi")):
                pass
    assert time.perf_counter() - started < 5
    assert info.value.attempts == 3 and info.value.url == f"{url}/v1/chat/completions"
    assert str(info.value).startswith(f"{url}/v1/chat/completions: engine unreachable after 3 attempts: ")


async def test_an_unknown_host_is_unreachable() -> None:
    url = "http://no-such-host.invalid:8080"
    async with RemoteBackend(url, model="m", timeout_secs=3, max_retries=0) as backend:
        # A resolver that answers says unreachable; one that does not answer, a connect timeout.
        with pytest.raises((EngineUnreachableError, EngineTimeoutError)) as info:
            await backend.complete(ask("hi"))
    assert str(info.value).startswith(f"{url}/v1/chat/completions: engine ")


async def test_a_slow_engine_times_out(fake: FakeEngine) -> None:
    async with RemoteBackend(fake.url("slow"), model="m", timeout_secs=0.2, max_retries=0) as backend:
        with pytest.raises(EngineTimeoutError) as info:
            await backend.complete(ask("hi"))
    assert info.value.timeout_secs == 0.2 and info.value.phase == "read"
    assert str(info.value) == f"{fake.url('slow')}/v1/chat/completions: engine did not answer within 0.2 s"


async def test_using_it_unopened_or_with_a_bad_url_is_a_developer_error() -> None:
    unopened = RemoteBackend("http://127.0.0.1:9", model="m")
    assert isinstance(unopened, Backend)
    with pytest.raises(InferenceError, match="async with"):
        await unopened.complete(ask("hi"))
    for bad in ("127.0.0.1:8080", "ftp://host/v1", "http://"):
        with pytest.raises(ValueError, match="base_url"):
            RemoteBackend(bad, model="m")


# -- garbage ----------------------------------------------------------------------------------------


async def complete_at(fake: FakeEngine, scenario: str, request: ChatRequest | None = None) -> ChatResponse:
    async with RemoteBackend(fake.url(scenario), model="m", max_retries=0) as backend:
        return await backend.complete(request or ask("hi"))


async def stream_at(fake: FakeEngine, scenario: str) -> list[object]:
    seen: list[object] = []
    async with RemoteBackend(fake.url(scenario), model="m", max_retries=0) as backend:
        async with backend.stream(ask("hi")) as items:
            async for item in items:
                seen.append(item)
    return seen


@pytest.mark.parametrize(
    ("scenario", "error", "words"),
    [
        ("notjson", EngineProtocolError, "the body is not JSON (body starts '<html><body>It works!"),
        ("nochoices", EngineProtocolError, "the answer has no `choices`"),
        ("truncated", EngineProtocolError, "peer closed connection"),
        ("error500", EngineHTTPError, "engine answered HTTP 500: model exploded"),
    ],
)
async def test_garbage_from_complete_is_a_typed_error(
    fake: FakeEngine, scenario: str, error: type[EngineError], words: str
) -> None:
    with pytest.raises(error) as info:
        await complete_at(fake, scenario)
    assert info.value.url == f"{fake.url(scenario)}/v1/chat/completions"
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("scenario", "error", "words"),
    [
        ("cutsse", EngineProtocolError, "the event stream ended before the response finished"),
        ("badsse", EngineProtocolError, "a stream event is not JSON (body starts '{not json')"),
        ("streamerror", EngineHTTPError, "engine answered HTTP 500: out of memory"),
    ],
)
async def test_a_broken_stream_is_a_typed_error_after_the_good_part(
    fake: FakeEngine, scenario: str, error: type[EngineError], words: str
) -> None:
    seen: list[object] = []
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        async with RemoteBackend(fake.url(scenario), model="m") as backend:
            async with backend.stream(ask("hi")) as items:
                async for item in items:
                    seen.append(item)
    assert seen == [TextDelta(text="Hel")]


async def test_502_and_503_are_retried_then_reported(fake: FakeEngine) -> None:
    before = fake.hits["unavailable"]
    async with RemoteBackend(fake.url("unavailable"), model="m", max_retries=2, retry_backoff_secs=0.01) as backend:
        with pytest.raises(EngineHTTPError) as info:
            await backend.complete(ask("hi"))
    assert fake.hits["unavailable"] - before == 3
    assert info.value.status_code == 503 and info.value.is_server_error and info.value.message == "Loading model"
    before = fake.hits["error500"]
    with pytest.raises(EngineHTTPError):
        async with RemoteBackend(fake.url("error500"), model="m", retry_backoff_secs=0.01) as backend:
            await backend.complete(ask("hi"))
    assert fake.hits["error500"] - before == 1  # a 500 may have run the model: never resent


# -- mapping, both ways --------------------------------------------------------------------------------


async def test_the_request_body_carries_messages_tools_choice_and_sampling(fake: FakeEngine) -> None:
    call = ToolCall(id="abc123XYZ", name="add", arguments={"a": 2, "b": "é"})
    history = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Add."),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", content="5", tool_call_id="abc123XYZ", name="add"),
    ]
    sampling = SamplingParams(
        max_tokens=7, temperature=0.5, top_k=3, min_p=0.1, repeat_penalty=1.2, seed=9, stop=("x",)
    )
    request = ChatRequest(messages=history, tools=[ADD], tool_choice=NamedTool(name="add"), sampling=sampling)
    async with RemoteBackend(fake.url("echo"), model="m", api_key=KEY, extra_body={"mirostat_mode": 0}) as backend:
        seen, required, plain = [
            json.loads((await backend.complete(r)).message.content or "")
            for r in (
                request,
                ask("hi", tools=[ADD], tool_choice="required", json_schema={"type": "object"}),
                ask("hi", tool_choice="required"),
            )
        ]
    body = seen["body"]
    assert seen["authorization"] == f"Bearer {KEY}"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Add."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "abc123XYZ", "type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": "é"}'}}]},
        {"role": "tool", "content": "5", "tool_call_id": "abc123XYZ"},
    ]  # fmt: skip
    assert body["tools"] == [{"type": "function", "function": {
        "name": "add", "description": "Add two integers.", "parameters": dict(ADD.input_schema)}}]  # fmt: skip
    assert body["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert {k: body[k] for k in ("model", "stream", "max_tokens", "temperature", "top_k", "min_p", "seed", "stop")} == {
        "model": "m", "stream": False, "max_tokens": 7, "temperature": 0.5, "top_k": 3, "min_p": 0.1,
        "seed": 9, "stop": ["x"],
    }  # fmt: skip
    assert body["repeat_penalty"] == 1.2 and body["mirostat_mode"] == 0
    assert required["body"]["tool_choice"] == "required" and required["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "response", "schema": {"type": "object"}, "strict": True}
    }  # fmt: skip
    assert "tools" not in plain["body"] and "tool_choice" not in plain["body"]  # no tools: no choice to make


async def test_a_full_answer_is_parsed(fake: FakeEngine, caplog: pytest.LogCaptureFixture) -> None:
    response = await complete_at(fake, "canned")
    message = response.message
    assert message.content == "Let me check." and message.reasoning == "The user wants the time."
    first, second = message.tool_calls
    assert first == ToolCall(id="call_A1", name="clock_now", arguments={"timezone": "Europe/Paris"})
    # Arguments that are not a JSON object keep the call (with a fresh id) so the agent can answer it.
    assert second.name == "calc_evaluate" and second.arguments == {} and len(second.id) == 9
    assert "calc_evaluate" in caplog.text and "'2 + 2'" in caplog.text
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (50, 11, 40)
    assert (usage.prompt_secs, usage.decode_secs, usage.decode_tokens) == (0.025, 0.1, 10)
    assert response.finish_reason == "tool_calls"


async def test_a_full_stream_is_assembled(fake: FakeEngine) -> None:
    seen = await stream_at(fake, "canned")
    assert seen[:-1] == [TextDelta(text="Let me "), TextDelta(text="check.")]
    done = seen[-1]
    assert isinstance(done, ResponseDone)
    message = done.response.message
    assert message.content == "Let me check." and message.reasoning == "The user wants the time."
    first, second = message.tool_calls
    assert first == ToolCall(id="call_A1", name="clock_now", arguments={"timezone": "Europe/Paris"})
    assert second.name == "calc_evaluate" and second.arguments == {"expression": "2+2"} and len(second.id) == 9
    assert (done.response.usage.prompt_tokens, done.response.usage.cached_tokens) == (50, 40)
    assert done.response.finish_reason == "tool_calls"


async def test_what_engines_write_beyond_openai_is_read_leniently(fake: FakeEngine) -> None:
    whole = await complete_at(fake, "quirks")
    assert whole.message.content == "Hi there" and whole.message.reasoning == "Greet."
    assert whole.finish_reason == "stop" and not whole.message.tool_calls
    usage = whole.usage
    assert (usage.completion_tokens, usage.prompt_secs, usage.decode_secs, usage.decode_tokens) == (3, 0.005, 0.02, 2)

    seen = await stream_at(fake, "quirks")
    done = seen[-1]
    assert seen[:-1] == [] and isinstance(done, ResponseDone)
    assert done.response.message.reasoning == "Greet." and done.response.message.content is None
    (call,) = done.response.message.tool_calls
    assert call == ToolCall(id="call_B2", name="clock_now", arguments={"timezone": "UTC"})
    assert done.response.finish_reason == "tool_calls"


async def test_max_calls_per_turn_caps_the_calls(fake: FakeEngine) -> None:
    response = await complete_at(fake, "canned", ask("hi", max_calls_per_turn=1))
    assert [c.name for c in response.message.tool_calls] == ["clock_now"]


async def test_a_stream_answered_with_one_json_body_still_streams(fake: FakeEngine) -> None:
    seen = await stream_at(fake, "echo")
    assert isinstance(seen[0], TextDelta) and isinstance(seen[-1], ResponseDone) and len(seen) == 2
    assert json.loads(seen[0].text)["body"]["stream"] is True


async def test_tokenizer_falls_back_to_llama_server_routes_or_says_there_is_none(fake: FakeEngine) -> None:
    async with RemoteBackend(fake.url("llamaserver"), model="m") as backend:
        assert await backend.tokenize("hi") == [104, 105]
        assert await backend.detokenize([104, 105]) == "hi"
    assert fake.hits["llamaserver"] == 3  # /extras/tokenize (404), /tokenize, then straight to /detokenize
    async with RemoteBackend(fake.url("notokenizer"), model="m") as backend:
        with pytest.raises(EngineUnsupportedError) as info:
            await backend.tokenize("hi")
    root = fake.url("notokenizer")
    assert info.value.tried == (f"{root}/extras/tokenize", f"{root}/tokenize")
    assert "engine has no tokenizer endpoint" in str(info.value)
