"""`Which.Plain`, `Which.Lora` and `Which.LoraGGUF` with a PEFT folder, through the Runner, on tiny safetensors
models in a Hugging Face cache the test writes (mistral.rs's example shapes, nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import Runner, Which
from tests.inference._tiny_hf import write_adapter, write_model

REQUEST = {"messages": [{"role": "user", "content": "Name a fruit."}], "max_tokens": 8, "temperature": 0.0}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCPAGENT_CACHE", str(tmp_path / "cache"))
    write_model(tmp_path / "hub" / "models--someone--tiny-llama" / "snapshots" / "rev1")
    return tmp_path / "hub"


def _answer(runner: Runner) -> str:
    return runner.send_chat_completion_request(REQUEST).choices[0].message.content or ""


def test_plain_from_the_hf_cache_with_in_situ_quant(hub: Path) -> None:
    which = Which.Plain(model_id="someone/tiny-llama", hf_cache_path=str(hub))
    with Runner(which=which, in_situ_quant="Q4K") as runner:
        assert runner.list_models() == ["someone/tiny-llama"]
        assert _answer(runner)
    with pytest.raises(ValueError, match="known: Q2K"):
        Runner(which=which, in_situ_quant="Q1Z")


def test_lora_and_lora_gguf_take_a_peft_adapter(hub: Path, tmp_path: Path) -> None:
    base = Which.Plain(model_id="someone/tiny-llama", hf_cache_path=str(hub))
    with Runner(which=base) as runner:
        plain = _answer(runner)
        converted = runner.send_chat_completion_request(REQUEST).model
    adapter = str(write_adapter(tmp_path / "adapter"))
    lora = Which.Lora(adapter_model_id=adapter, model_id="someone/tiny-llama", hf_cache_path=str(hub))
    with Runner(which=lora) as runner:
        adapted = _answer(runner)
    assert adapted != plain
    with Runner(which=Which.Lora(adapter_model_id=adapter, model_id="someone/tiny-llama", hf_cache_path=str(hub),
                                 lora_scale=0.0)) as runner:
        assert _answer(runner) == plain
    gguf_base = next((tmp_path / "cache" / "converted").glob("someone--tiny-llama-*.auto.gguf"))
    with Runner(which=Which.LoraGGUF(quantized_model_id=str(gguf_base), adapters_model_id=adapter)) as runner:
        assert _answer(runner) == adapted
    assert converted == "someone/tiny-llama"
