"""ChatEngine: loaded models and MCP tools serving OpenAI-shaped chat completions, in one event loop.

The async core of `Runner` (which drives it from other threads) and of the HTTP server. MCP tools run
inside a request, in the agent loop; the caller's `tools` come back as `tool_calls`, unexecuted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from functools import cache
from importlib import metadata
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from agent.completions import openai_types as oa
from agent.completions._constrained import ConstrainedAnswers
from agent.completions._convert import (
    ChunkWriter,
    response_out,
    to_constraint,
    to_messages,
    to_sampling,
    to_tools,
)
from agent.completions._held import HeldTurns
from agent.errors import RequestError
from agent.events import Event, RunFinished
from agent.loop import Agent
from agent.options import AgentOptions
from inference import Backend, LocalPrompts, Message, ModelPool, NamedTool, Prepared, UnknownModelError
from inference.openai_convert import tool_choice_from_wire
from inference.pool import OpenableBackend
from mcp_client import McpClientConfig, MCPClientManager
from tools import ToolSpec
from tools._aio import single_exceptions

DEFAULT_ALIASES = frozenset({"", "default"})
"""Request `model` values that always mean the default model."""


@cache
def fingerprint() -> str:
    try:
        return f"mcpagent-{metadata.version('mcpagent')}"
    except metadata.PackageNotFoundError:
        return "mcpagent"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """A validated request: which model, what conversation, which options and client tools."""

    model_id: str
    backend: Backend
    model: Backend
    """The model itself (`backend` may wrap it to constrain the answer)."""
    messages: list[Message]
    external: list[ToolSpec]
    options: AgentOptions
    response_id: str
    created: int


_TEMPLATE_ARGUMENTS = frozenset(
    {"messages", "tools", "documents", "add_generation_prompt", "raise_exception", "strftime_now", "dict", "namespace"}
)
"""What the runtime gives every chat template itself (and the special tokens, `*_token`)."""


def _template_kwargs(request: oa.ChatCompletionRequest, base: Mapping[str, Any]) -> Mapping[str, Any]:
    """The chat template's extra variables: the engine's, then the request's `chat_template_kwargs`, then
    its `enable_thinking`."""
    given = request.chat_template_kwargs or {}
    if taken := sorted(k for k in given if k in _TEMPLATE_ARGUMENTS or k.endswith("_token")):
        raise RequestError(f"chat_template_kwargs.{taken[0]}", "set by the request itself, not a template variable")
    kwargs = {**base, **given}
    if request.enable_thinking is not None:
        kwargs["enable_thinking"] = request.enable_thinking
    return kwargs


class ChatEngine:
    """Serves chat completions from a pool of models, with the tools of the configured MCP servers.

    Usage::

        backends = [("small", Which.GGUF(quantized_model_id="smollm2-135m").to_backend(model_id="small"))]
        async with ChatEngine(backends, mcp_client_config=config) as engine:
            response = await engine.complete(ChatCompletionRequest(messages=[{"role": "user", "content": "2+2?"}]))

    Args:
        models: (id, unopened backend) pairs, loaded in order when the engine opens.
        default_model_id: The default model (default: the first).
        mcp_client_config: MCP servers whose tools the agent may call; None for no MCP tools.
        agent_options: The base options of every run (rounds, timeouts, approval, sampling defaults).
        route_any_model_to_default: A request `model` that is not loaded goes to the default model (as
            mistral.rs does for a single model) instead of raising UnknownModelError.
    """

    def __init__(
        self,
        models: Sequence[tuple[str, OpenableBackend]],
        *,
        default_model_id: str | None = None,
        mcp_client_config: McpClientConfig | None = None,
        agent_options: AgentOptions | None = None,
        route_any_model_to_default: bool = False,
    ) -> None:
        ids = [model_id for model_id, _ in models]
        if len(set(ids)) != len(ids):
            raise ValueError(f"models: ids must be unique, got {ids}")
        if default_model_id is not None and default_model_id not in ids:
            raise UnknownModelError(default_model_id, ids)
        self._models = list(models)
        self._default = default_model_id
        self._mcp_config = mcp_client_config
        self.agent_options = agent_options or AgentOptions()
        self._lenient = route_any_model_to_default
        self._pool: ModelPool | None = None
        self._manager: MCPClientManager | None = None
        self._stack: AsyncExitStack | None = None
        self._held = HeldTurns()

    async def __aenter__(self) -> ChatEngine:
        async with AsyncExitStack() as stack:
            pool = await stack.enter_async_context(ModelPool())
            for model_id, backend in self._models:
                await pool.add(model_id, backend, default=model_id == self._default)
            if self._mcp_config is not None:
                self._manager = await stack.enter_async_context(MCPClientManager(self._mcp_config))
            self._pool = pool
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        self._pool = self._manager = None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    # -- models --------------------------------------------------------------------------------------

    @property
    def pool(self) -> ModelPool:
        if self._pool is None:
            raise RuntimeError("the engine is not open: use `async with ChatEngine(...)`")
        return self._pool

    @property
    def mcp(self) -> MCPClientManager | None:
        """The MCP client manager, when MCP servers are configured."""
        return self._manager

    def list_models(self) -> list[str]:
        return self.pool.list_models()

    def get_default_model_id(self) -> str | None:
        return self.pool.default_model_id

    def set_default_model_id(self, model_id: str) -> None:
        self.pool.set_default(model_id)

    async def remove_model(self, model_id: str) -> None:
        """Unload a model (its memory is freed). Raises UnknownModelError."""
        await self.pool.remove(model_id)

    def route(self, model: str | None, *, explicit: bool = False) -> tuple[str, Backend]:
        """The model a request goes to. `explicit`: `model` was named by the caller, not a request field.

        Raises:
            UnknownModelError: `model` is not loaded (the message lists the loaded ones).
        """
        pool = self.pool
        loaded = pool.list_models()
        if model is not None and model in loaded:
            return model, pool.get(model)
        if model is None or model in DEFAULT_ALIASES or (self._lenient and not explicit):
            default = pool.default_model_id
            if default is None:
                raise UnknownModelError(model or "default", loaded)
            return default, pool.get(default)
        raise UnknownModelError(model, loaded)

    def agent(self, model_id: str | None = None, **options: Any) -> Agent:
        """An agent on a loaded model with the MCP tools, for a caller that drives runs itself (the CLI).

        Args:
            model_id: The model (default: the default model).
            **options: `AgentOptions` fields that differ from the engine's `agent_options`.

        Raises:
            UnknownModelError: `model_id` is not loaded.
        """
        backend = self.route(model_id, explicit=model_id is not None)[1]
        return Agent(backend, self._manager, replace(self.agent_options, **options))

    # -- requests ------------------------------------------------------------------------------------

    def _plan(self, request: oa.ChatCompletionRequest, model_id: str | None) -> _Plan:
        if model_id is not None:
            served, model = self.route(model_id, explicit=True)
        else:
            served, model = self.route(request.model)
        backend = model
        external = to_tools(request)
        mcp_names = {t.name for t in self._manager.tools} if self._manager is not None else set()
        for spec in external:
            if spec.name in mcp_names:
                raise RequestError("tools", f"{spec.name!r} is also the name of an MCP tool: rename the function")
        choice = tool_choice_from_wire(request.tool_choice)
        if isinstance(choice, NamedTool) and choice.name not in mcp_names | {t.name for t in external}:
            known = ", ".join(sorted(mcp_names | {t.name for t in external})) or "none"
            raise RequestError("tool_choice.function.name", f"{choice.name!r} is not a tool; tools: {known}")
        constraint = to_constraint(request)
        if constraint is not None:
            backend = ConstrainedAnswers(backend, constraint)
        base = self.agent_options
        options = replace(
            base,
            max_rounds=request.max_tool_rounds or base.max_rounds,
            tool_choice=choice,
            sampling=to_sampling(request, base.sampling),
            max_calls_per_turn=1 if request.parallel_tool_calls is False else base.max_calls_per_turn,
            chat_template_kwargs=_template_kwargs(request, base.chat_template_kwargs),
        )
        return _Plan(
            model_id=served,
            backend=backend,
            model=model,
            messages=self._held.restore(to_messages(request)),
            external=external,
            options=options,
            response_id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
        )

    async def complete(
        self, request: oa.ChatCompletionRequest, *, model_id: str | None = None
    ) -> oa.ChatCompletionResponse:
        """Serve a request to its final answer (or to pending client tool calls).

        Args:
            request: The request; its `stream` field is ignored here.
            model_id: Route to this model, overriding `request.model`.

        Raises:
            RequestError: a field that cannot be honoured (named in the message).
            UnknownModelError: the model is not loaded.
            InferenceError: the model failed (e.g. ContextOverflowError).
        """
        plan = self._plan(request, model_id)
        agent = Agent(plan.backend, self._manager, plan.options)
        result = await agent.run(plan.messages, external_tools=plan.external)
        self._held.hold(result)
        return response_out(
            result, response_id=plan.response_id, created=plan.created, model=plan.model_id, fingerprint=fingerprint()
        )

    @asynccontextmanager
    async def stream(
        self, request: oa.ChatCompletionRequest, *, model_id: str | None = None
    ) -> AsyncIterator[ChunkStream]:
        """Serve a request as chunks: OpenAI's, plus one for each agent event (`mcpagent_event`).

        The request is checked before the first chunk (same errors as `complete`). Leaving the block
        early cancels the run.
        """
        plan = self._plan(request, model_id)
        include_usage = request.stream_options is not None and request.stream_options.include_usage
        writer = ChunkWriter(
            response_id=plan.response_id,
            created=plan.created,
            model=plan.model_id,
            fingerprint=fingerprint(),
            include_usage=include_usage,
        )
        send, receive = anyio.create_memory_object_stream[oa.ChatCompletionChunk](64)
        chunks = ChunkStream(receive)

        async def on_event(event: Event) -> None:
            if isinstance(event, RunFinished):
                self._held.hold(event.result)
            for chunk in writer.on_event(event):
                await send.send(chunk)

        async def produce() -> None:
            async with send:
                try:
                    await send.send(writer.start())
                    agent = Agent(plan.backend, self._manager, plan.options)
                    await agent.run(plan.messages, on_event=on_event, external_tools=plan.external)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass  # the reader left early
                except Exception as exc:  # handed to the reader, raised where it iterates
                    chunks.failure = exc

        with single_exceptions():
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(produce)
                try:
                    yield chunks
                finally:
                    receive.close()
                    task_group.cancel_scope.cancel()

    def check(self, request: oa.ChatCompletionRequest, *, model_id: str | None = None) -> str:
        """Raise what serving `request` would raise before its first chunk; return the model id it goes to.

        For a server, which must choose the response status before it starts streaming.
        """
        return self._plan(request, model_id).model_id

    async def prompt(self, request: oa.ChatCompletionRequest, *, model_id: str | None = None) -> tuple[str, Prepared]:
        """(model id, prompt) of the first model turn of `request`: the text and tokens the model would
        evaluate, MCP and client tools included. Nothing is generated and no tool runs.

        Raises:
            RequestError: the model is served by a remote engine, which renders its own prompts; or a field
                that cannot be honoured.
            UnknownModelError: the model is not loaded.
            ContextOverflowError: the prompt does not fit the model's context window.
        """
        plan = self._plan(request, model_id)
        if not isinstance(plan.model, LocalPrompts):
            raise RequestError("model", f"{plan.model_id!r} runs on a remote engine, which renders its own prompts")
        agent = Agent(plan.model, self._manager, plan.options)
        first = await agent.first_request(plan.messages, external_tools=plan.external)
        return plan.model_id, await plan.model.prompt_tokens(first)

    async def tokenize(self, text: str, *, special: bool = True, model_id: str | None = None) -> list[int]:
        return await self.route(model_id, explicit=model_id is not None)[1].tokenize(text, special=special)

    async def detokenize(self, tokens: Sequence[int], *, model_id: str | None = None) -> str:
        return await self.route(model_id, explicit=model_id is not None)[1].detokenize(tokens)


class ChunkStream:
    """The chunks of one streamed request: an async iterator that any task may drive (one at a time).

    A plain class rather than an async generator, so the reader may resume it from a different task
    each time (the Runner does, through its portal) and nothing is left to finalize.
    """

    def __init__(self, receive: anyio.abc.ObjectReceiveStream[oa.ChatCompletionChunk]) -> None:
        self._receive = receive
        self.failure: Exception | None = None

    def __aiter__(self) -> ChunkStream:
        return self

    async def __anext__(self) -> oa.ChatCompletionChunk:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self.failure is not None:
                failure, self.failure = self.failure, None
                raise failure from None
            raise StopAsyncIteration from None
