"""What every route of the server shares: errors in OpenAI's shape with the status that says whose fault it
is (`ApiError`, `api_error`), request validation errors as one line per field, JSON bodies, and the local
model a token route needs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from agent.completions.conversation import ConversationError
from agent.completions.engine import ChatEngine
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
from mcp_client import MCPClientError
from tools._paths import field_path

logger = logging.getLogger("agent.server.app")

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
            error=wire.ErrorDetail(message=message, type=_STATUS_TYPES.get(status, "api_error"), param=param, code=code)
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
    if isinstance(exc, ConversationError):
        return ApiError(400, str(exc), param=exc.field, code=exc.rule)
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


def validation_error(exc: RequestValidationError) -> ApiError:
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


def json_response(model: Any) -> Response:
    """A pydantic model as the response body, without FastAPI validating it once more."""
    return Response(model.model_dump_json(), media_type="application/json")


def local_model(engine: ChatEngine, model: str | None, tokens: Sequence[int]) -> tuple[str, LocalPrompts]:
    """The model of a token route, which must be local, with the token list checked non-empty."""
    try:
        model_id, backend = engine.route(model)
    except UnknownModelError as exc:
        raise api_error(exc) from exc
    if not tokens:
        raise ApiError(400, "tokens: give at least one token id", param="tokens", code="empty_tokens")
    if not isinstance(backend, LocalPrompts):
        reason = f"model: {model_id!r} runs on a remote engine; detokenize needs a local model"
        raise ApiError(400, reason, param="model")
    return model_id, backend
