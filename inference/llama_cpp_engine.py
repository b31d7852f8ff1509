"""The token-level llama.cpp engine backend: the model's vocabulary and template here, its weights on a
llama.cpp server (`llama-server`). Prompts are rendered, tokenized and constrained here; token ids go out
to the server's `/completion` route with the grammar compiled here, and the tokens that come back are
parsed here, exactly as a local model's would be.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import llama_cpp

from inference._types import ChatRequest, StreamItem
from inference.errors import EngineProtocolError, ModelLoadError
from inference.llama_cpp_backend import LlamaCppBackend
from inference.models import Progress
from inference.remote import RemoteBackend
from tools._aio import from_worker_thread

COMPLETION_PATH = "/completion"
"""llama-server's native completion route: the one that takes a prompt as token ids and returns token ids."""


class LlamaCppEngineBackend(LlamaCppBackend):
    """A GGUF model whose generation runs on a llama.cpp server, behind the `Backend` protocol.

    `async with LlamaCppEngineBackend("model.gguf", engine_url="http://127.0.0.1:8080") as backend: ...`
    loads only the vocabulary and the chat template (no weights, a fraction of a second). The server must
    serve the same model; each turn sends `{"prompt": [ids], "grammar": ..., "return_tokens": true}`.
    Failures are the remote backend's: EngineUnreachableError, EngineTimeoutError, EngineHTTPError,
    EngineProtocolError (a 502 / 504 / 502 at the server, with the URL).

    Args:
        model: The GGUF file (or directory, or embedded alias) whose vocabulary and template to load.
        engine_url: The llama.cpp server's root, e.g. `http://127.0.0.1:8080`.
        timeout_secs: Limit on each generation.
        api_key: Sent as `Authorization: Bearer ...` (llama-server's `--api-key`).
        n_ctx: The context window prompts are fitted to (the server's own `--ctx-size` should match).
        model_id, trim_tool_results, progress, chat_template, chat_format: as for `LlamaCppBackend`.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        engine_url: str,
        timeout_secs: float = 60.0,
        api_key: str | None = None,
        n_ctx: int = 4096,
        model_id: str | None = None,
        trim_tool_results: bool = False,
        progress: Progress | None = None,
        chat_template: str | None = None,
        chat_format: str | None = None,
    ) -> None:
        super().__init__(
            model,
            n_ctx=n_ctx,
            model_id=model_id,
            trim_tool_results=trim_tool_results,
            progress=progress,
            chat_template=chat_template,
            chat_format=chat_format,
        )
        # The HTTP side (retries, timeouts, errors naming the URL) is the remote backend's, on llama-server's route.
        self._engine = RemoteBackend(
            engine_url, model=str(model_id or model or ""), api_key=api_key, timeout_secs=timeout_secs, max_retries=1
        )

    def __repr__(self) -> str:
        return f"LlamaCppEngineBackend({str(self._model_ref)!r}, engine={self._engine.root!r})"

    async def __aenter__(self) -> LlamaCppEngineBackend:
        await self._engine.__aenter__()
        try:
            await super().__aenter__()
        except BaseException:
            await self._engine.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            await self._engine.__aexit__(exc_type, exc, tb)

    def _open(self, path: Path) -> llama_cpp.Llama:
        try:
            # The vocabulary only: tokenizer, special tokens, metadata (the chat template). No weights.
            return llama_cpp.Llama(model_path=str(path), vocab_only=True, n_ctx=self._n_ctx, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(str(path), str(exc) or "llama.cpp rejected the file (corrupt or truncated?)") from exc

    # -- generation --------------------------------------------------------------------------------

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        prepared = await self.prompt_tokens(request)
        gbnf = self._gbnf(request)
        if gbnf:
            # Checked here against the vocabulary: the server would answer a bad grammar with a 400.
            await anyio.to_thread.run_sync(self._grammar, gbnf, limiter=self._limiter)
        sampling = request.sampling
        max_tokens = max(1, min(sampling.max_tokens, self._n_ctx - len(prepared.tokens)))
        body: dict[str, Any] = {
            "prompt": prepared.tokens,
            "n_predict": max_tokens,
            "return_tokens": True,
            "stream": False,
            "cache_prompt": True,
            "temperature": sampling.temperature,
            "top_k": sampling.top_k,
            "top_p": sampling.top_p,
            "min_p": sampling.min_p,
            "repeat_penalty": sampling.repeat_penalty,
            "presence_penalty": sampling.presence_penalty,
            "frequency_penalty": sampling.frequency_penalty,
            "stop": list(sampling.stop),
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if gbnf:
            body["grammar"] = gbnf
        data = await self._engine.post_json(COMPLETION_PATH, body)
        tokens = _generated_tokens(data, self._engine.shown(COMPLETION_PATH))
        cached = _cached_tokens(data)
        work = functools.partial(
            self._decode,
            tokens,
            request,
            prompt=prepared.prompt,
            prompt_tokens=len(prepared.tokens),
            cached=cached,
            max_tokens=max_tokens,
        )
        async with from_worker_thread(work, limiter=self._limiter) as items:
            yield items

    def _decode(
        self,
        tokens: list[int],
        request: ChatRequest,
        emit: Callable[[StreamItem], None],
        cancelled: threading.Event,
        *,
        prompt: str,
        prompt_tokens: int,
        cached: int,
        max_tokens: int,
    ) -> None:
        """Runs in the worker thread: the engine's tokens through the same decoder a local model's go through."""
        decoder = self._decoder(request, prompt, emit)
        decoder.run(
            tokens, max_tokens=max_tokens, prompt_tokens=prompt_tokens, cached_tokens=cached, cancelled=cancelled
        )


def _generated_tokens(data: Any, url: str) -> list[int]:
    """The token ids of llama-server's answer (`tokens`, with `return_tokens`)."""
    tokens = data.get("tokens") if isinstance(data, Mapping) else None
    if not isinstance(tokens, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
        raise EngineProtocolError(url, "no integer list `tokens` in the answer: is this a llama.cpp server?")
    return tokens


def _cached_tokens(data: Mapping[str, Any]) -> int:
    timings = data.get("timings")
    cached = timings.get("cache_n") if isinstance(timings, Mapping) else None
    return cached if isinstance(cached, int) and not isinstance(cached, bool) else 0
