"""The ctransformers backend: llama-family GGML files (ggml, ggmf v1, ggjt v1-v3) and early GGUF.

Every file is checked in Python first (`inference.ctransformers_files`): the 2023 llama.cpp that
ctransformers bundles crashes on files it should reject. Blocking calls run in a worker thread, one
at a time per model. There is no grammar support: tool calls are described in the prompt and parsed
from the text (the smollm2 format, by the shared parser), never constrained. Only this module imports ctransformers.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import random
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio

from inference._decoder import END_OF_TURN, Decoder, check_token_ids, common_prefix
from inference._hardware import physical_cores
from inference._prompt import Prepared, PromptBuilder
from inference._turns import PROMPTED
from inference._types import ChatRequest, ChatResponse, Message, ModelInfo, SamplingParams, StreamItem
from inference.backend import collect
from inference.ctransformers_files import ModelFileInfo, inspect_model_file
from inference.errors import GrammarError, InferenceError, ModelLoadError
from inference.templates import ChatTemplate
from tools._aio import from_worker_thread

INSTALL_HINT = "pip install 'mcpagent[ctransformers]'"
_MAX_BATCH = 512  # the legacy loader sizes its compute graph for batches of at most 512 tokens
_LAST_N_TOKENS = 64  # window of the repeat penalty (ctransformers' default)


@functools.cache
def _cpu_library() -> str | None:
    """ctransformers' prebuilt library for this CPU (`avx2`, `avx` or `basic`), read from /proc/cpuinfo.

    ctransformers picks one itself with py-cpuinfo, which takes over a second; None leaves it that choice.
    """
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as file:
            flags = next((line.split(":", 1)[1].split() for line in file if line.startswith("flags")), None)
    except OSError:
        return None
    if flags is None:
        return None
    if "avx2" in flags:
        return "avx2"
    return "avx" if "avx" in flags and "f16c" in flags else "basic"


def _import_ctransformers(path: str) -> Any:
    try:
        import ctransformers.llm
    except ImportError as exc:
        raise ModelLoadError(path, f"ctransformers is not installed: {INSTALL_HINT}") from exc
    return ctransformers.llm


class CTransformersBackend:
    """A llama-family GGML (ggml, ggmf, ggjt v1-v3) or early GGUF file on ctransformers.

    `async with CTransformersBackend("llama-2-7b.ggmlv3.q4_0.bin") as backend: ...`

    GGML files carry no chat template: prompts are ChatML unless `chat_template` (Jinja) says
    otherwise. ctransformers has no grammars, so tools are described in the system prompt and the
    calls are parsed from the text the model writes; they are not constrained.

    Args:
        model_path: The model file.
        model_type: The ctransformers model type; only `"llama"` files are checked and supported.
        n_ctx: Context window in tokens.
        n_threads: CPU threads; defaults to the physical core count.
        n_batch: Prompt tokens evaluated per batch (1-512).
        chat_template: A Jinja chat template; ChatML by default.
        trim_tool_results: When a prompt overflows `n_ctx`, trim the oldest tool results instead of failing.
        lib: ctransformers' library (`"avx2"`, `"avx"`, `"basic"` or a path); by default chosen for this CPU.
        model_id: The id in `model_info` (default: the file name without its extension).

    Raises:
        ValueError: an unsupported `model_type` or an out-of-range size.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        model_type: str = "llama",
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_batch: int = _MAX_BATCH,
        chat_template: str | None = None,
        trim_tool_results: bool = False,
        lib: str | None = None,
        model_id: str | None = None,
    ) -> None:
        if model_type != "llama":
            raise ValueError(f"model_type: {model_type!r} is not supported; only 'llama' files are checked and loaded")
        if n_ctx < 16:
            raise ValueError(f"n_ctx: {n_ctx} is below 16 tokens")
        if not 1 <= n_batch <= _MAX_BATCH:
            raise ValueError(f"n_batch: {n_batch} is outside 1..{_MAX_BATCH}")
        self._path = Path(model_path).expanduser()
        self._model_type = model_type
        self._n_ctx = n_ctx
        self._n_threads = n_threads or physical_cores()
        self._n_batch = n_batch
        tokenize = functools.partial(self._encode, add_bos=True)
        # No grammar here, so tools are always described in the prompt (the smollm2 format) and parsed.
        self._turns = PROMPTED
        self._prompts = PromptBuilder(
            ChatTemplate(chat_template), tokenize, n_ctx, trim_tool_results=trim_tool_results, turn_format=self._turns
        )
        self._lib = lib
        self._model_id = model_id or self._path.stem
        self._llm: Any = None
        self._info: ModelFileInfo | None = None
        self._n_vocab = 0
        self._limiter = anyio.CapacityLimiter(1)

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> CTransformersBackend:
        """Check the file, then load it in a worker thread.

        Raises:
            ModelNotFoundError: there is no file at `model_path`.
            ModelLoadError: the file is corrupt, truncated or of a kind ctransformers cannot load,
                or ctransformers is not installed.
        """
        self._info = await anyio.to_thread.run_sync(inspect_model_file, self._path)
        self._llm = await anyio.to_thread.run_sync(self._load, limiter=self._limiter)
        self._n_ctx = self._llm.context_length
        self._n_vocab = self._llm.vocab_size
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_free, llm, limiter=self._limiter)

    def _load(self) -> Any:
        path = str(self._path)
        module = _import_ctransformers(path)
        config = module.Config(
            context_length=self._n_ctx, threads=self._n_threads, batch_size=self._n_batch, gpu_layers=0
        )
        try:
            return module.LLM(path, self._model_type, config=config, lib=self._lib or _cpu_library())
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelLoadError(path, f"ctransformers rejected the file: {exc}") from exc

    def _require(self) -> Any:
        if self._llm is None:
            raise InferenceError("the model is not loaded: use `async with CTransformersBackend(...)` first")
        return self._llm

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(id=self._model_id, path=str(self._path), n_ctx=self._n_ctx, chat_format=self._turns.parser)

    @property
    def file_info(self) -> ModelFileInfo | None:
        """What the file check found (container, sizes); None before the backend is opened."""
        return self._info

    # -- prompt ------------------------------------------------------------------------------------

    def render(self, request: ChatRequest) -> str:
        """The prompt text for a request: the chat template, tools described in the system prompt."""
        return self._prompts.render(request)

    def prepare(self, request: ChatRequest) -> Prepared:
        """The prompt as it will be evaluated, fitted to the context window (runs the tokenizer: call it in a thread).

        Raises:
            ContextOverflowError: it does not fit (and trimming is off or not enough).
        """
        return self._prompts.prepare(request)

    def _encode(self, text: str, *, add_bos: bool) -> list[int]:
        """Runs in the worker thread. Sized for the worst case: every byte a token, plus BOS and a leading space."""
        llm = self._require()
        data = text.encode("utf-8")
        if not data:
            return []
        buffer = (ctypes.c_int * (len(data) + 8))()
        count = llm.ctransformers_llm_tokenize(data, add_bos, buffer)
        return list(buffer[:count])

    # -- generation --------------------------------------------------------------------------------

    async def complete(self, request: ChatRequest) -> ChatResponse:
        async with self.stream(request) as items:
            return await collect(items)

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        """Generate one turn as text deltas; the last item is `ResponseDone` with the whole response.

        Raises:
            GrammarError: the request asks for a grammar or a JSON schema, which ctransformers cannot enforce.
            ContextOverflowError: the prompt does not fit in the context window (raised while iterating).
        """
        self._require()
        if request.grammar is not None or request.json_schema is not None:
            raise GrammarError("ctransformers cannot constrain decoding; use LlamaCppBackend for grammars and schemas")
        work = functools.partial(self._generate, request)
        async with from_worker_thread(work, limiter=self._limiter) as items:
            yield items

    def _generate(self, request: ChatRequest, emit: Callable[[StreamItem], None], cancelled: threading.Event) -> None:
        """Runs in the worker thread: render, tokenize, sample token by token, emit parsed deltas."""
        llm = self._require()
        prepared, sampling = self.prepare(request), request.sampling
        tokens = prepared.tokens
        decoder = Decoder(
            self._turns,
            piece=lambda token: llm.detokenize([token], decode=False),
            emit=emit,
            # GGML vocabularies have no special tokens: the end-of-turn markers come out as text.
            stops=(*END_OF_TURN, *sampling.stop),
            prompt=prepared.prompt,
            tools=request.tools,
        )
        # ctransformers keeps the longest common prefix of the last context and re-evaluates the rest.
        cached = min(common_prefix(getattr(llm, "_context", ()), tokens), len(tokens) - 1)
        decoder.run(
            self._sample(llm, tokens, sampling),
            # ctransformers only warns when the context overflows, then writes past its KV cache: never let it.
            max_tokens=min(sampling.max_tokens, self._n_ctx - len(tokens)),
            prompt_tokens=len(tokens),
            cached_tokens=cached,
            cancelled=cancelled,
        )

    def _sample(self, llm: Any, tokens: list[int], sampling: SamplingParams) -> Iterator[int]:
        """ctransformers' `LLM.generate`, but with a new seed for every token.

        Its sampler re-seeds before every token with the one seed it is given (unseeded: the current
        second), so every token of a reply would draw the same random number.
        """
        seeds = random.Random(sampling.seed)
        arguments = self._sampling(sampling)
        try:
            llm.eval(llm.prepare_inputs_for_generation(tokens), batch_size=self._n_batch, threads=self._n_threads)
            while True:
                token = llm.sample(seed=seeds.getrandbits(31), **arguments)
                llm.eval([token], batch_size=self._n_batch, threads=self._n_threads)
                if llm.is_eos_token(token):
                    return
                yield token
        except RuntimeError as exc:  # "Failed to evaluate tokens."
            raise InferenceError(f"ctransformers failed: {exc}") from exc

    def _sampling(self, sampling: SamplingParams) -> dict[str, Any]:
        """ctransformers' sampling arguments. It has no min_p, presence or frequency penalty."""
        greedy = sampling.temperature <= 0
        top_k = sampling.top_k if sampling.top_k > 0 else self._n_vocab
        return {
            "top_k": 1 if greedy else top_k,  # its temperature 0 divides by zero: greedy is top_k=1
            "top_p": 1.0 if greedy else sampling.top_p,
            "temperature": 1.0 if greedy else sampling.temperature,
            "repetition_penalty": sampling.repeat_penalty,
            "last_n_tokens": _LAST_N_TOKENS,
        }

    # -- tokens ------------------------------------------------------------------------------------

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of `text`, without BOS. ctransformers has no special tokens: `special` changes nothing.

        GGUF SentencePiece vocabularies put a space before the text, as llama.cpp did in 2023.
        """
        return await anyio.to_thread.run_sync(
            functools.partial(self._encode, text, add_bos=False), limiter=self._limiter
        )

    async def detokenize(self, tokens: Sequence[int]) -> str:
        """The text of token ids.

        Raises:
            TokenError: an id outside the vocabulary (the native call would read out of bounds).
        """
        llm = self._require()
        self._check_ids(tokens)
        data = await anyio.to_thread.run_sync(lambda: llm.detokenize(list(tokens), decode=False), limiter=self._limiter)
        return bytes(data).decode("utf-8", "replace")

    def _check_ids(self, tokens: Sequence[int]) -> None:
        self._require()
        check_token_ids(tokens, self._n_vocab)

    def special_tokens(self, tokens: Sequence[int]) -> list[int]:
        """The ids among `tokens` that are BOS or EOS (GGML vocabularies mark no other special tokens).

        Raises:
            TokenError: an id outside the vocabulary.
        """
        self._check_ids(tokens)
        llm = self._require()
        marks = {llm.bos_token_id, llm.eos_token_id}
        return [t for t in tokens if t in marks]

    async def prompt_tokens(self, request: ChatRequest) -> Prepared:
        """The prompt a request evaluates, rendered and tokenized exactly as generation does.

        Raises:
            ContextOverflowError: it does not fit the context window.
        """
        self._require()
        return await anyio.to_thread.run_sync(self.prepare, request, limiter=self._limiter)

    def parse(self, text: str) -> Message:
        """An assistant turn from the model's raw text: content and tool calls (the smollm2 prompt format)."""
        return self._turns.message(text)

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        prompt = self.render(ChatRequest(messages=messages))
        encode = functools.partial(self._encode, prompt, add_bos=True)
        return len(await anyio.to_thread.run_sync(encode, limiter=self._limiter))


def _free(llm: Any) -> None:
    """Free the native model now rather than whenever the garbage collector gets to it."""
    if getattr(llm, "_llm", None) is not None:
        llm.ctransformers_llm_delete()
        llm._llm = None  # what ctransformers' own __del__ checks before freeing
