"""The token routes: a chat request to the prompt's token ids, and token ids back to a string or to an
assistant message; ours (`/v1/tokenize`, objects in and out) and mistral-common's spellings beside them
(`/v1/tokenize/`, `/v1/tokenize/request`, `/v1/detokenize/`, bare lists in and out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from agent.completions import openai_types as oa
from agent.completions.conversation import ValidationMode, check_conversation
from agent.completions.engine import ChatEngine
from agent.server import mistral, wire
from agent.server._http import ApiError, api_error, json_response, local_model
from inference import Prepared, TokenError
from inference.openai_convert import tool_call_to_wire

ModelQuery = Annotated[
    str | None, Query(description="The model (for a body that names none, such as a bare list); default: the default.")
]


def token_router(engine: ChatEngine, mode: ValidationMode) -> APIRouter:
    """The token routes over `engine`, checking conversations in validation mode `mode`."""
    router = APIRouter()

    async def prompt_of(
        body: wire.TokenizeRequest, model: str | None, *, checked: oa.ChatCompletionRequest | None = None
    ) -> tuple[str, Prepared]:
        """The prompt of `body`, once the conversation (`checked`, when it was sent in another shape) passes."""
        if body.stream:
            raise ApiError(400, "stream: streaming is not supported here (nothing is generated)", param="stream")
        try:
            check_conversation(checked or body, mode)
            return await engine.prompt(body, model_id=model)
        except Exception as exc:
            raise api_error(exc) from exc

    @router.post("/tokenize", response_model=wire.TokenizeResponse)
    async def tokenize(body: wire.TokenizeRequest, model: ModelQuery = None) -> Response:
        """A chat request rendered with the model's template (tools included) and tokenized, as the first
        model turn would evaluate it. Nothing is generated and no tool runs."""
        model_id, prompt = await prompt_of(body, model)
        n_ctx = engine.pool.get(model_id).model_info.n_ctx
        return json_response(
            wire.TokenizeResponse(
                model=model_id,
                tokens=prompt.tokens,
                count=len(prompt.tokens),
                max_model_len=n_ctx,
                prompt=prompt.prompt if body.return_prompt else None,
            )
        )

    async def tokenize_list(body: mistral.MistralChatRequest, model: ModelQuery = None) -> list[int]:
        """mistral-common's tokenize: a chat request, in OpenAI's format or mistral-common's, to the bare list of
        the prompt's token ids, as the first model turn would evaluate it (tools included)."""
        try:
            request = body.to_openai()
        except Exception as exc:
            raise api_error(exc) from exc
        return (await prompt_of(request, model, checked=body))[1].tokens

    for path in ("/tokenize/", "/tokenize/request"):
        router.add_api_route(
            path,
            tokenize_list,
            methods=["POST"],
            response_model=list[int],
            summary="Tokenize a chat request (mistral-common)",
        )

    @router.post("/detokenize", response_model=wire.DetokenizeResponse | mistral.AssistantMessageOut)
    @router.post(
        "/detokenize/",
        response_model=mistral.AssistantMessageOut | wire.DetokenizeResponse,
        summary="Detokenize to an assistant message (mistral-common)",
    )
    async def detokenize(
        body: Annotated[list[int] | wire.DetokenizeRequest, Body()], model: ModelQuery = None
    ) -> Response:
        """Token ids of a model turn, parsed as an assistant message in the model's tool-call format. A bare
        list gets mistral-common's message (text and thinking chunks in order, `tool_calls`, `prefix`); an
        object `{"tokens": [...]}` gets ours (the raw text, and content, reasoning and tool calls)."""
        if isinstance(body, list):
            backend = local_model(engine, model, body)[1]
            try:
                return json_response(await mistral.assistant_message(backend, body))
            except Exception as exc:
                raise api_error(exc) from exc
        model_id, backend = local_model(engine, model or body.model, body.tokens)
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
        return json_response(wire.DetokenizeResponse(model=model_id, text=text, message=message))

    @router.post("/detokenize/string", response_model=wire.DetokenizeStringResponse | str)
    async def detokenize_string(body: wire.DetokenizeStringRequest, model: ModelQuery = None) -> Any:
        """Token ids to a string; `special_token_policy` says what to do with special tokens. With
        mistral-common's integer policy (0 ignore, 1 keep, 2 raise) the answer is the bare string, as there."""
        model_id, backend = local_model(engine, model or body.model, body.tokens)
        policy = body.policy_name
        try:
            text = await _string(backend, body.tokens, policy)
        except Exception as exc:
            raise api_error(exc) from exc
        if body.mistral_common:
            return text
        return json_response(wire.DetokenizeStringResponse(model=model_id, text=text))

    return router


async def _string(backend: Any, tokens: Sequence[int], policy: str) -> str:
    special = set(backend.special_tokens(tokens))
    if special and policy == "raise":
        found = [t for t in tokens if t in special]
        raise TokenError(found, "special tokens, and special_token_policy is 'raise'")
    kept = list(tokens) if policy == "keep" else [t for t in tokens if t not in special]
    return await backend.detokenize(kept) if kept else ""
