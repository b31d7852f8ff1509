"""Safetensors models converted to GGUF: tiny random-weight models written by the real libraries, converted,
quantized, cached, loaded and run; their tokenizers checked id for id against the source tokenizer."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import gguf
import numpy as np
import pytest
from safetensors.numpy import save_file

from inference import ChatRequest, Message, ModelLoadError, ModelSpec, SamplingParams, open_backend
from inference._safetensors import read, read_header
from inference.models import find_hf_folder
from tests.inference._tiny_hf import SAMPLES, write_adapter, write_model

REQUEST = ChatRequest(messages=[Message(role="user", content="Name a fruit.")], sampling=SamplingParams(max_tokens=8))


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCPAGENT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _converted(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "converted").iterdir()) if (cache / "converted").is_dir() else []


async def _answer(spec: ModelSpec) -> str:
    async with open_backend(spec) as backend:
        return (await backend.complete(REQUEST)).raw_text


@pytest.mark.parametrize("family", ["llama", "gemma3"])
async def test_the_converted_tokenizer_gives_the_source_ids_and_the_model_runs(tmp_path: Path, family: str) -> None:
    tokenizer = write_model(tmp_path / family, family)
    async with open_backend(ModelSpec(model=str(tmp_path / family))) as backend:
        for text in SAMPLES:
            assert await backend.tokenize(text, special=False) == tokenizer.encode(text, add_special_tokens=False).ids
        marker = "<|im_start|>user\nhi" if family == "llama" else "<start_of_turn>user\nhi"
        assert await backend.tokenize(marker) == tokenizer.encode(marker, add_special_tokens=False).ids
        response = await backend.complete(REQUEST)
        assert backend.model_info.id == family
    assert response.usage.completion_tokens > 0 and response.raw_text


async def test_quantized_once_then_loaded_from_the_cache_with_progress(tmp_path: Path, _cache: Path) -> None:
    write_model(tmp_path / "m")
    seen: list[tuple[int, int]] = []
    spec = ModelSpec(model=str(tmp_path / "m"), in_situ_quant="Q4K")
    async with open_backend(spec, progress=lambda done, total: seen.append((done, total))) as backend:
        path = Path(backend.model_info.path)
    assert seen and seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    file_type = gguf.GGUFReader(path).fields["general.file_type"].contents()
    assert file_type == 14  # LLAMA_FTYPE_MOSTLY_Q4_K_S: mistral.rs's Q4K, every matrix Q4_K
    seen.clear()
    async with open_backend(spec, progress=lambda done, total: seen.append((done, total))) as backend:
        assert Path(backend.model_info.path) == path
    assert seen == []  # the second load converts nothing
    assert _converted(_cache) == [path.name]  # and no temporary file was left behind
    await _answer(ModelSpec(model=str(tmp_path / "m"), in_situ_quant="q8_0", dtype="f32"))
    assert len(_converted(_cache)) == 2  # other options: another file


def test_an_unknown_quantization_lists_the_known_ones(tmp_path: Path) -> None:
    write_model(tmp_path / "m")
    with pytest.raises(ValueError, match=r"'Q9K' is not a quantization.*Q4K.*Q4_K_M"):
        open_backend(ModelSpec(model=str(tmp_path / "m"), in_situ_quant="Q9K"))
    with pytest.raises(ValueError, match="no Q8_K file type: use Q8_0"):
        open_backend(ModelSpec(model=str(tmp_path / "m"), in_situ_quant="Q8K"))


async def test_an_interrupted_conversion_leaves_nothing_in_the_cache(tmp_path: Path, _cache: Path) -> None:
    write_model(tmp_path / "m")

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        async with open_backend(ModelSpec(model=str(tmp_path / "m")), progress=interrupt):
            pass
    assert _converted(_cache) == []


async def test_bad_sources_are_one_clear_error_naming_the_file(tmp_path: Path) -> None:
    write_model(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match=r"model\.safetensors.*past the end of the file.*truncated"):
        await _answer(ModelSpec(model=str(tmp_path / "m")))
    weights.write_bytes(struct.pack("<Q", 12) + b"{not json!}" + data[20:100])
    with pytest.raises(ModelLoadError, match=r"model\.safetensors.*header is not JSON"):
        await _answer(ModelSpec(model=str(tmp_path / "m")))
    weights.write_bytes(data)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps(config | {"architectures": ["GPT2LMHeadModel"]}))
    with pytest.raises(ModelLoadError, match=r"config\.json.*GPT2LMHeadModel is not supported; supported: Llama"):
        await _answer(ModelSpec(model=str(tmp_path / "m")))
    assert await _answer(ModelSpec(model=str(tmp_path / "m"), arch="llama"))  # arch= overrides the detection
    (tmp_path / "m" / "config.json").unlink()
    with pytest.raises(ModelLoadError, match=r"config\.json.*missing"):
        await _answer(ModelSpec(model=str(tmp_path / "m")))


async def test_a_peft_adapter_changes_the_output_and_scale_zero_does_not(tmp_path: Path) -> None:
    write_model(tmp_path / "m")
    base = ModelSpec(model=str(tmp_path / "m"))
    plain = await _answer(base)
    adapter = str(write_adapter(tmp_path / "adapter"))
    assert await _answer(ModelSpec(model=base.model, lora_adapter=adapter)) != plain
    assert await _answer(ModelSpec(model=base.model, lora_adapter=adapter, lora_scale=0.0)) == plain
    zero = str(write_adapter(tmp_path / "zero", scale=0.0))
    assert await _answer(ModelSpec(model=base.model, lora_adapter=zero)) == plain


def test_bfloat16_is_widened_exactly_and_hf_cache_repos_are_found(tmp_path: Path) -> None:
    values = np.array([[1.0, -2.5], [3.140625, 0.0]], dtype=np.float32)
    bits = (values.view(np.uint32) >> 16).astype(np.uint16)
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}}).encode()
    (tmp_path / "bf16.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bits.tobytes())
    assert np.array_equal(read(read_header(tmp_path / "bf16.safetensors")["w"]), values)
    save_file({"x": np.zeros(3, np.float32)}, str(tmp_path / "f32.safetensors"))
    assert read_header(tmp_path / "f32.safetensors")["x"].shape == (3,)

    snapshot = tmp_path / "hub" / "models--someone--tiny" / "snapshots" / "rev1"
    write_model(snapshot)
    assert find_hf_folder("someone/tiny", tmp_path / "hub") == snapshot
    assert find_hf_folder("someone/absent", tmp_path / "hub") is None
