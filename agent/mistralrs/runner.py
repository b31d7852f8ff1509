"""Runner and MultiModelRunner: mistral.rs's Python API over our engine, synchronous and async.

The models and MCP sessions live in an event loop of their own, in a daemon thread, opened and closed
by one task there (`ChatEngine`); every call crosses into it through an anyio blocking portal. So the
synchronous methods work from plain code, and the `*_async` ones from any event loop, without either
loop owning the other's resources.

    with Runner(which=Which.GGUF(quantized_model_id="smollm2-135m")) as runner:
        res = runner.send_chat_completion_request(ChatCompletionRequest(messages=[...]))
"""

from __future__ import annotations

import functools
import json
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, overload

import anyio
from anyio.from_thread import BlockingPortal

from agent.completions import openai_types as oa
from agent.completions.engine import ChatEngine, ChunkStream
from agent.errors import RunnerClosedError
from agent.mistralrs.which import LoadOptions, ModelSelector, check_supported
from agent.options import AgentOptions
from inference import UnknownModelError
from inference.pool import OpenableBackend
from mcp_client import McpClientConfig
from tools._aio import LoopThread

T = TypeVar("T")
Request = oa.ChatCompletionRequest | Mapping[str, Any]

# mistral.rs Runner arguments that have no counterpart here: accepted, so ported code runs, and ignored.
IGNORED_OPTIONS = frozenset(
    {
        "max_seqs",
        "no_kv_cache",
        "prefix_cache_n",
        "token_source",
        "speculative_gamma",
        "num_device_layers",
        "pa_gpu_mem",
        "pa_gpu_mem_usage",
        "pa_ctxt_len",
        "pa_blk_size",
        "pa_cache_type",
        "no_paged_attn",
        "paged_attn",
        "throughput_logging_enabled",
        "search_embedding_model",
        "max_seq_len",
    }
)
# ... and ones whose feature we lack: an error when set.
UNSUPPORTED_OPTIONS = {
    "which_draft": "speculative decoding is not supported",
    "anymoe_config": "AnyMoE is not supported",
    "enable_search": "web search is not built in; add a search MCP server",
    "search_callback": "web search is not built in; add a search MCP server",
    "tool_callbacks": "serve Python functions as tools with tools.serve_functions or an MCP server",
}


# ... and ones that map onto ours (see `_mapped`).
MAPPED_OPTIONS = frozenset({"seed", "chat_template", "jinja_explicit", "in_situ_quant"})


def _check_options(options: Mapping[str, Any]) -> None:
    for name, value in options.items():
        if name in UNSUPPORTED_OPTIONS:
            if value not in (None, False):
                raise TypeError(f"Runner: {name}= is not supported: {UNSUPPORTED_OPTIONS[name]}")
        elif name not in IGNORED_OPTIONS and name not in MAPPED_OPTIONS:
            raise TypeError(f"Runner: unexpected keyword argument {name!r}")


def _chat_template(options: Mapping[str, Any]) -> str | None:
    """mistral.rs's `jinja_explicit` (a Jinja file) or `chat_template` (a tokenizer_config-style JSON file
    with a `chat_template` key, a Jinja file, or the template itself)."""
    if options.get("jinja_explicit"):
        return Path(options["jinja_explicit"]).read_text(encoding="utf-8")
    template = options.get("chat_template")
    if not template:
        return None
    path = Path(template)
    if template.endswith(".json"):
        value = json.loads(path.read_text(encoding="utf-8")).get("chat_template")
        if not isinstance(value, str):
            raise ValueError(f"chat_template: {template!r} has no 'chat_template' string")
        return value
    return path.read_text(encoding="utf-8") if _is_file(path) else str(template)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a template too long, or with a NUL, to be a path
        return False


def _coerce(request: Request) -> oa.ChatCompletionRequest:
    if isinstance(request, oa.ChatCompletionRequest):
        return request
    return oa.ChatCompletionRequest.model_validate(request)


class _Session:
    """What a Runner holds: the loop, the open engine, the streams still open. Closed once."""

    def __init__(self, engine: ChatEngine) -> None:
        self.loop = LoopThread("mcpagent-runner")
        self.engine = engine
        self._engine_cm: AbstractContextManager[ChatEngine] = self.loop.portal.wrap_async_context_manager(engine)
        self.streams: set[_StreamHandle] = set()
        self.lock = threading.Lock()
        self.closed = False
        try:
            self._engine_cm.__enter__()
        except BaseException:
            self.closed = True
            self.loop.stop()
            raise

    @property
    def portal(self) -> BlockingPortal:
        if self.closed:
            raise RunnerClosedError
        return self.loop.portal

    @overload
    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T: ...

    @overload
    def call(self, func: Callable[..., T], *args: Any) -> T: ...

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        return self.portal.call(func, *args)

    async def acall(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `func` in the Runner's loop from another loop; cancelling the caller cancels it there."""
        future = self.portal.start_task_soon(func)
        try:
            return await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)
        finally:
            future.cancel()

    def close(self) -> None:
        if threading.current_thread() is self.loop.thread:
            # Garbage collected inside the Runner's own loop: the portal cannot be used from there.
            threading.Thread(target=self.close, name="mcpagent-runner-close", daemon=True).start()
            return
        with self.lock:
            if self.closed:
                return
            for stream in list(self.streams):
                stream.close_now()
            self.closed = True
            try:
                self._engine_cm.__exit__(None, None, None)
            finally:
                self.loop.stop()


class _StreamHandle:
    """What both chunk iterators share: an open stream in the Runner's loop, closed once, from any thread."""

    _session: _Session
    _cm: Any
    _closed: bool

    def close(self) -> None:
        """Stop the run (if still going) and release it."""
        with self._session.lock:
            self.close_now()

    def close_now(self) -> None:
        """Close with the session lock already held (Runner.close holds it while closing every stream)."""
        if not self._closed:
            self._closed = True
            self._session.streams.discard(self)
            self._cm.__exit__(None, None, None)


class ChunkIterator(_StreamHandle, Iterator[oa.ChatCompletionChunk]):
    """The chunks of a streamed request, for a `for` loop. Leaving early, call `close()` (or use `with`)."""

    def __init__(self, session: _Session, stream: AbstractAsyncContextManager[ChunkStream]) -> None:
        self._session = session
        self._cm = session.portal.wrap_async_context_manager(stream)
        self._chunks = self._cm.__enter__()
        self._closed = False
        with session.lock:
            session.streams.add(self)

    def __next__(self) -> oa.ChatCompletionChunk:
        if self._closed:
            raise StopIteration
        try:
            return self._session.call(self._chunks.__anext__)
        except StopAsyncIteration:
            self.close()
            raise StopIteration from None
        except BaseException:
            self.close()
            raise


    def __enter__(self) -> ChunkIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChunkIterator(_StreamHandle):
    """The chunks of a streamed request, for `async for`. Leaving early, `await aclose()` (or `async with`)."""

    def __init__(self, session: _Session, stream: AbstractAsyncContextManager[ChunkStream]) -> None:
        self._session = session
        self._cm = session.portal.wrap_async_context_manager(stream)
        self._chunks: ChunkStream | None = None
        self._closed = False

    async def _open(self) -> AsyncChunkIterator:
        self._chunks = await anyio.to_thread.run_sync(self._cm.__enter__)
        with self._session.lock:
            self._session.streams.add(self)
        return self

    def __aiter__(self) -> AsyncChunkIterator:
        return self

    async def __anext__(self) -> oa.ChatCompletionChunk:
        if self._closed or self._chunks is None:
            raise StopAsyncIteration
        try:
            return await self._session.acall(self._chunks.__anext__)
        except StopAsyncIteration:
            await self.aclose()
            raise
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stop the run (if still going) and release it."""
        if not self._closed:
            await anyio.to_thread.run_sync(self.close)


    async def __aenter__(self) -> AsyncChunkIterator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Runner:
    """A loaded model (and the tools of its MCP servers), as mistral.rs's `Runner`.

    Args:
        which: The model: `Which.GGUF(...)`, `Which.LoraGGUF(...)`, `Which.Plain(...)`, `Which.Lora(...)`,
            `Which.GGML(...)` or `Which.Remote(...)`.
        mcp_client_config: MCP servers whose tools the model may call during a request (None: no tools).
        model_id: The id the model is listed and routed under (default: the `Which`'s model reference).
        agent_options: Base options of every request: `max_rounds` (a request's `max_tool_rounds` overrides
            it), `system_prompt`, `tool_timeout_secs`, `approval`, sampling defaults.
        n_ctx: Context window in tokens. n_threads: CPU threads (default: physical cores).
        trim_tool_results: When a prompt overflows, trim the oldest tool results instead of failing.
        chat_format: The model's tool-call format (a parser name), when the detected one is wrong.
        **mistralrs_options: mistral.rs's other Runner arguments: `seed` sets the default sampling seed;
            `chat_template` (a template, a Jinja file or a tokenizer_config JSON file) and
            `jinja_explicit` (a Jinja file) replace the model's chat template; `in_situ_quant`
            (`Q4K`, `Q8_0`, ..., or llama.cpp's `Q4_K_M`) quantizes a `Which.Plain`/`Which.Lora` model as it
            is converted; `max_seqs`, `no_kv_cache`, paged-attention settings and the like are accepted and
            ignored; `which_draft`, `anymoe_config`, `enable_search`, `search_callback` and
            `tool_callbacks` are refused when set.

    Raises:
        UnsupportedModelError: a `Which` variant we cannot load (the message names the supported ones).
        ModelNotFoundError, ModelLoadError: the model file is missing or unreadable.
        MCPConfigError: the MCP config is invalid.

    The model loads and the MCP servers start in the constructor, as in mistral.rs. Close the Runner
    (`close()`, or `with Runner(...) as runner:`) to stop them; one left open is closed when it is
    garbage collected or at interpreter exit.
    """

    _route_any_model_to_default = True

    def __init__(
        self,
        which: ModelSelector,
        mcp_client_config: McpClientConfig | None = None,
        *,
        model_id: str | None = None,
        agent_options: AgentOptions | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        trim_tool_results: bool = False,
        chat_format: str | None = None,
        **mistralrs_options: Any,
    ) -> None:
        selector = check_supported(which)
        self._start(
            [(model_id or selector.default_id(), selector)],
            default_model_id=None,
            mcp_client_config=mcp_client_config,
            agent_options=agent_options,
            load=LoadOptions(
                n_ctx=n_ctx, n_threads=n_threads, trim_tool_results=trim_tool_results, chat_format=chat_format
            ),
            mistralrs_options=mistralrs_options,
        )

    def _start(
        self,
        models: Sequence[tuple[str, ModelSelector]],
        *,
        default_model_id: str | None,
        mcp_client_config: McpClientConfig | None,
        agent_options: AgentOptions | None,
        load: LoadOptions,
        mistralrs_options: Mapping[str, Any],
    ) -> None:
        _check_options(mistralrs_options)
        load = replace(
            load, chat_template=_chat_template(mistralrs_options), in_situ_quant=mistralrs_options.get("in_situ_quant")
        )
        options = agent_options or AgentOptions()
        if mistralrs_options.get("seed") is not None:
            options = replace(options, sampling=replace(options.sampling, seed=int(mistralrs_options["seed"])))
        backends: list[tuple[str, OpenableBackend]] = [
            (model_id, selector.to_backend(model_id=model_id, options=load)) for model_id, selector in models
        ]
        engine = ChatEngine(
            backends,
            default_model_id=default_model_id,
            mcp_client_config=mcp_client_config,
            agent_options=options,
            route_any_model_to_default=self._route_any_model_to_default,
        )
        self._session = _Session(engine)
        self._finalizer = weakref.finalize(self, self._session.close)

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Unload the models and stop the MCP servers (and their child processes). Idempotent."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._session.closed

    def __enter__(self) -> Runner:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------------

    def send_chat_completion_request(
        self, request: Request, model_id: str | None = None
    ) -> oa.ChatCompletionResponse | ChunkIterator:
        """Serve a request: the response, or with `stream=True` an iterator of chunks (agent events included).

        Args:
            request: A ChatCompletionRequest, or its fields as a dict.
            model_id: Route to this model, overriding `request.model`.

        Raises:
            RequestError: a field that cannot be honoured. UnknownModelError: the model is not loaded.
            RunnerClosedError: the Runner was closed.
        """
        request = _coerce(request)
        engine = self._session.engine
        if request.stream:
            return ChunkIterator(self._session, engine.stream(request, model_id=model_id))
        return self._session.call(functools.partial(engine.complete, request, model_id=model_id))

    def send_chat_completion_request_to_model(
        self, request: Request, model_id: str
    ) -> oa.ChatCompletionResponse | ChunkIterator:
        """mistral.rs's per-model form of `send_chat_completion_request`."""
        return self.send_chat_completion_request(request, model_id=model_id)

    async def send_chat_completion_request_async(
        self, request: Request, model_id: str | None = None
    ) -> oa.ChatCompletionResponse | AsyncChunkIterator:
        """`send_chat_completion_request` from an event loop: awaits the response, or returns an async
        iterator of chunks. Cancelling the awaiting task cancels the request."""
        request = _coerce(request)
        engine = self._session.engine
        if request.stream:
            return await AsyncChunkIterator(self._session, engine.stream(request, model_id=model_id))._open()
        return await self._session.acall(functools.partial(engine.complete, request, model_id=model_id))

    def tokenize_text(
        self,
        text: str,
        add_special_tokens: bool = True,
        enable_thinking: bool | None = None,
        model_id: str | None = None,
    ) -> list[int]:
        """Tokens of `text` (special tokens written in it are parsed when `add_special_tokens`)."""
        tokenize = functools.partial(self._session.engine.tokenize, text, special=add_special_tokens, model_id=model_id)
        return self._session.call(tokenize)

    def detokenize_text(self, tokens: list[int], skip_special_tokens: bool = False, model_id: str | None = None) -> str:
        """Text of `tokens` (special tokens are always written out)."""
        engine = self._session.engine
        return self._session.call(functools.partial(engine.detokenize, tokens, model_id=model_id))

    # -- models (mistral.rs's multi-model methods) ------------------------------------------------------

    def list_models(self) -> list[str]:
        return self._session.call(self._session.engine.list_models)

    def get_default_model_id(self) -> str | None:
        return self._session.call(self._session.engine.get_default_model_id)

    def set_default_model_id(self, model_id: str) -> None:
        """Raises UnknownModelError when `model_id` is not loaded."""
        self._session.call(self._session.engine.set_default_model_id, model_id)

    def remove_model(self, model_id: str) -> None:
        """Unload a model and free its memory. Removing the default makes the next model the default."""
        self._session.call(self._session.engine.remove_model, model_id)

    def is_model_loaded(self, model_id: str) -> bool:
        return model_id in self.list_models()

    def list_models_with_status(self) -> list[tuple[str, str]]:
        return [(model_id, "loaded") for model_id in self.list_models()]


class MultiModelRunner(Runner):
    """Several models behind one Runner; `request.model` (or `model_id=`) picks one.

    Args:
        models: `{"model_id": ..., "which": Which...}` for each model, loaded in order.
        default_model_id: The model for requests naming "default" (default: the first).
        mcp_client_config: MCP servers shared by every model.

    Other arguments are `Runner`'s. A request naming a model that is not loaded raises
    UnknownModelError listing the loaded ones.
    """

    _route_any_model_to_default = False

    def __init__(
        self,
        models: Sequence[Mapping[str, Any]],
        default_model_id: str | None = None,
        mcp_client_config: McpClientConfig | None = None,
        *,
        agent_options: AgentOptions | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        trim_tool_results: bool = False,
        chat_format: str | None = None,
        **mistralrs_options: Any,
    ) -> None:
        if not models:
            raise ValueError("models: give at least one {'model_id': ..., 'which': ...}")
        selected = []
        for index, entry in enumerate(models):
            if not isinstance(entry, Mapping) or "which" not in entry:
                raise TypeError(f"models[{index}]: expected {{'model_id': ..., 'which': Which...}}, got {entry!r}")
            selector = check_supported(entry["which"])
            selected.append((str(entry.get("model_id") or selector.default_id()), selector))
        ids = [model_id for model_id, _ in selected]
        if default_model_id is not None and default_model_id not in ids:
            raise UnknownModelError(default_model_id, ids)
        self._start(
            selected,
            default_model_id=default_model_id,
            mcp_client_config=mcp_client_config,
            agent_options=agent_options,
            load=LoadOptions(
                n_ctx=n_ctx, n_threads=n_threads, trim_tool_results=trim_tool_results, chat_format=chat_format
            ),
            mistralrs_options=mistralrs_options,
        )
