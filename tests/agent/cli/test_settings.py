"""The command line's model options as the `ModelSpec` they parse into: the references `Which` takes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent import Which
from agent.cli._common import Settings
from agent.mistralrs.which import ModelSelector
from inference import ModelSpec

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
URL = "http://127.0.0.1:8080/v1"


@pytest.mark.parametrize(
    ("settings", "spec"),
    [
        (Settings(), ModelSpec(model="smollm2-135m")),
        (Settings(model="gemma3-270m", threads=2), ModelSpec(model="gemma3-270m", threads=2)),
        (Settings(model="m/q.gguf", chat_format="hermes"), ModelSpec(model="m/q.gguf", chat_format="hermes")),
        (Settings(model=f"{REPO}:smol.gguf"), ModelSpec(model=REPO, filename="smol.gguf")),
        (Settings(model=f"{REPO}:s-00001-of-00002.gguf,s-00002-of-00002.gguf"),
         ModelSpec(model=REPO, filename=("s-00001-of-00002.gguf", "s-00002-of-00002.gguf"))),
        # With --engine-url, --model is the engine's name for the model, colon and all.
        (Settings(model="qwen2.5:7b", engine_url=URL, threads=2), ModelSpec(model="qwen2.5:7b", url=URL)),
        (Settings(engine_url=URL, engine_timeout=5.0), ModelSpec(url=URL, timeout_secs=5.0)),
    ],
)
def test_the_model_options_parse_into_a_spec(settings: Settings, spec: ModelSpec) -> None:
    assert settings.model_spec() == spec


@pytest.mark.parametrize(
    ("model", "which"),
    [
        ("smollm2-135m", Which.GGUF(quantized_model_id="smollm2-135m")),
        (f"{REPO}:smol.gguf", Which.GGUF(quantized_model_id=REPO, quantized_filename="smol.gguf")),
        (f"{REPO}:a.gguf,b.gguf", Which.GGUF(quantized_model_id=REPO, quantized_filename=["a.gguf", "b.gguf"])),
        ("models:tiny.bin", Which.GGML(quantized_model_id="models", quantized_filename="tiny.bin")),
    ],
)
def test_the_cli_names_what_which_names(model: str, which: ModelSelector) -> None:
    # The same spec but for the format, which the CLI reads from the file and Which gives by its variant.
    assert Settings(model=model).model_spec() == replace(which.to_spec(), format=None)
