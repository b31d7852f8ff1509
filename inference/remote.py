"""The remote engine backend: any OpenAI-compatible `/v1/chat/completions` server behind `Backend`.

llama.cpp's llama-server, llama-cpp-python's server, vLLM, SGLang, mistral.rs or Ollama do the
templating and tool-call parsing; this module maps our values to the wire and back, and translates
every httpx2 failure, in one place (`_translate`), into the `EngineError` tree.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from types import TracebackType
from typing import Any

import anyio
import httpx2

from inference._engine_replies import EXCERPT_CHARS, StreamTurn, error_message, parse_completion, plain_text
from inference._types import (
    ChatRequest,
    ChatResponse,
    Message,
    ModelInfo,
    ResponseDone,
    StreamItem,
    TextDelta,
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
from inference.openai_convert import request_to_wire

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({502, 503})
"""The request never reached a model (a proxy without upstream, a server still loading): safe to resend."""
_CONNECT_LIMIT_SECS = 10.0
"""Connecting takes milliseconds when the host is up; a host that is down should not cost a minute a try."""
# `count_tokens`: the markers around each message, and the generation prompt (ChatML's numbers).
_PER_MESSAGE_TOKENS = 3
_PRIMING_TOKENS = 3


class RemoteBackend:
    """An OpenAI-compatible engine over HTTP. `async with RemoteBackend(url, model="m") as backend: ...`

    The engine renders its chat template and parses tool calls: tools and `tool_choice` travel as
    OpenAI's native fields, and calls come back with the engine's ids. A call whose arguments are
    not a JSON object is kept with `{}` (see `inference._engine_replies`). Usage is what the engine reports; a
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
        return parse_completion(data, self.shown(path), request.max_calls_per_turn, self._redact)

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
        url = self.shown(path)
        content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        try:
            if content_type != "text/event-stream":
                # Some engines ignore `stream: true` and answer one JSON body: take it whole.
                data = self._decode_json(await response.aread(), path)
                whole = parse_completion(data, url, max_calls, self._redact)
                if whole.message.content:
                    yield TextDelta(text=whole.message.content)
                yield ResponseDone(response=whole)
                return
            turn = StreamTurn(url=url, redact=self._redact, started=started)
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
                        url, "a stream event is not JSON", body=self._redact(event.data[:EXCERPT_CHARS])
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
            raise EngineProtocolError(self.shown(path), "no integer list `tokens` in the tokenize answer")
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
        raise EngineProtocolError(self.shown(path), "no text in the detokenize answer")

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        """An estimate of the prompt's size: the engine renders its chat template out of our sight.

        The roles, contents and tool calls are tokenized as plain text, plus a few tokens per
        message for the role markers and a few for the generation prompt (ChatML's numbers; other
        templates differ by a token or two per message).
        """
        if not messages:
            return 0
        text = "".join(plain_text(m) for m in messages)
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
                tried.append(self.shown(path))
                continue
            self._tokenizer_route = route
            return self._decode_json(response.content, path), path
        raise EngineUnsupportedError(self._shown_root, "tokenizer" if kind == "tokenize" else kind, tried)

    # -- HTTP ----------------------------------------------------------------------------------------

    @property
    def root(self) -> str:
        """The engine's root URL as shown in messages (no user info)."""
        return self._shown_root

    def shown(self, path: str) -> str:
        """The URL of `path` as shown in messages."""
        return self._shown_root + path

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST `body` to `path` under the engine's root and return the decoded JSON answer, with the same
        retries and the same EngineError translation as chat requests (for engine-specific routes)."""
        response = await self._send(path, body, stream=False)
        return self._decode_json(response.content, path)

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _chat_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body = request_to_wire(request, model=self._model, stream=stream)
        return {**body.model_dump(mode="json", exclude_none=True, by_alias=True), **self._extra_body}

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
                logger.debug("%s: %s; retrying", self.shown(path), _describe(exc))
            except httpx2.ConnectError as exc:
                # Nothing reached the engine: resending cannot run a generation twice.
                if last_try:
                    reason = self._redact(_describe(exc))
                    raise EngineUnreachableError(self.shown(path), reason, attempts=attempts) from exc
                logger.debug("%s: %s; retrying", self.shown(path), _describe(exc))
            except httpx2.HTTPError as exc:
                raise self._translate(exc, path) from exc
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in _RETRY_STATUS or last_try:
                    raise await self._status_error(response, path)
                await response.aclose()
                logger.debug("%s: HTTP %d; retrying", self.shown(path), response.status_code)
            await anyio.sleep(self._backoff_secs * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _status_error(self, response: httpx2.Response, path: str) -> EngineHTTPError:
        try:
            raw = await response.aread()
        except httpx2.HTTPError:
            raw = b""
        finally:
            await response.aclose()
        message = self._redact(error_message(raw))
        return EngineHTTPError(self.shown(path), response.status_code, message)

    def _decode_json(self, raw: bytes, path: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            excerpt = raw[:EXCERPT_CHARS].decode("utf-8", "replace")
            raise EngineProtocolError(self.shown(path), "the body is not JSON", body=self._redact(excerpt)) from None

    def _translate(self, exc: httpx2.HTTPError, path: str) -> EngineError:
        """The one place httpx2's errors become ours."""
        url = self.shown(path)
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
