"""The OpenAI-compatible HTTP API over a `ChatEngine`: chat completions (streamed or not), models, health,
tokenize and detokenize. Every error leaves in OpenAI's shape with the status that says whose fault it is."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.completions import openai_types as oa
from agent.completions.engine import ChatEngine, fingerprint
from agent.errors import RequestError
from agent.server import wire
from inference import (
    ContextOverflowError,
    EngineError,
    EngineTimeoutError,
    GrammarError,
    LocalPrompts,
    TokenError,
    UnknownModelError,
)
from inference.openai_convert import tool_call_to_wire
from mcp_client import MCPClientError
from tools._paths import field_path

logger = logging.getLogger(__name__)

_MAX_SHOWN_PROBLEMS = 5
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    422: "invalid_request_error",
}


class ApiError(Exception):
    """An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = wire.ErrorResponse(
            error=wire.ErrorDetail(
                message=message, type=_STATUS_TYPES.get(status, "api_error"), param=param, code=code
            )
        )

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body.as_dict(), status_code=self.status, headers=headers)


def api_error(exc: BaseException) -> ApiError:
    """The status and message for an exception raised while serving a request."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:  # one task's failure, in its group
        exc = exc.exceptions[0]
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, UnknownModelError):
        return ApiError(404, str(exc), param="model", code="model_not_found")
    if isinstance(exc, RequestError):
        return ApiError(400, str(exc), param=exc.field)
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, str(exc), param="messages", code="context_length_exceeded")
    if isinstance(exc, GrammarError):
        return ApiError(400, str(exc), param="grammar")
    if isinstance(exc, TokenError):
        return ApiError(400, str(exc), param="tokens", code="invalid_token")
    if isinstance(exc, EngineTimeoutError):
        return ApiError(504, f"the inference engine did not answer in time: {exc}", code="engine_timeout")
    if isinstance(exc, EngineError):
        return ApiError(502, f"the inference engine failed: {exc}", code="engine_error")
    if isinstance(exc, MCPClientError):
        return ApiError(502, f"an MCP server failed: {exc}", code="mcp_error")
    logger.exception("internal error while serving a request", exc_info=exc)
    return ApiError(500, f"internal error: {type(exc).__name__}: {exc}")


def _place(loc: Sequence[int | str]) -> str:
    """A validation error's location as a field path: ('body', 'messages', 0, 'user', 'content') ->
    messages[0].content (the role that picked the message's model is left out)."""
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    return field_path(
        part
        for index, part in enumerate(parts)
        if not (index >= 2 and parts[index - 2] == "messages" and isinstance(parts[index - 1], int) and part in _ROLES)
    )


_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def _validation_error(exc: RequestValidationError) -> ApiError:
    problems = list(exc.errors())
    for problem in problems:
        if problem.get("type") == "json_invalid":
            reason = problem.get("ctx", {}).get("error", "invalid JSON")
            return ApiError(400, f"the request body is not valid JSON: {reason}", code="invalid_json")
    shown = []
    for problem in problems[:_MAX_SHOWN_PROBLEMS]:
        place = _place(problem.get("loc", ()))
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        if not place and problem.get("type") in ("model_attributes_type", "dict_type", "missing"):
            message = "the request body must be a JSON object"
        shown.append(f"{place}: {message}" if place and not message.startswith(f"{place}:") else message)
    more = f" (and {len(problems) - _MAX_SHOWN_PROBLEMS} more)" if len(problems) > _MAX_SHOWN_PROBLEMS else ""
    first = _place(problems[0].get("loc", ())) if problems else None
    return ApiError(422, "; ".join(shown) + more, param=first or None, code="invalid_value")


def _json(model: Any) -> Response:
    """A pydantic model as the response body, without FastAPI validating it once more."""
    return Response(model.model_dump_json(), media_type="application/json")


class _Auth:
    """The `Authorization: Bearer KEY` check of the /v1 routes, when the server has a key."""

    def __init__(self, api_key: str | None) -> None:
        self._key = api_key.encode() if api_key else None

    def __call__(self, request: Request) -> None:
        if self._key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise ApiError(401, "missing API key: send the header 'Authorization: Bearer KEY'", code="missing_api_key")
        if not secrets.compare_digest(given.strip().encode(), self._key):
            raise ApiError(401, "incorrect API key", code="invalid_api_key")


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": wire.ErrorResponse, "description": what}
    for status, what in {
        400: "Malformed JSON, or a field that cannot be honoured",
        401: "Missing or wrong API key",
        404: "Unknown model",
        422: "A field that violates the schema",
        502: "The remote engine or an MCP server failed",
        504: "The remote engine timed out",
    }.items()
}


class _JsonBodies:
    """Reads every POST body as JSON, whatever its Content-Type says (`curl -d` sends a form type)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)


def create_app(engine: ChatEngine, *, api_key: str | None = None) -> FastAPI:
    """The HTTP API over an open engine (the caller opens and closes it).

    Args:
        engine: The models and MCP servers to serve.
        api_key: When set, every /v1 route wants `Authorization: Bearer <api_key>`; /health and /docs do not.
    """
    app = FastAPI(
        title="mcpagent",
        summary="OpenAI-compatible chat completions with MCP tools run server-side, on local models.",
        version=fingerprint().removeprefix("mcpagent-"),
        redoc_url=None,
    )
    loaded_at = int(time.time())
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(_Auth(api_key))], responses=_ERRORS)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return exc.response(headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = f"no route {request.method} {request.url.path}"
        return ApiError(exc.status_code, message).response(dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return api_error(exc).response()

    @v1.post(
        "/chat/completions",
        response_model=oa.ChatCompletionResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "The response, or its chunks"}},
    )
    async def chat_completions(body: oa.ChatCompletionRequest) -> Response:
        """A chat completion. MCP tools run here, in the agent loop; the request's `tools` come back as
        `tool_calls`. With `stream`, server-sent chunks, each agent event in `mcpagent_event`."""
        try:
            if not body.stream:
                return _json(await engine.complete(body))
            engine.check(body)
        except Exception as exc:
            raise api_error(exc) from exc
        return StreamingResponse(
            _events(engine, body), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @v1.get("/models", response_model=wire.ModelList)
    async def models() -> Response:
        """The loaded models."""
        cards = [wire.ModelCard(id=model_id, created=loaded_at) for model_id in engine.list_models()]
        return _json(wire.ModelList(data=cards))

    @v1.get("/models/{model}", response_model=wire.ModelCard)
    async def model(model: str) -> Response:
        """One loaded model."""
        if model not in engine.list_models():
            raise api_error(UnknownModelError(model, engine.list_models()))
        return _json(wire.ModelCard(id=model, created=loaded_at))

    @v1.post("/tokenize", response_model=wire.TokenizeResponse)
    async def tokenize(body: wire.TokenizeRequest) -> Response:
        """A chat request rendered with the model's template (tools included) and tokenized, as the first
        model turn would evaluate it. Nothing is generated and no tool runs."""
        try:
            model_id, prompt = await engine.prompt(body)
        except Exception as exc:
            raise api_error(exc) from exc
        n_ctx = engine.pool.get(model_id).model_info.n_ctx
        return _json(
            wire.TokenizeResponse(
                model=model_id,
                tokens=prompt.tokens,
                count=len(prompt.tokens),
                max_model_len=n_ctx,
                prompt=prompt.prompt if body.return_prompt else None,
            )
        )

    @v1.post("/detokenize", response_model=wire.DetokenizeResponse)
    async def detokenize(body: wire.DetokenizeRequest) -> Response:
        """Token ids of a model turn, back to text and parsed as an assistant message (content, tool calls,
        reasoning) in the model's tool-call format."""
        model_id, backend = _local(engine, body)
        try:
            text = await backend.detokenize(body.tokens)
        except Exception as exc:
            raise api_error(exc) from exc
        parsed = backend.parse(text)
        message = oa.ResponseMessage(
            content=parsed.content if parsed.content or not parsed.tool_calls else None,
            tool_calls=[tool_call_to_wire(call) for call in parsed.tool_calls] or None,
            reasoning_content=parsed.reasoning,
        )
        return _json(wire.DetokenizeResponse(model=model_id, text=text, message=message))

    @v1.post("/detokenize/string", response_model=wire.DetokenizeStringResponse)
    async def detokenize_string(body: wire.DetokenizeStringRequest) -> Response:
        """Token ids to a string; `special_token_policy` says what to do with special tokens."""
        model_id, backend = _local(engine, body)
        try:
            special = set(backend.special_tokens(body.tokens))
            if special and body.special_token_policy == "raise":
                found = [t for t in body.tokens if t in special]
                raise TokenError(found, "special tokens, and special_token_policy is 'raise'")
            kept = body.tokens if body.special_token_policy == "keep" else [t for t in body.tokens if t not in special]
            text = await backend.detokenize(kept) if kept else ""
        except Exception as exc:
            raise api_error(exc) from exc
        return _json(wire.DetokenizeStringResponse(model=model_id, text=text))

    @app.get("/health", response_model=wire.Health)
    async def health() -> Response:
        """The loaded models and the state of each MCP server."""
        default = engine.get_default_model_id()
        models = []
        for model_id in engine.list_models():
            info = engine.pool.get(model_id).model_info
            models.append(
                wire.ModelHealth(
                    id=model_id, default=model_id == default, path=info.path, n_ctx=info.n_ctx,
                    chat_format=info.chat_format,
                )
            )
        servers = [
            wire.ServerHealth(
                name=s.name, state=str(s.state), transport=s.transport, tools=s.tool_count, restarts=s.restarts,
                error=s.error,
            )
            for s in (engine.mcp.status() if engine.mcp is not None else [])
        ]
        ok = all(s.state == "ready" for s in servers)
        return _json(wire.Health(status="ok" if ok else "degraded", models=models, servers=servers))

    app.include_router(v1)
    app.add_middleware(_JsonBodies)
    return app


def _local(
    engine: ChatEngine, body: wire.DetokenizeRequest | wire.DetokenizeStringRequest
) -> tuple[str, LocalPrompts]:
    """The model of a detokenize request, which must be local, and its token list checked."""
    try:
        model_id, backend = engine.route(body.model)
    except UnknownModelError as exc:
        raise api_error(exc) from exc
    if not body.tokens:
        raise ApiError(400, "tokens: give at least one token id", param="tokens", code="empty_tokens")
    if not isinstance(backend, LocalPrompts):
        reason = f"model: {model_id!r} runs on a remote engine; detokenize needs a local model"
        raise ApiError(400, reason, param="model")
    return model_id, backend


async def _events(engine: ChatEngine, body: oa.ChatCompletionRequest) -> AsyncIterator[str]:
    """The chunks as server-sent events, then `[DONE]`; a failure mid-stream is sent as an error event."""
    try:
        async with engine.stream(body) as chunks:
            async for chunk in chunks:
                yield f"data: {chunk.model_dump_json()}\n\n"
    except Exception as exc:
        yield f"data: {json.dumps(api_error(exc).body.as_dict())}\n\n"
        return
    yield "data: [DONE]\n\n"
