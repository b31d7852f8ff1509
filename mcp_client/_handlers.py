"""Our client-side handlers as the SDK session's callbacks: requests converted to our types on the way in,
answers to MCP types on the way out, and a handler's failure to a JSON-RPC error for the server."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypedDict, TypeVar

import mcp.types as mt
from mcp.client.session import (
    ClientRequestContext,
    ElicitationFnT,
    ListRootsFnT,
    LoggingFnT,
    SamplingFnT,
)

from mcp_client._convert import content_from_mcp
from mcp_client.handlers import (
    ClientHandlers,
    ElicitationHandler,
    ElicitationRequest,
    LogHandler,
    LogMessage,
    RootsHandler,
    SamplingHandler,
    SamplingMessage,
    SamplingRequest,
)

logger = logging.getLogger("mcp_client")

R = TypeVar("R")


class SessionCallbacks(TypedDict, total=False):
    """The `ClientSession` keyword arguments for the handlers given; none at all when none are given."""

    sampling_callback: SamplingFnT
    elicitation_callback: ElicitationFnT
    list_roots_callback: ListRootsFnT
    logging_callback: LoggingFnT


def session_callbacks(handlers: ClientHandlers | None, server: str) -> SessionCallbacks:
    """The SDK callbacks for `handlers`, on behalf of the server named `server`.

    A handler left None gets no callback, so the session keeps the SDK's default (refuse, and do not
    advertise the capability): no handlers behave exactly as before handlers existed.
    """
    callbacks = SessionCallbacks()
    if handlers is None:
        return callbacks
    if handlers.sampling is not None:
        callbacks["sampling_callback"] = _sampling(handlers.sampling, server)
    if handlers.elicitation is not None:
        callbacks["elicitation_callback"] = _elicitation(handlers.elicitation, server)
    if handlers.roots is not None:
        callbacks["list_roots_callback"] = _roots(handlers.roots, server)
    if handlers.logging is not None:
        callbacks["logging_callback"] = _logging(handlers.logging, server)
    return callbacks


async def _answer(server: str, what: str, answer: Callable[[], Awaitable[R]]) -> R | mt.ErrorData:
    """Run a handler; its failure becomes the error the server receives (the handler refused)."""
    try:
        return await answer()
    except Exception as exc:
        logger.warning("the %s handler failed for MCP server %r: %s", what, server, exc)
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return mt.ErrorData(code=mt.INTERNAL_ERROR, message=f"{what} failed: {message}")


def _sampling(handler: SamplingHandler, server: str) -> SamplingFnT:
    async def callback(
        context: ClientRequestContext, params: mt.CreateMessageRequestParams
    ) -> mt.CreateMessageResult | mt.ErrorData:
        preferences = params.model_preferences
        request = SamplingRequest(
            server=server,
            messages=tuple(
                SamplingMessage(role=m.role, content=tuple(content_from_mcp(b) for b in m.content_as_list))
                for m in params.messages
            ),
            max_tokens=params.max_tokens,
            system_prompt=params.system_prompt,
            temperature=params.temperature,
            stop_sequences=tuple(params.stop_sequences or ()),
            model_hints=tuple(h.name for h in (preferences.hints or ()) if h.name) if preferences else (),
        )

        async def answer() -> mt.CreateMessageResult:
            result = await handler(request)
            return mt.CreateMessageResult(
                role="assistant",
                content=mt.TextContent(text=result.text),
                model=result.model,
                stop_reason=result.stop_reason,
            )

        return await _answer(server, "sampling", answer)

    return callback


def _elicitation(handler: ElicitationHandler, server: str) -> ElicitationFnT:
    async def callback(
        context: ClientRequestContext, params: mt.ElicitRequestParams
    ) -> mt.ElicitResult | mt.ErrorData:
        if isinstance(params, mt.ElicitRequestURLParams):
            request = ElicitationRequest(server=server, message=params.message, url=params.url)
        else:
            schema = params.requested_schema
            request = ElicitationRequest(server=server, message=params.message, requested_schema=schema)

        async def answer() -> mt.ElicitResult:
            result = await handler(request)
            content = dict(result.content) if result.content is not None else None
            return mt.ElicitResult(action=result.action, content=content)

        return await _answer(server, "elicitation", answer)

    return callback


def _roots(handler: RootsHandler, server: str) -> ListRootsFnT:
    async def callback(context: ClientRequestContext) -> mt.ListRootsResult | mt.ErrorData:
        async def answer() -> mt.ListRootsResult:
            roots = await handler(server)
            return mt.ListRootsResult(roots=[mt.Root(uri=r.uri, name=r.name) for r in roots])

        return await _answer(server, "roots", answer)

    return callback


def _logging(handler: LogHandler, server: str) -> LoggingFnT:
    async def callback(params: mt.LoggingMessageNotificationParams) -> None:
        # A raising handler is contained (and logged) by the session: a notification has no reply.
        await handler(LogMessage(server=server, level=params.level, data=params.data, logger=params.logger))

    return callback
