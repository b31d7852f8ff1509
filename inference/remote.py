"""The remote engine backend: any OpenAI-compatible `/v1/chat/completions` server behind `Backend`.

llama.cpp's llama-server, llama-cpp-python's server, vLLM, SGLang, mistral.rs or Ollama do the
templating and tool-call parsing; this module maps our values to the wire and back, and translates
every httpx2 failure, in one place (`_translate`), into the `EngineError` tree.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import httpx2

from inference._types import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    ModelInfo,
    NamedTool,
    ResponseDone,
    StreamItem,
    TextDelta,
    ToolChoice,
    Usage,
)
from inference.errors import (
    EngineError,
    EngineHTTPError,
    EngineProtocolError,
    EngineTimeoutError,
    EngineUnreachableError,
    EngineUnsupportedError,
    InferenceError,
)
from tools import ToolCall, ToolSpec, new_call_id

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({502, 503})
"""The request never reached a model (a proxy without upstream, a server still loading): safe to resend."""
_EXCERPT = 200
_MESSAGE_LIMIT = 500
_CONNECT_LIMIT_SECS = 10.0
"""Connecting takes milliseconds when the host is up; a host that is down should not cost a minute a try."""
# `count_tokens`: the markers around each message, and the generation prompt (ChatML's numbers).
_PER_MESSAGE_TOKENS = 3
_PRIMING_TOKENS = 3


class RemoteBackend:
    """An OpenAI-compatible engine over HTTP. `async with RemoteBackend(url, model="m") as backend: ...`

    The engine renders its chat template and parses tool calls: tools and `tool_choice` travel as
    OpenAI's native fields, and calls come back with the engine's ids. A call whose arguments are
    not a JSON object is kept with `{}` (see `_tool_call`). Usage is what the engine reports; a
    stream times itself where the engine sends no `timings`.

    Args:
        base_url: The server's root (`http://host:8080`) or its API root (`http://host:8080/v1`).
        model: The model name sent with every request (`GET /v1/models` lists what the engine serves).
        api_key: Sent as `Authorization: Bearer ...`; never shown in reprs, errors or logs.
        timeout_secs: Limit on each wait for data: for `complete` the whole generation, for `stream`
            the gap between two chunks. Connecting is limited to the smaller of this and 10 s.
        max_retries: Extra attempts after a connection failure or a 502/503 (never after a 4xx,
            nor once the engine may have started generating).
        retry_backoff_secs: First pause between attempts; doubled each time.
        n_ctx: The engine's context window, when known (reported in `model_info` only).
        headers: More headers for every request (a proxy's routing header, say).
        extra_body: More fields for every chat request, merged last (engine-specific sampling knobs).

    Raises:
        ValueError: `base_url` is not an http(s) URL.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        api_key: str | None = None,
        timeout_secs: float = 60.0,
        max_retries: int = 2,
        retry_backoff_secs: float = 0.25,
        n_ctx: int = 0,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        self._root, self._shown_root = _split_base_url(base_url)
        self._model = model
        self._api_key = api_key
        self._timeout_secs = timeout_secs
        self._connect_secs = min(timeout_secs, _CONNECT_LIMIT_SECS)
        self._max_retries = max(0, max_retries)
        self._backoff_secs = retry_backoff_secs
        self._n_ctx = n_ctx
        self._headers = dict(headers or {})
        self._extra_body = dict(extra_body or {})
        self._client: httpx2.AsyncClient | None = None
        self._tokenizer_route: str | None = None

    def __repr__(self) -> str:
        key = ", api_key='***'" if self._api_key else ""
        return f"RemoteBackend({self._shown_root!r}, model={self._model!r}{key})"

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> RemoteBackend:
        headers = dict(self._headers)
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        timeout = httpx2.Timeout(self._timeout_secs, connect=self._connect_secs)
        self._client = httpx2.AsyncClient(headers=headers, timeout=timeout)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            with anyio.move_on_after(5, shield=True):
                await client.aclose()

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(id=self._model, n_ctx=self._n_ctx, chat_format="openai")

    # -- generation --------------------------------------------------------------------------------

    async def complete(self, request: ChatRequest) -> ChatResponse:
        path = "/v1/chat/completions"
        response = await self._send(path, self._chat_body(request, stream=False), stream=False)
        data = self._decode_json(response.content, path)
        return _parse_completion(data, self._shown(path), request.max_calls_per_turn, self._redact)

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        path = "/v1/chat/completions"
        started = time.perf_counter()
        response = await self._send(path, self._chat_body(request, stream=True), stream=True)
        try:
            async with aclosing(self._stream_items(response, path, started, request.max_calls_per_turn)) as items:
                yield items
        finally:
            with anyio.move_on_after(5, shield=True):
                await response.aclose()

    async def _stream_items(
        self, response: httpx2.Response, path: str, started: float, max_calls: int
    ) -> AsyncGenerator[StreamItem, None]:
        url = self._shown(path)
        content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        try:
            if content_type != "text/event-stream":
                # Some engines ignore `stream: true` and answer one JSON body: take it whole.
                data = self._decode_json(await response.aread(), path)
                whole = _parse_completion(data, url, max_calls, self._redact)
                if whole.message.content:
                    yield TextDelta(text=whole.message.content)
                yield ResponseDone(response=whole)
                return
            turn = _StreamTurn(url=url, redact=self._redact, started=started)
            async for event in httpx2.EventSource(response):
                if event.data.strip() == "[DONE]":
                    turn.done = True
                    break
                if not event.data.strip():
                    continue
                try:
                    chunk = json.loads(event.data)
                except ValueError:
                    raise EngineProtocolError(
                        url, "a stream event is not JSON", body=self._redact(event.data[:_EXCERPT])
                    ) from None
                text = turn.feed(chunk)
                if text:
                    yield TextDelta(text=text)
        except httpx2.HTTPError as exc:
            raise self._translate(exc, path) from exc
        yield ResponseDone(response=turn.response(max_calls))

    # -- tokens ------------------------------------------------------------------------------------

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of `text`, from the engine's tokenizer endpoint.

        llama-cpp-python's `/extras/tokenize` always parses special tokens (and adds BOS where the
        model asks for it); llama-server's and vLLM's `/tokenize` honour `special` and add nothing.

        Raises:
            EngineUnsupportedError: the engine has neither endpoint.
        """
        bodies: dict[str, dict[str, Any]] = {
            "extras": {"input": text, "model": self._model},
            # llama-server reads `content`, vLLM `prompt`; each ignores the other's fields.
            "plain": {
                "content": text,
                "prompt": text,
                "model": self._model,
                "add_special": False,
                "add_special_tokens": False,
                "parse_special": special,
            },
        }
        data, path = await self._tokenizer_call("tokenize", bodies)
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
            raise EngineProtocolError(self._shown(path), "no integer list `tokens` in the tokenize answer")
        return tokens

    async def detokenize(self, tokens: Sequence[int]) -> str:
        """The text of `tokens`, from the engine's detokenize endpoint.

        Raises:
            EngineUnsupportedError: the engine has no detokenize endpoint.
        """
        body = {"tokens": list(tokens), "model": self._model}
        data, path = await self._tokenizer_call("detokenize", {"extras": body, "plain": body})
        if isinstance(data, dict):
            for key in ("text", "content", "prompt"):  # llama-cpp-python, llama-server, vLLM
                if isinstance(data.get(key), str):
                    return str(data[key])
        raise EngineProtocolError(self._shown(path), "no text in the detokenize answer")

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        """An estimate of the prompt's size: the engine renders its chat template out of our sight.

        The roles, contents and tool calls are tokenized as plain text, plus a few tokens per
        message for the role markers and a few for the generation prompt (ChatML's numbers; other
        templates differ by a token or two per message).
        """
        if not messages:
            return 0
        text = "".join(_plain_text(m) for m in messages)
        tokens = await self.tokenize(text, special=False)
        return len(tokens) + _PER_MESSAGE_TOKENS * len(messages) + _PRIMING_TOKENS

    async def _tokenizer_call(self, kind: str, bodies: Mapping[str, Mapping[str, Any]]) -> tuple[Any, str]:
        """POST to llama-cpp-python's `/extras/<kind>`, else to llama-server's (and vLLM's) `/<kind>`.

        The route that answers is remembered, so later calls go straight to it.
        """
        routes = [self._tokenizer_route] if self._tokenizer_route else ["extras", "plain"]
        tried: list[str] = []
        for route in routes:
            path = f"/extras/{kind}" if route == "extras" else f"/{kind}"
            try:
                response = await self._send(path, bodies[route], stream=False)
            except EngineHTTPError as exc:
                if exc.status_code not in (404, 405):
                    raise
                tried.append(self._shown(path))
                continue
            self._tokenizer_route = route
            return self._decode_json(response.content, path), path
        raise EngineUnsupportedError(self._shown_root, "tokenizer" if kind == "tokenize" else kind, tried)

    # -- HTTP ----------------------------------------------------------------------------------------

    def _shown(self, path: str) -> str:
        return self._shown_root + path

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _chat_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        return {**_request_body(request, self._model, stream=stream), **self._extra_body}

    async def _send(self, path: str, body: Mapping[str, Any], *, stream: bool) -> httpx2.Response:
        """POST `body`; retry connection failures and 502/503; raise EngineHTTPError for any status >= 400."""
        client = self._client
        if client is None:
            raise InferenceError("the backend is not open: use `async with RemoteBackend(...)` first")
        url = self._root + path
        attempts = self._max_retries + 1
        for attempt in range(attempts):
            last_try = attempt == attempts - 1
            request = client.build_request("POST", url, json=body)
            try:
                response = await client.send(request, stream=stream)
            except httpx2.ConnectTimeout as exc:
                if last_try:
                    raise self._translate(exc, path) from exc
                logger.debug("%s: %s; retrying", self._shown(path), _describe(exc))
            except httpx2.ConnectError as exc:
                # Nothing reached the engine: resending cannot run a generation twice.
                if last_try:
                    reason = self._redact(_describe(exc))
                    raise EngineUnreachableError(self._shown(path), reason, attempts=attempts) from exc
                logger.debug("%s: %s; retrying", self._shown(path), _describe(exc))
            except httpx2.HTTPError as exc:
                raise self._translate(exc, path) from exc
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in _RETRY_STATUS or last_try:
                    raise await self._status_error(response, path)
                await response.aclose()
                logger.debug("%s: HTTP %d; retrying", self._shown(path), response.status_code)
            await anyio.sleep(self._backoff_secs * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _status_error(self, response: httpx2.Response, path: str) -> EngineHTTPError:
        try:
            raw = await response.aread()
        except httpx2.HTTPError:
            raw = b""
        finally:
            await response.aclose()
        message = self._redact(_error_message(raw))
        return EngineHTTPError(self._shown(path), response.status_code, message)

    def _decode_json(self, raw: bytes, path: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            excerpt = raw[:_EXCERPT].decode("utf-8", "replace")
            raise EngineProtocolError(self._shown(path), "the body is not JSON", body=self._redact(excerpt)) from None

    def _translate(self, exc: httpx2.HTTPError, path: str) -> EngineError:
        """The one place httpx2's errors become ours."""
        url = self._shown(path)
        reason = self._redact(_describe(exc))
        if isinstance(exc, httpx2.TimeoutException):
            phase = {
                httpx2.ConnectTimeout: "connect",
                httpx2.WriteTimeout: "write",
                httpx2.PoolTimeout: "pool",
            }.get(type(exc), "read")
            limit = self._connect_secs if phase == "connect" else self._timeout_secs
            return EngineTimeoutError(url, limit, phase=phase)
        if isinstance(exc, httpx2.ConnectError | httpx2.ProxyError):
            return EngineUnreachableError(url, reason)
        if isinstance(exc, httpx2.NetworkError):
            return EngineUnreachableError(url, f"connection lost: {reason}")
        return EngineProtocolError(url, reason)


# -- request body ----------------------------------------------------------------------------------


def _request_body(request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The OpenAI `/v1/chat/completions` body for a request (llama.cpp's sampling names included)."""
    sampling = request.sampling
    body: dict[str, Any] = {
        "model": model,
        "messages": [_message_json(m) for m in request.messages],
        "stream": stream,
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k,
        "min_p": sampling.min_p,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "repeat_penalty": sampling.repeat_penalty,
    }
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    if stream:
        body["stream_options"] = {"include_usage": True}
    if request.grammar is not None:  # llama-server's and llama-cpp-python's GBNF field
        body["grammar"] = request.grammar
    if request.json_schema is not None:  # OpenAI's form; llama-cpp-python's server knows only `json_object`
        schema = {"name": "response", "schema": dict(request.json_schema), "strict": True}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    if request.tools:  # OpenAI rejects tool_choice without tools
        body["tools"] = [_tool_json(t) for t in request.tools]
        body["tool_choice"] = _tool_choice_json(request.tool_choice)
        if request.max_calls_per_turn == 1:
            body["parallel_tool_calls"] = False
    return body


def _message_json(message: Message) -> dict[str, Any]:
    # Content is "" rather than null: llama-cpp-python's server rejects a null assistant content.
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    elif message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for call in message.tool_calls
        ]
    return out


def _tool_json(tool: ToolSpec) -> dict[str, Any]:
    function = {"name": tool.name, "description": tool.description, "parameters": dict(tool.input_schema)}
    return {"type": "function", "function": function}


def _tool_choice_json(choice: ToolChoice) -> str | dict[str, Any]:
    if isinstance(choice, NamedTool):
        return {"type": "function", "function": {"name": choice.name}}
    return choice


def _plain_text(message: Message) -> str:
    parts = [message.role, "\n", message.content or ""]
    for call in message.tool_calls:
        parts.append(f"\n{call.name} {json.dumps(call.arguments, ensure_ascii=False)}")
    parts.append("\n")
    return "".join(parts)


# -- response --------------------------------------------------------------------------------------


def _parse_completion(data: Any, url: str, max_calls: int, redact: Callable[[str], str]) -> ChatResponse:
    if not isinstance(data, dict):
        raise EngineProtocolError(url, f"the body is a JSON {type(data).__name__}, not an object")
    _raise_in_body_error(data, url, redact)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EngineProtocolError(url, "the answer has no `choices`", body=redact(json.dumps(data)[:_EXCERPT]))
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise EngineProtocolError(url, "`choices[0].message` is missing")
    content = _text(message.get("content"))
    reasoning = _text(message.get("reasoning_content")) or _text(message.get("reasoning"))
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise EngineProtocolError(url, "`choices[0].message.tool_calls` is not a list")
    calls = []
    for index, raw in enumerate(raw_calls):
        function = raw.get("function") if isinstance(raw, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise EngineProtocolError(url, f"`choices[0].message.tool_calls[{index}]` has no function name")
        assert isinstance(function, dict) and isinstance(raw, dict)
        calls.append(_tool_call(raw.get("id"), name, function.get("arguments"), url))
    usage = _usage(data.get("usage"), data.get("timings"))
    return _response(content, reasoning, calls[:max_calls], choices[0].get("finish_reason"), usage)


def _raise_in_body_error(data: Mapping[str, Any], url: str, redact: Callable[[str], str]) -> None:
    """An `{"error": ...}` object where an answer should be (llama-server sends one inside streams)."""
    error = data.get("error")
    if error is None:
        return
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 500
    raise EngineHTTPError(url, status, redact(_error_message(json.dumps({"error": error}).encode())))


def _text(value: Any) -> str | None:
    """Content as text: a string, or the text parts of a content list; None when empty."""
    if isinstance(value, list):
        value = "".join(p.get("text", "") for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))
    return value if isinstance(value, str) and value else None


def _tool_call(call_id: Any, name: str, arguments: Any, url: str) -> ToolCall:
    """A call with the engine's id (a new one if it sent none).

    Arguments that are not a JSON object keep the call, with `{}` as arguments: dropping it would
    turn the model's attempt into an empty final answer, while `{}` makes a tool with required
    parameters fail validation, and that error goes back to the model as the call's result. The
    raw text is logged as a warning.
    """
    if not isinstance(call_id, str) or not call_id:
        call_id = new_call_id()
    decoded: Any = {}
    if isinstance(arguments, dict):
        decoded = arguments
    elif isinstance(arguments, str) and arguments.strip():
        try:
            decoded = json.loads(arguments, strict=False)  # small models emit raw newlines inside strings
        except ValueError:
            decoded = None
    if not isinstance(decoded, dict):
        logger.warning("%s: arguments of %s are not a JSON object: %.200r", url, name, arguments)
        decoded = {}
    return ToolCall(id=call_id, name=name, arguments=decoded)


def _response(
    content: str | None, reasoning: str | None, calls: list[ToolCall], finish: Any, usage: Usage
) -> ChatResponse:
    # Engines differ on the finish reason of a forced call ("stop" from vLLM): calls decide it.
    reason: FinishReason = "tool_calls" if calls else "length" if finish == "length" else "stop"
    message = Message(role="assistant", content=content, reasoning=reasoning, tool_calls=tuple(calls))
    return ChatResponse(message=message, finish_reason=reason, usage=usage, raw_text=content or "")


def _usage(usage: Any, timings: Any, *, measured: tuple[float, float] | None = None) -> Usage:
    """OpenAI `usage` (with `prompt_tokens_details.cached_tokens`) and llama-server's `timings`.

    Without server timings, a stream's own measurements (time to the first delta, then the rest)
    stand in; they include the network.
    """
    usage = usage if isinstance(usage, dict) else {}
    timings = timings if isinstance(timings, dict) else {}
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    completion = _int(usage.get("completion_tokens")) or _int(timings.get("predicted_n"))
    prompt_secs, decode_secs = measured or (0.0, 0.0)
    if timings:
        prompt_secs = _float(timings.get("prompt_ms")) / 1000
        decode_secs = _float(timings.get("predicted_ms")) / 1000
    return Usage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=completion,
        cached_tokens=cached or _int(timings.get("cache_n")),
        prompt_secs=prompt_secs,
        decode_secs=decode_secs,
        decode_tokens=max(completion - 1, 0),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else 0.0


@dataclass(slots=True)
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _StreamTurn:
    """One streamed turn being assembled: content, reasoning, tool calls by index, finish, usage."""

    url: str
    redact: Callable[[str], str]
    started: float
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    finish: Any = None
    usage: Any = None
    timings: Any = None
    first: float | None = None
    last: float = 0.0
    done: bool = False

    def feed(self, chunk: Any) -> str | None:
        """Take one chunk; return its content text, if any."""
        if not isinstance(chunk, dict):
            raise EngineProtocolError(self.url, f"a stream event is a JSON {type(chunk).__name__}, not an object")
        _raise_in_body_error(chunk, self.url, self.redact)
        self.usage = chunk.get("usage") or self.usage
        self.timings = chunk.get("timings") or self.timings
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise EngineProtocolError(self.url, "`choices` in a stream event is not a list")
        if not choices or not isinstance(choices[0], dict):
            return None  # the usage-only chunk at the end
        choice = choices[0]
        self.finish = choice.get("finish_reason") or self.finish
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        text = _text(delta.get("content"))
        reasoning = _text(delta.get("reasoning_content")) or _text(delta.get("reasoning"))
        calls = delta.get("tool_calls") or []
        if text or reasoning or calls:
            self.last = time.perf_counter()
            self.first = self.first or self.last
        if reasoning:
            self.reasoning.append(reasoning)
        if not isinstance(calls, list):
            raise EngineProtocolError(self.url, "`delta.tool_calls` in a stream event is not a list")
        for position, raw in enumerate(calls):
            self._feed_call(position, raw)
        if text:
            self.content.append(text)
        return text

    def _feed_call(self, position: int, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise EngineProtocolError(self.url, "a `delta.tool_calls` item is not an object")
        index = raw.get("index")
        call = self.calls.setdefault(index if isinstance(index, int) else position, _PartialCall())
        if isinstance(raw.get("id"), str) and raw["id"] and not call.id:
            call.id = raw["id"]
        function = raw.get("function")
        if isinstance(function, dict):
            # The name comes whole, once (OpenAI) or repeated in every chunk (llama-cpp-python).
            if isinstance(function.get("name"), str) and function["name"] and not call.name:
                call.name = function["name"]
            if isinstance(function.get("arguments"), str):
                call.arguments.append(function["arguments"])

    def response(self, max_calls: int) -> ChatResponse:
        if not self.done and self.finish is None:
            raise EngineProtocolError(self.url, "the event stream ended before the response finished")
        calls = []
        for index in sorted(self.calls):
            partial = self.calls[index]
            if not partial.name:
                raise EngineProtocolError(self.url, f"streamed tool call {index} has no function name")
            calls.append(_tool_call(partial.id, partial.name, "".join(partial.arguments), self.url))
        measured = None
        if self.first is not None:
            measured = (self.first - self.started, self.last - self.first)
        usage = _usage(self.usage, self.timings, measured=measured)
        content = "".join(self.content) or None
        reasoning = "".join(self.reasoning) or None
        return _response(content, reasoning, calls[:max_calls], self.finish, usage)


# -- helpers -----------------------------------------------------------------------------------------


def _split_base_url(base_url: str) -> tuple[str, str]:
    """(root for requests, root for messages: no user info) from a server root or its `/v1`."""
    try:
        url = httpx2.URL(base_url.strip())
    except httpx2.InvalidURL as exc:
        raise ValueError(f"base_url: {base_url!r} is not a URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url: {base_url!r} is not an http(s) URL such as 'http://127.0.0.1:8080/v1'")
    url = url.copy_with(query=None, fragment=None, path=url.path.rstrip("/").removesuffix("/v1") or "/")
    root = str(url).rstrip("/")
    shown = str(url.copy_with(username=None, password=None)).rstrip("/")
    return root, shown


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _error_message(raw: bytes) -> str:
    """The engine's own words from an error body: OpenAI's `error.message`, FastAPI's `detail`, or text."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:_MESSAGE_LIMIT]
    message: Any = data
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            message = error.get("message", error)
        elif error is not None:
            message = error
        else:
            message = data.get("detail", data.get("message", data))
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    return message[:_MESSAGE_LIMIT]
