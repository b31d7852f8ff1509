"""The llama.cpp backend: a GGUF model loaded with llama-cpp-python, behind the `Backend` protocol.

llama.cpp is blocking and not thread-safe: every call into it runs in a worker thread, one at a
time per loaded model (a CapacityLimiter of 1). The prompt is rendered the same way every round,
so llama.cpp's prefix match re-evaluates only the tokens a round adds.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import llama_cpp

from inference._decoder import END_OF_TURN, Decoder, check_token_ids, common_prefix
from inference._hardware import physical_cores
from inference._prompt import Prepared, PromptBuilder
from inference._turns import PROMPTED, TurnFormat
from inference._types import ChatRequest, ChatResponse, Message, ModelInfo, SamplingParams, StreamItem
from inference.backend import collect
from inference.errors import InferenceError, ModelLoadError, ModelNotFoundError
from inference.llama_cpp_grammar import compile_grammar, schema_to_gbnf, tool_call_gbnf
from inference.models import Progress, resolve_model
from inference.parsers import available_formats
from inference.templates import FALLBACKS, ChatTemplate
from tools._aio import from_worker_thread

MAX_PREFIX_STATES = 4
"""Saved KV states of system-and-tool prefixes kept per model (each holds that prefix's KV cache)."""


def _check_gguf(path: Path) -> None:
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError as exc:
        raise ModelLoadError(str(path), exc.strerror or str(exc)) from None
    if magic != b"GGUF":
        raise ModelLoadError(str(path), f"not a GGUF file (starts with {magic!r}, expected b'GGUF')")


class LlamaCppBackend:
    """A local GGUF model. `async with LlamaCppBackend("smollm2-135m") as backend: ...`

    Args:
        model: A GGUF path, a directory holding one GGUF, or an embedded alias (default `smollm2-135m`); or a
            function that produces the GGUF file (e.g. converting a safetensors model), called with `progress`
            in a worker thread when the backend opens.
        n_ctx: Context window in tokens.
        n_threads: CPU threads; defaults to the physical core count (llama-cpp-python's default is half).
        n_batch: Prompt tokens evaluated per batch.
        model_id: The id to report (default: the model reference).
        lora_path: A LoRA adapter (GGUF) applied at load time, with `lora_scale`; or a function that produces
            it from the model's GGUF path (e.g. converting a PEFT adapter for that model).
        trim_tool_results: When a prompt overflows `n_ctx`, trim the oldest tool results instead of failing.
        progress: Called with (bytes done, bytes in all) while an embedded model is assembled.
        chat_template: A Jinja chat template to use instead of the GGUF's own.
        chat_format: The tool-call format of the model's output (a parser name, see
            `inference.parsers.available_formats()`); detected from the template when not given.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | Callable[[Progress | None], Path] | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        model_id: str | None = None,
        lora_path: str | os.PathLike[str] | Callable[[Path], Path] | None = None,
        lora_scale: float = 1.0,
        trim_tool_results: bool = False,
        progress: Progress | None = None,
        chat_template: str | None = None,
        chat_format: str | None = None,
    ) -> None:
        if chat_format is not None and chat_format not in available_formats():
            known = ", ".join(available_formats())
            raise InferenceError(f"chat_format: {chat_format!r} is not a tool-call format; formats: {known}")
        self._model_ref = model
        self._chat_template = chat_template
        self._chat_format = chat_format
        self._turns = PROMPTED
        self._lora_source = lora_path
        self._lora_scale = lora_scale
        self._lora: tuple[Path, float] | None = None
        self._trim = trim_tool_results
        self._progress = progress
        self._n_ctx = n_ctx
        self._n_threads = n_threads or physical_cores()
        self._n_batch = n_batch
        self._model_id = model_id
        self._llm: llama_cpp.Llama | None = None
        self._path: Path | None = None
        self._template: ChatTemplate | None = None
        self._stop_tokens: frozenset[int] = frozenset()
        self._limiter = anyio.CapacityLimiter(1)
        self._grammars: dict[str, llama_cpp.LlamaGrammar] = {}
        self._prefix_states: dict[tuple[int, ...], ctypes.Array[ctypes.c_uint8]] = {}
        self._prompts: PromptBuilder | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> LlamaCppBackend:
        path = await anyio.to_thread.run_sync(self._resolve)
        _check_gguf(path)
        if self._lora_source is not None:
            adapter = self._lora_source
            lora = await anyio.to_thread.run_sync(lambda: adapter(path) if callable(adapter) else Path(adapter))
            self._lora = (lora, self._lora_scale)
        if self._lora is not None and not self._lora[0].is_file():
            raise ModelNotFoundError(str(self._lora[0]), [f"LoRA adapter {self._lora[0].resolve()}"])
        self._llm = await anyio.to_thread.run_sync(self._load, path, limiter=self._limiter)
        self._path = path
        metadata = self._llm.metadata
        source = (
            self._chat_template
            or metadata.get("tokenizer.chat_template")
            or FALLBACKS.get(metadata.get("general.architecture", ""))
        )
        self._template = ChatTemplate(
            source,
            bos_token=self._piece(self._llm.token_bos()),
            eos_token=self._piece(self._llm.token_eos()),
            special_tokens=self._named_tokens(metadata),
        )
        self._turns = TurnFormat.choose(self._template, metadata, override=self._chat_format)
        self._prompts = PromptBuilder(
            self._template, self._tokenize_prompt, self._n_ctx, trim_tool_results=self._trim, turn_format=self._turns
        )
        self._stop_tokens = frozenset(self._find_stop_tokens())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        llm, self._llm = self._llm, None
        self._prefix_states.clear()
        if llm is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(llm.close, limiter=self._limiter)

    def _resolve(self) -> Path:
        if callable(self._model_ref):
            return self._model_ref(self._progress)
        return resolve_model(self._model_ref, progress=self._progress)

    def _load(self, path: Path) -> llama_cpp.Llama:
        llm = self._open(path)
        # llama-cpp-python tests the adapter pointer with `is None`, but llama.cpp's NULL comes back as a
        # NULL ctypes pointer: an adapter llama.cpp rejected would silently not be applied.
        if self._lora is not None and not llm._lora_adapter:
            llm.close()
            reason = "llama.cpp could not load it as a LoRA adapter for this model (its log says why)"
            raise ModelLoadError(f"LoRA adapter {self._lora[0]}", reason)
        return llm

    def _open(self, path: Path) -> llama_cpp.Llama:
        try:
            return llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self._n_ctx,
                n_threads=self._n_threads,
                n_threads_batch=self._n_threads,
                n_batch=self._n_batch,
                lora_path=str(self._lora[0]) if self._lora else None,
                lora_scale=self._lora[1] if self._lora else 1.0,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(str(path), str(exc) or "llama.cpp rejected the file (corrupt or truncated?)") from exc

    def _require(self) -> llama_cpp.Llama:
        if self._llm is None:
            raise InferenceError("the model is not loaded: use `async with LlamaCppBackend(...)` first")
        return self._llm

    def _piece(self, token: int) -> str:
        return self._require().detokenize([token], special=True).decode("utf-8", "replace")

    def _named_tokens(self, metadata: dict[str, str]) -> dict[str, str]:
        """The unknown and padding tokens the GGUF names: a Hugging Face tokenizer built from the file passes
        them to the chat template too (as `unk_token`, `pad_token`)."""
        keys = {"unk_token": "tokenizer.ggml.unknown_token_id", "pad_token": "tokenizer.ggml.padding_token_id"}
        return {name: self._piece(int(metadata[key])) for name, key in keys.items() if key in metadata}

    def _find_stop_tokens(self) -> set[int]:
        llm = self._require()
        stops = {llm.token_eos()}
        for piece in END_OF_TURN:
            ids = llm.tokenize(piece.encode(), add_bos=False, special=True)
            if len(ids) == 1:
                stops.add(ids[0])
        return stops

    @property
    def model_info(self) -> ModelInfo:
        ref = None if callable(self._model_ref) else self._model_ref
        path = self._path or Path(str(ref or ""))
        return ModelInfo(
            id=self._model_id or str(ref or path.stem),
            path=str(path),
            n_ctx=self._n_ctx,
            chat_format=self._turns.parser,
            schema_with_tools=self._turns.grammar_style is not None,
        )

    # -- prompt ------------------------------------------------------------------------------------

    def render(self, request: ChatRequest) -> str:
        """The prompt text for a request: the model's own template, tools described in the system prompt."""
        assert self._prompts is not None, "the model is not loaded"
        return self._prompts.render(request)

    def prepare(self, request: ChatRequest) -> Prepared:
        """The prompt as it will be evaluated: fitted to the context window, with its stable prefix length.

        Raises:
            ContextOverflowError: it does not fit (and trimming is off or not enough).
        """
        assert self._prompts is not None, "the model is not loaded"
        return self._prompts.prepare(request)

    def _tokenize_prompt(self, prompt: str) -> list[int]:
        llm = self._require()
        add_bos = not (self._template and self._template.bos_token and prompt.startswith(self._template.bos_token))
        return llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    # -- generation --------------------------------------------------------------------------------

    async def complete(self, request: ChatRequest) -> ChatResponse:
        async with self.stream(request) as items:
            return await collect(items)

    @asynccontextmanager
    async def stream(self, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamItem]]:
        self._require()
        work = functools.partial(self._generate, request)
        async with from_worker_thread(work, limiter=self._limiter) as items:
            yield items

    def _generate(
        self, request: ChatRequest, emit: Callable[[StreamItem], None], cancelled: threading.Event
    ) -> None:
        """Runs in the worker thread: prepare the prompt, generate under the grammar, emit parsed deltas."""
        llm = self._require()
        prepared = self.prepare(request)
        tokens, sampling = prepared.tokens, request.sampling
        gbnf = self._gbnf(request)
        grammar = self._grammar(gbnf) if gbnf else None
        if sampling.seed is not None:
            llm.set_seed(sampling.seed)
        decoder = self._decoder(request, prepared.prompt, emit)
        cached = self._restore_prefix(tokens, prepared.prefix_tokens)
        decoder.run(
            llm.generate(tokens, grammar=grammar, **_sampler(sampling)),
            max_tokens=min(sampling.max_tokens, self._n_ctx - len(tokens)),
            prompt_tokens=len(tokens),
            cached_tokens=cached,
            cancelled=cancelled,
        )

    def _decoder(self, request: ChatRequest, prompt: str, emit: Callable[[StreamItem], None]) -> Decoder:
        """What turns this model's tokens for `request` (rendered as `prompt`) into stream items."""
        llm = self._require()
        return Decoder(
            self._turns,
            piece=lambda token: llm.detokenize([token], special=True),
            emit=emit,
            stops=request.sampling.stop,
            end_tokens=self._stop_tokens,
            prompt=prompt,
            tools=request.tools,
        )

    def _gbnf(self, request: ChatRequest) -> str | None:
        """The grammar of a turn: the request's own GBNF, else the tool-call grammar (whose answers follow
        `json_schema` when there is one), else `json_schema`'s."""
        if request.grammar is not None:
            return request.grammar
        style = self._turns.grammar_style
        if style is None:
            return schema_to_gbnf(request.json_schema) if request.json_schema is not None else None
        calls = request.max_calls_per_turn
        return tool_call_gbnf(request.tools, request.tool_choice, calls, style=style, answer_schema=request.json_schema)

    def _restore_prefix(self, tokens: list[int], prefix: int) -> int:
        """Make the KV cache hold `tokens[:prefix]` (the system and tool block) from a saved state if it can.

        Returns how many leading tokens are already evaluated. The first time a prefix is seen it is
        evaluated on its own and its state saved, so later conversations with the same tools skip it.
        """
        llm = self._require()
        cached = common_prefix(llm._input_ids[: llm.n_tokens].tolist(), tokens)
        if prefix == 0 or cached >= prefix:
            return cached
        key = tuple(tokens[:prefix])
        saved = self._prefix_states.get(key)
        ctx = llm._ctx.ctx
        if saved is not None:
            llm._ctx.kv_cache_clear()
            if llama_cpp.llama_state_seq_set_data(ctx, saved, len(saved), 0) == len(saved):
                llm.input_ids[:prefix] = key
                llm.n_tokens = prefix
                return prefix
        llm.reset()
        llm.eval(tokens[:prefix])
        # Only the KV cache of sequence 0: llama-cpp-python's save_state also copies a logits buffer
        # of n_batch x n_vocab floats, which makes restoring it slower than evaluating the prefix.
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        if llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0) == size:
            if len(self._prefix_states) >= MAX_PREFIX_STATES:
                self._prefix_states.pop(next(iter(self._prefix_states)))
            self._prefix_states[key] = buffer
        return 0

    def _grammar(self, gbnf: str) -> llama_cpp.LlamaGrammar:
        grammar = self._grammars.get(gbnf)
        if grammar is None:
            if len(self._grammars) >= 64:
                self._grammars.clear()
            grammar = self._grammars[gbnf] = compile_grammar(self._require(), gbnf)
        return grammar

    # -- tokens ------------------------------------------------------------------------------------

    async def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        llm = self._require()
        return await anyio.to_thread.run_sync(
            lambda: llm.tokenize(text.encode("utf-8"), add_bos=False, special=special), limiter=self._limiter
        )

    async def detokenize(self, tokens: Sequence[int]) -> str:
        """The text of token ids, special tokens included.

        Raises:
            TokenError: an id outside the vocabulary (llama.cpp would read out of bounds).
        """
        llm = self._require()
        self._check_ids(tokens)
        data = await anyio.to_thread.run_sync(lambda: llm.detokenize(list(tokens), special=True))
        return data.decode("utf-8", "replace")

    def _check_ids(self, tokens: Sequence[int]) -> None:
        check_token_ids(tokens, self._require().n_vocab())

    def special_tokens(self, tokens: Sequence[int]) -> list[int]:
        """The ids among `tokens` that are control tokens (BOS, EOS, chat markers such as <|im_start|>).

        Raises:
            TokenError: an id outside the vocabulary.
        """
        self._check_ids(tokens)
        vocab = self._require()._model.vocab
        control = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL
        return [t for t in tokens if llama_cpp.llama_vocab_get_attr(vocab, t) & control]

    async def prompt_tokens(self, request: ChatRequest) -> Prepared:
        """The prompt a request evaluates, rendered and tokenized exactly as generation does.

        Raises:
            ContextOverflowError: it does not fit the context window (and trimming is off or not enough).
        """
        self._require()
        return await anyio.to_thread.run_sync(self.prepare, request, limiter=self._limiter)

    def parse(self, text: str) -> Message:
        """An assistant turn from the model's raw text: content, reasoning and tool calls, in the model's format."""
        return self._turns.message(text)

    async def count_tokens(self, messages: Sequence[Message]) -> int:
        prompt = self.render(ChatRequest(messages=messages))
        return len(await anyio.to_thread.run_sync(self._tokenize_prompt, prompt, limiter=self._limiter))


def _sampler(sampling: SamplingParams) -> dict[str, Any]:
    return {
        "top_k": sampling.top_k,
        "top_p": sampling.top_p,
        "min_p": sampling.min_p,
        "temp": sampling.temperature,
        "repeat_penalty": sampling.repeat_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "presence_penalty": sampling.presence_penalty,
    }
