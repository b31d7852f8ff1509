"""The ctransformers backend on tiny random-weight llama files the tests write: legacy GGML and early GGUF."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from inference import (
    Backend,
    ChatRequest,
    ChatResponse,
    ContextOverflowError,
    GrammarError,
    Message,
    ModelLoadError,
    ModelNotFoundError,
    ResponseDone,
    SamplingParams,
)
from inference.ctransformers_backend import INSTALL_HINT, CTransformersBackend, _cpu_library
from inference.ctransformers_files import inspect_model_file
from inference.models import resolve_model
from tests.inference._tiny_ggml import write_tiny_gguf, write_tiny_llama
from tools import ToolSpec

pytest.importorskip("ctransformers")

HELLO = [Message(role="user", content="hello")]


def _ask(max_tokens: int = 16, **sampling: object) -> ChatRequest:
    return ChatRequest(messages=HELLO, sampling=SamplingParams(max_tokens=max_tokens, **sampling))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("ggml") / "tiny.ggjt.bin")


@pytest.fixture(scope="module")
async def backend(tiny: Path) -> AsyncIterator[CTransformersBackend]:
    # One thread: the CI box has two cores shared with other jobs, and ggml's threads spin.
    async with CTransformersBackend(tiny, n_ctx=512, n_threads=1) as loaded:
        yield loaded


async def _stream(backend: CTransformersBackend, request: ChatRequest) -> tuple[list[str], ChatResponse]:
    deltas: list[str] = []
    async with backend.stream(request) as items:
        async for item in items:
            if isinstance(item, ResponseDone):
                return deltas, item.response
            deltas.append(item.text)
    raise AssertionError("the stream ended without ResponseDone")


# -- loading and generating ----------------------------------------------------------------------------


async def test_loads_a_ggjt_file_and_describes_it(backend: CTransformersBackend, tiny: Path) -> None:
    assert isinstance(backend, Backend)
    assert backend.model_info.id == "tiny.ggjt"
    assert backend.model_info.path == str(tiny)
    assert backend.model_info.n_ctx == 512
    assert backend.file_info is not None
    assert (backend.file_info.container, backend.file_info.n_vocab, backend.file_info.n_layer) == ("ggjt v3", 269, 2)


async def test_complete_is_greedy_at_temperature_zero_and_reuses_the_prompt_prefix(
    backend: CTransformersBackend,
) -> None:
    first = await backend.complete(_ask(max_tokens=12))
    again = await backend.complete(_ask(max_tokens=12))
    assert first.raw_text and again.raw_text == first.raw_text
    assert first.finish_reason == "length"
    assert first.usage.completion_tokens == 12
    assert first.usage.prompt_tokens == await backend.count_tokens(HELLO)
    # The same prompt again: only its last token is evaluated.
    assert again.usage.cached_tokens == again.usage.prompt_tokens - 1
    assert first.message.role == "assistant" and first.message.tool_calls == ()


async def test_stream_sends_deltas_then_the_whole_response(backend: CTransformersBackend) -> None:
    deltas, response = await _stream(backend, _ask(max_tokens=10))
    assert deltas and "".join(deltas) == response.raw_text
    assert response.usage.completion_tokens == 10


async def test_a_seed_makes_sampling_reproducible(backend: CTransformersBackend) -> None:
    sampled = [(await backend.complete(_ask(temperature=0.9, seed=seed))).raw_text for seed in (7, 7, 8)]
    greedy = (await backend.complete(_ask())).raw_text
    assert sampled[0] == sampled[1]
    assert len({sampled[0], sampled[2], greedy}) == 3


async def test_a_stop_string_cuts_the_text_and_is_never_streamed(backend: CTransformersBackend) -> None:
    text = (await backend.complete(_ask())).raw_text
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    deltas, response = await _stream(backend, _ask(stop=(stop,)))
    assert response.raw_text == text[: text.index(stop)]
    assert response.finish_reason == "stop"
    assert "".join(deltas) == response.raw_text


async def test_leaving_a_stream_early_then_generating_again(backend: CTransformersBackend) -> None:
    async with backend.stream(_ask(max_tokens=64)) as items:
        async for _ in items:
            break
    assert (await backend.complete(_ask(max_tokens=4))).usage.completion_tokens == 4


async def test_concurrent_requests_take_turns(backend: CTransformersBackend) -> None:
    results: list[str] = []

    async def run() -> None:
        results.append((await backend.complete(_ask(max_tokens=8))).raw_text)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(run)
    assert len(results) == 3 and len(set(results)) == 1


async def test_a_prompt_longer_than_the_context_is_an_error(tiny: Path) -> None:
    async with CTransformersBackend(tiny, n_ctx=16, n_threads=1) as small:
        with pytest.raises(ContextOverflowError) as caught:
            await small.complete(_ask())
    assert caught.value.n_ctx == 16 and caught.value.prompt_tokens > 16


async def test_grammars_are_refused_rather_than_ignored(backend: CTransformersBackend) -> None:
    for request in (ChatRequest(messages=HELLO, grammar='root ::= "x"'), ChatRequest(messages=HELLO, json_schema={})):
        with pytest.raises(GrammarError, match="ctransformers cannot constrain decoding"):
            await backend.complete(request)


def test_tools_are_described_in_the_prompt_and_the_template_can_be_replaced(tiny: Path) -> None:
    tool = ToolSpec(name="clock_now", description="The time.", input_schema={"type": "object", "properties": {}})
    prompt = CTransformersBackend(tiny).render(ChatRequest(messages=HELLO, tools=[tool]))
    assert prompt.startswith("<|im_start|>system\n") and '"name": "clock_now"' in prompt
    assert prompt.endswith("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n")
    plain = CTransformersBackend(tiny, chat_template="{% for m in messages %}[{{ m['content'] }}]{% endfor %}")
    assert plain.render(ChatRequest(messages=HELLO)) == "[hello]"


# -- tokens ---------------------------------------------------------------------------------------------


async def test_tokenize_and_detokenize_round_trip(backend: CTransformersBackend) -> None:
    tokens = await backend.tokenize("hello world")
    assert tokens[0] == 3 + 256 + 5  # the "hello" merge, no BOS
    assert await backend.detokenize(tokens) == "hello world"
    text = "héllo ✓ 日本"
    assert await backend.detokenize(await backend.tokenize(text)) == text


async def test_text_of_many_multibyte_characters_tokenizes_byte_by_byte(backend: CTransformersBackend) -> None:
    # ctransformers' own tokenize() sizes its buffer by characters (101 here) and would overflow it.
    assert len(await backend.tokenize("✓" * 100)) == 300


async def test_detokenize_rejects_ids_outside_the_vocabulary(backend: CTransformersBackend) -> None:
    with pytest.raises(ValueError, match=r"tokens \[-1, 269\]: outside the vocabulary 0\.\.268"):
        await backend.detokenize([5, -1, 269])


# -- other containers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("container", "version", "f16", "name"),
    [
        ("ggml", 0, True, "ggml"),
        ("ggmf", 1, True, "ggmf v1"),
        ("ggjt", 1, False, "ggjt v1"),
        ("ggjt", 2, True, "ggjt v2"),
        ("ggjt", 3, False, "ggjt v3"),
    ],
)
async def test_every_legacy_container_loads(tmp_path: Path, container: str, version: int, f16: bool, name: str) -> None:
    path = write_tiny_llama(tmp_path / "m.bin", container=container, version=version, f16=f16)
    async with CTransformersBackend(path, n_ctx=128, n_threads=1) as loaded:
        response = await loaded.complete(_ask(max_tokens=4))
    assert loaded.file_info is not None and loaded.file_info.container == name
    assert response.usage.completion_tokens == 4


@pytest.mark.parametrize("version", [1, 2, 3])
async def test_early_gguf_loads(tmp_path: Path, version: int) -> None:
    path = write_tiny_gguf(tmp_path / "m.gguf", version=version)
    async with CTransformersBackend(path, n_ctx=128, n_threads=1) as loaded:
        response = await loaded.complete(_ask(max_tokens=4))
        # SentencePiece in GGUF adds a leading space, as llama.cpp did in 2023.
        assert await loaded.detokenize(await loaded.tokenize("hello world")) == " hello world"
    assert loaded.file_info is not None and loaded.file_info.n_ctx_train == 256
    assert response.usage.completion_tokens == 4


# -- bad input -------------------------------------------------------------------------------------------


async def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.bin"
    with pytest.raises(ModelNotFoundError, match="nope.bin") as caught:
        async with CTransformersBackend(missing):
            pass
    assert caught.value.model == str(missing)
    with pytest.raises(ModelNotFoundError, match="a directory"):
        inspect_model_file(tmp_path)


def _cut(path: Path, keep: int) -> Path:
    data = path.read_bytes()
    out = path.with_name(f"cut{keep}-{path.name}")
    out.write_bytes(data[: keep if keep >= 0 else len(data) + keep])
    return out


@pytest.mark.parametrize(
    ("keep", "where"),
    [
        (0, "magic"),
        (6, "version"),
        (20, "hyperparameters"),
        (500, "token 51"),
        (3000, "data of tensor 'tok_embeddings.weight'"),
        (-1, "data of tensor 'layers.1.feed_forward.w3.weight'"),  # one byte short: the loader itself accepts it
    ],
)
async def test_a_truncated_file_says_where_it_ends(tiny: Path, keep: int, where: str) -> None:
    cut = _cut(tiny, keep)
    with pytest.raises(ModelLoadError) as caught:
        async with CTransformersBackend(cut):
            pass
    assert caught.value.path == str(cut)
    assert caught.value.reason.startswith(f"truncated: {where}")
    assert str(cut) in str(caught.value)


def test_a_truncated_gguf_is_caught_too(tmp_path: Path) -> None:
    cut = _cut(write_tiny_gguf(tmp_path / "m.gguf"), -100)
    with pytest.raises(ModelLoadError, match=r"truncated: tensor 'blk\.0\.ffn_up\.weight' ends at byte"):
        inspect_model_file(cut)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


# Header of a ggjt file: magic, version, then n_vocab, n_embd, n_mult, n_head, n_layer, n_rot, ftype (u32 each).
@pytest.mark.parametrize(
    ("patches", "reason"),
    [
        ({0: b"\x91\xbf7\xc9"}, r"not a GGML or GGUF file \(starts with b'\\x91\\xbf7\\xc9'"),
        ({4: _u32(4)}, "ggjt version 4 is unknown"),
        ({8: _u32(10**9)}, "implausible hyperparameters n_vocab=1000000000"),
        ({20: _u32(5)}, "5 attention heads"),
        ({28: _u32(5)}, r"n_rot=5, but n_embd / n_head = 8"),
        ({4: _u32(1), 32: _u32(2)}, r"ggjt v1 with quantization type 2 predates llama.cpp PR #1405"),
        ({36 + 13: _u32(1 << 30)}, "truncated: token 1 at byte 53 needs 1073741824 bytes"),
    ],
)
def test_a_corrupt_header_gives_the_reason(tiny: Path, patches: dict[int, bytes], reason: str) -> None:
    data = bytearray(tiny.read_bytes())
    for offset, value in patches.items():
        data[offset : offset + len(value)] = value
    path = tiny.with_name(f"patched-{min(patches)}-{len(patches)}.bin")
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match=reason):
        inspect_model_file(path)


def test_a_garbage_file_and_an_empty_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(ModelLoadError, match="not a GGML or GGUF file"):
        inspect_model_file(garbage)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError, match="truncated: magic at byte 0 needs 4 bytes, the file has 0"):
        inspect_model_file(empty)


def test_a_vocabulary_without_byte_tokens_is_refused(tmp_path: Path) -> None:
    path = write_tiny_llama(tmp_path / "m.bin", omit_bytes=b"A")
    with pytest.raises(ModelLoadError, match=r"the vocabulary lacks 1 byte tokens \(e\.g\. b'A'\)"):
        inspect_model_file(path)


def test_a_missing_tensor_is_named(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "m.gguf")
    data = path.read_bytes().replace(b"output.weight", b"outpux.weight")
    path.write_bytes(data)
    with pytest.raises(ModelLoadError, match="tensor 'output.weight' is missing"):
        inspect_model_file(path)


def test_a_modern_gguf_is_refused_with_the_reason() -> None:
    try:
        smollm2 = resolve_model("smollm2-135m")
    except ModelNotFoundError:
        pytest.skip("the embedded SmolLM2 GGUF is not installed")
    with pytest.raises(ModelLoadError, match="tokenizer 'gpt2'.*SentencePiece"):
        inspect_model_file(smollm2)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("writer", "code"),
    [
        (
            "write_tiny_llama(path); data = bytearray(path.read_bytes()); data[28] = 5; path.write_bytes(data)",
            "LLM(str(path), 'llama', config=Config(context_length=64), lib=lib)",
        ),
        (
            "write_tiny_llama(path, omit_bytes=b'A')",
            "LLM(str(path), 'llama', config=Config(context_length=64), lib=lib).tokenize('A')",
        ),
    ],
    ids=["bad n_rot aborts the loader", "a missing byte token aborts the tokenizer"],
)
def test_what_is_refused_would_abort_the_native_library(tmp_path: Path, writer: str, code: str) -> None:
    """Why the checks exist: handed straight to ctransformers, these files kill the process."""
    script = (
        "from pathlib import Path\nfrom ctransformers.llm import LLM, Config\n"
        "from tests.inference._tiny_ggml import write_tiny_llama\n"
        f"path = Path({str(tmp_path / 'm.bin')!r})\nlib = {_cpu_library()!r}\n{writer}\n{code}\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGABRT, done.stderr.decode(errors="replace")[-500:]
    with pytest.raises(ModelLoadError):
        inspect_model_file(tmp_path / "m.bin")


async def test_without_ctransformers_the_error_says_how_to_install_it(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ctransformers", None)
    monkeypatch.setitem(sys.modules, "ctransformers.llm", None)
    with pytest.raises(ModelLoadError, match=INSTALL_HINT.replace("[", r"\[").replace("]", r"\]")):
        async with CTransformersBackend(tiny):
            pass


def test_importing_the_backend_does_not_import_ctransformers() -> None:
    script = "import sys, inference, inference.ctransformers_backend; assert 'ctransformers' not in sys.modules"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True, timeout=60)


def test_bad_arguments_are_refused_at_construction(tiny: Path) -> None:
    with pytest.raises(ValueError, match="model_type: 'gpt2' is not supported"):
        CTransformersBackend(tiny, model_type="gpt2")
    with pytest.raises(ValueError, match="n_batch: 1024 is outside 1..512"):
        CTransformersBackend(tiny, n_batch=1024)
