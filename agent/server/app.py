"""The OpenAI-compatible HTTP API over a `ChatEngine`: chat completions (streamed or not), models, health,
the token routes (`agent.server.tokens`) and the docs. Every error leaves in OpenAI's shape with the status
that says whose fault it is (`agent.server._http`)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.completions import openai_types as oa
from agent.completions.conversation import ValidationMode, check_conversation
from agent.completions.engine import ChatEngine, fingerprint
from agent.server import wire
from agent.server._http import ApiError, api_error, json_response, validation_error
from agent.server.tokens import token_router
from inference import UnknownModelError

__all__ = ["ApiError", "api_error", "create_app"]


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


def create_app(
    engine: ChatEngine, *, api_key: str | None = None, validation_mode: ValidationMode | str = ValidationMode.TEST
) -> FastAPI:
    """The HTTP API over an open engine (the caller opens and closes it).

    Args:
        engine: The models and MCP servers to serve.
        api_key: When set, every /v1 route wants `Authorization: Bearer <api_key>`; /, /health and /docs do not.
        validation_mode: How strictly the conversations of chat completions and tokenize requests are checked
            (mistral-common's modes: test, finetuning, serving; see `ValidationMode`).
    """
    mode = ValidationMode(validation_mode)
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
        return validation_error(exc).response()

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
            check_conversation(body, mode)
            if not body.stream:
                return json_response(await engine.complete(body))
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
        return json_response(wire.ModelList(data=cards))

    @v1.get("/models/{model}", response_model=wire.ModelCard)
    async def model(model: str) -> Response:
        """One loaded model."""
        if model not in engine.list_models():
            raise api_error(UnknownModelError(model, engine.list_models()))
        return json_response(wire.ModelCard(id=model, created=loaded_at))

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
        return json_response(wire.Health(status="ok" if ok else "degraded", models=models, servers=servers))

    @app.get("/", include_in_schema=False)
    async def docs_at_root() -> HTMLResponse:
        """The interactive API documentation, as at /docs (mistral-common serves it at / too)."""
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - Swagger UI")

    v1.include_router(token_router(engine, mode))
    app.include_router(v1)
    app.add_middleware(_JsonBodies)
    return app


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
