"""mistral-common's experimental server, as its documentation's client code calls it: each request of
`docs/usage/experimental.md` sent as written with `requests` to a live `mcpagent serve` (the token ids are our
model's), the round trips, and the validation modes on these routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import requests
from fastapi.encoders import jsonable_encoder
from mistral_common.protocol.instruct.chunk import TextChunk, ThinkChunk
from mistral_common.protocol.instruct.messages import SystemMessage, UserMessage
from mistral_common.protocol.instruct.request import ChatCompletionRequest

from agent.server.launch import launched_api
from inference import ChatRequest, Message, SamplingParams, resolve_model
from inference.llama_cpp_backend import LlamaCppBackend
from tools import ToolSpec

pytestmark = pytest.mark.model

HELLO = {"messages": [{"role": "user", "content": "Hello, how are you?"}]}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with launched_api("--max-tokens", "16") as base:
        yield base


@pytest.fixture(scope="module")
def thinking_url() -> Iterator[str]:
    """The same model read as a family that writes `<think>` blocks and Hermes calls."""
    with launched_api("--chat-format", "hermes", "--max-tokens", "16") as base:
        yield base


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


def _tokens(text: str) -> list[int]:
    """Our model's token ids of `text`, special tokens parsed."""

    async def run() -> list[int]:
        async with LlamaCppBackend(resolve_model("smollm2-135m")) as model:
            return await model.tokenize(text)

    return anyio.run(run)


# -- the documentation's requests, as written ------------------------------------------------------------


def test_tokenize_simple_request(url: str) -> None:
    response = requests.post(f"{url}/v1/tokenize/", json={
        "messages": [
            {"role": "user", "content": "Hello, how are you?"}
        ]
    })  # fmt: skip
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert isinstance(tokens, list) and tokens and all(isinstance(t, int) for t in tokens)
    # The same prompt our own route gives, tools included; and the older spelling answers the same.
    ours = requests.post(f"{url}/v1/tokenize", json={**HELLO, "return_prompt": True}).json()
    assert tokens == ours["tokens"]
    assert requests.post(f"{url}/v1/tokenize/request", json=HELLO).json() == tokens


def test_tokenize_complex_request_with_think_chunks(url: str) -> None:
    system_message = SystemMessage(
        content=[
            TextChunk(
                text=(
                    "First draft your thinking process (inner monologue) until you arrive at a response. Format your "
                    "response using Markdown, and use LaTeX for any mathematical equations. Write both your thoughts "
                    "and the response in the same language as the input.\n\nYour thinking process must follow the "
                    "template below:"
                )
            ),
            ThinkChunk(
                thinking=(
                    "Your thoughts or/and draft, like working through an exercise on scratch paper. Be as casual and "
                    "as long as you want until you are confident to generate the response. Use the same language as "
                    "the input."
                ),
                closed=True,
            ),
            TextChunk(text="Here, provide a self-contained response."),
        ],
    )

    response = requests.post(
        f"{url}/v1/tokenize/",
        json=jsonable_encoder(
            ChatCompletionRequest(messages=[
                system_message,
                UserMessage(content="How many 'r' are there in strawberry ?")
            ])
        ),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    text = requests.post(f"{url}/v1/detokenize/string", json={"tokens": response.json(), "special_token_policy": 1})
    assert "<think>Your thoughts or/and draft" in text.json() and "How many 'r' are there" in text.json()


def test_detokenize_to_assistant_message(url: str) -> None:
    response = requests.post(
        f"{url}/v1/detokenize/",
        json=[1, 3, 22177, 1044, 2606, 1584, 1636, 1063, 4]
    )  # fmt: skip
    assert response.status_code == 200, response.text
    message = response.json()
    assert set(message) == {"role", "content", "tool_calls", "prefix"} and message["role"] == "assistant"
    assert isinstance(message["content"], str) and message["tool_calls"] is None and message["prefix"] is True
    # The documentation's other lists hold ids past our model's vocabulary (49152): a 400 naming them.
    response = requests.post(
        f"{url}/v1/detokenize/",
        json=[12598, 1639, 3648, 2314, 1494, 1046, 34, 6958, 1584, 1032, 1051, 1576, 1114, 1039, 1294, 51567, 33681, 3082, 35, 19587, 1051, 19587, 2]  # noqa: E501 (as the documentation writes it)
    )  # fmt: skip
    assert response.status_code == 400 and "51567" in _error(response)["message"]


def test_detokenize_to_string(url: str) -> None:
    tokens = requests.post(f"{url}/v1/tokenize/", json=HELLO).json()
    response = requests.post(f"{url}/v1/detokenize/string", json={
        "tokens": tokens,
        "special_token_policy": 1,
    })  # fmt: skip
    assert response.status_code == 200, response.text
    prompt = requests.post(f"{url}/v1/tokenize", json={**HELLO, "return_prompt": True}).json()["prompt"]
    assert response.json() == prompt  # the round trip gives the rendered prompt back, as a bare string
    ignored = requests.post(f"{url}/v1/detokenize/string", json={"tokens": tokens, "special_token_policy": 0})
    assert "<|im_start|>" not in ignored.json() and "Hello, how are you?" in ignored.json()
    raised = requests.post(f"{url}/v1/detokenize/string", json={"tokens": tokens, "special_token_policy": 2})
    assert raised.status_code == 400 and _error(raised)["code"] == "invalid_token"


def test_chat_completions_with_only_messages(url: str) -> None:
    response = requests.post(f"{url}/v1/chat/completions", json={
        "messages": [
            {"role": "user", "content": "Hello, how are you?"}
        ]
    })  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["role"] == "assistant"


def test_the_docs_are_served_at_the_root(url: str) -> None:
    response = requests.get(f"{url}/", allow_redirects=False)
    assert response.status_code == 200 and "swagger-ui" in response.text and "/openapi.json" in response.text


# -- around the documentation ----------------------------------------------------------------------------


def test_streaming_a_tokenize_request_is_a_400_that_says_so(url: str) -> None:
    response = requests.post(f"{url}/v1/tokenize/", json={**HELLO, "stream": True})
    assert response.status_code == 400 and _error(response)["param"] == "stream"
    assert "streaming is not supported" in _error(response)["message"]


def test_the_trailing_slash_is_no_redirect_and_the_object_body_keeps_its_answer(url: str) -> None:
    tokens = requests.post(f"{url}/v1/tokenize/", json=HELLO).json()
    for path in ("/v1/detokenize/", "/v1/detokenize"):
        response = requests.post(f"{url}{path}", json=tokens, allow_redirects=False)
        assert response.status_code == 200 and set(response.json()) == {"role", "content", "tool_calls", "prefix"}
    ours = requests.post(f"{url}/v1/detokenize", json={"tokens": tokens}, allow_redirects=False).json()
    assert set(ours) == {"model", "text", "message"}


def test_a_model_is_chosen_by_field_or_query(url: str) -> None:
    assert requests.post(f"{url}/v1/tokenize/?model=smollm2-135m", json=HELLO).status_code == 200
    unknown = requests.post(f"{url}/v1/tokenize/", json={**HELLO, "model": "gpt-9"})
    assert unknown.status_code == 404 and _error(unknown)["code"] == "model_not_found"
    unknown = requests.post(f"{url}/v1/detokenize/?model=gpt-9", json=[1, 2])
    assert unknown.status_code == 404 and _error(unknown)["code"] == "model_not_found"


def test_a_real_tool_call_turn_detokenizes_to_tool_calls(url: str) -> None:
    """The model's own turn (calls constrained by the grammar), its tokens back to mistral-common's message."""
    add = ToolSpec(
        name="add",
        description="Add two integers.",
        input_schema={"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
    )

    async def turn() -> list[int]:
        async with LlamaCppBackend(resolve_model("smollm2-135m")) as model:
            request = ChatRequest(
                messages=[Message(role="user", content="Add 2 and 3.")],
                tools=[add],
                tool_choice="required",
                sampling=SamplingParams(max_tokens=48),
            )
            response = await model.complete(request)
            return await model.tokenize(response.raw_text + "<|im_end|>")

    tokens = anyio.run(turn)
    message = requests.post(f"{url}/v1/detokenize/", json=tokens).json()
    assert message["content"] is None and message["prefix"] is False
    assert message["tool_calls"] and {c["function"]["name"] for c in message["tool_calls"]} == {"add"}
    assert all(c["type"] == "function" and c["id"] for c in message["tool_calls"])


@pytest.mark.parametrize(
    ("text", "chunks", "prefix"),
    [
        (
            "<think>\nThere are 3 'r' in strawberry.\n</think>\n\n$$3$$<|im_end|>",
            [{"type": "thinking", "thinking": "There are 3 'r' in strawberry.", "closed": True},
             {"type": "text", "text": "$$3$$"}],
            False,
        ),
        ("Let me think.<think>Still counting", [{"type": "text", "text": "Let me think."},
                                                {"type": "thinking", "thinking": "Still counting", "closed": False}],
         True),
    ],
)  # fmt: skip
def test_a_reasoning_turn_gives_thinking_chunks_in_order(
    thinking_url: str, text: str, chunks: list[dict[str, Any]], prefix: bool
) -> None:
    message = requests.post(f"{thinking_url}/v1/detokenize/", json=_tokens(text)).json()
    assert message == {"role": "assistant", "content": chunks, "tool_calls": None, "prefix": prefix}


# -- validation on these routes --------------------------------------------------------------------------

ORPHAN = {
    "messages": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "tool_calls": [{"id": "abc999999", "type": "function",
                                              "function": {"name": "add", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "abc999999", "content": "4"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "and 3+3?"},
        {"role": "assistant", "content": "6"},
        {"role": "tool", "tool_call_id": "abc123456", "content": "6"},
    ]
}  # fmt: skip


@pytest.mark.parametrize("path", ["/v1/tokenize/", "/v1/tokenize/request", "/v1/tokenize", "/v1/chat/completions"])
def test_a_broken_conversation_is_a_400_naming_the_message_and_rule(url: str, path: str) -> None:
    response = requests.post(f"{url}{path}", json=ORPHAN)
    assert response.status_code == 400, response.text
    error = _error(response)
    assert error["param"] == "messages[6]" and error["code"] == "tool_without_call", error


@pytest.mark.parametrize(
    ("mode", "body", "param", "code"),
    [
        ("serving", HELLO, "model", "model_required"),
        ("serving", {"model": "smollm2-135m", "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "tool_calls": [{"id": "abc123456", "type": "function",
                                                  "function": {"name": "add", "arguments": "{}"}}]},
            {"role": "user", "content": "well?"}]}, "messages[1]", "tool_answers"),
        ("finetuning", HELLO, "messages[0]", "last_message"),
    ],
)  # fmt: skip
def test_each_mode_adds_its_rules(mode: str, body: dict[str, Any], param: str, code: str) -> None:
    with launched_api("--validation-mode", mode, "--max-tokens", "4") as base:
        for path in ("/v1/tokenize/", "/v1/chat/completions"):
            response = requests.post(f"{base}{path}", json=body)
            assert response.status_code == 400, response.text
            assert (_error(response)["param"], _error(response)["code"]) == (param, code)
        # What the mode does not forbid still passes (here: the test mode's answer to the same request).
        fine = requests.post(f"{base}/v1/tokenize/", json={**body, "model": "smollm2-135m", "messages": [
            *body["messages"][:1], {"role": "assistant", "content": "4"}]})  # fmt: skip
        assert fine.status_code == 200, fine.text
