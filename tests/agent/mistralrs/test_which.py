"""Each `Which` variant as the `ModelSpec` it maps to, with and without the Runner's load options; nothing loads."""

from __future__ import annotations

import pytest

from agent import UnsupportedModelError, Which
from agent.mistralrs.which import LoadOptions, ModelSelector
from inference import ModelSpec

REPO = "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
PARTS = ["q-00001-of-00002.gguf", "q-00002-of-00002.gguf"]


@pytest.mark.parametrize(
    ("which", "spec"),
    [
        (Which.GGUF(quantized_model_id="smollm2-135m"), ModelSpec(model="smollm2-135m", format="gguf")),
        (
            Which.GGUF(quantized_model_id=REPO, quantized_filename="q.gguf", tok_model_id="x", hf_cache_path="/hub"),
            ModelSpec(model=REPO, filename="q.gguf", hf_cache_path="/hub", format="gguf"),
        ),
        (
            Which.GGUF(quantized_model_id=REPO, quantized_filename=PARTS),
            ModelSpec(model=REPO, filename=tuple(PARTS), format="gguf"),
        ),
        (
            Which.LoraGGUF(quantized_model_id="smollm2-135m", adapters_model_id="lora/", order="o", lora_scale=0.5),
            ModelSpec(model="smollm2-135m", format="gguf", lora_adapter="lora/", lora_scale=0.5),
        ),
        (
            Which.GGML(quantized_model_id="models", quantized_filename="tiny.bin", gqa=1, chat_template="{{ x }}"),
            ModelSpec(model="models", filename="tiny.bin", format="ggml", chat_template="{{ x }}"),
        ),
        (
            Which.Remote(url="http://127.0.0.1:8080/v1", model="qwen", api_key="sk-1", timeout_secs=5.0),
            ModelSpec(model="qwen", url="http://127.0.0.1:8080/v1", api_key="sk-1", timeout_secs=5.0),
        ),
        (
            Which.Plain(model_id="org/m", dtype="BF16", arch="mistral", hf_cache_path="/hub", tokenizer_json="t"),
            ModelSpec(model="org/m", hf_cache_path="/hub", format="safetensors", dtype="bf16", arch="mistral"),
        ),
        (
            Which.Lora(adapter_model_id="adapter/", model_id="base/", lora_scale=0.5),
            ModelSpec(model="base/", format="safetensors", lora_adapter="adapter/", lora_scale=0.5),
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, ModelSelector) else "",
)
def test_each_variant_maps_to_a_spec(which: ModelSelector, spec: ModelSpec) -> None:
    assert which.to_spec() == spec


def test_the_runners_load_options_fill_the_spec() -> None:
    options = LoadOptions(n_ctx=1024, n_threads=2, trim_tool_results=True, chat_format="hermes")
    assert Which.GGUF(quantized_model_id="gemma3-270m").to_spec(options) == ModelSpec(
        model="gemma3-270m", format="gguf", n_ctx=1024, threads=2, trim_tool_results=True, chat_format="hermes"
    )
    ggml = Which.GGML(quantized_model_id="tiny.bin", chat_template="own")
    assert ggml.to_spec(LoadOptions()).chat_template == "own"  # the variant's template unless the Runner gives one
    assert ggml.to_spec(LoadOptions(chat_template="runner's")).chat_template == "runner's"


@pytest.mark.parametrize(
    "which",
    [
        Which.XLora(xlora_model_id="x", order="o.json"),
        Which.VisionPlain(model_id="m", arch="gemma3"),
        Which.Speech(model_id="m", arch="dia"),
    ],
    ids=lambda w: type(w).__name__,
)
def test_unsupported_variants_have_no_spec(which: ModelSelector) -> None:
    with pytest.raises(UnsupportedModelError, match="supported variants: Which.GGUF, Which.LoraGGUF"):
        which.to_spec()


def test_the_runners_in_situ_quant_reaches_the_spec_and_uqff_is_refused() -> None:
    spec = Which.Plain(model_id="m").to_spec(LoadOptions(in_situ_quant="Q4K"))
    assert (spec.format, spec.in_situ_quant) == ("safetensors", "Q4K")
    with pytest.raises(ValueError, match="from_uqff="):
        Which.Plain(model_id="m", from_uqff="m.uqff").to_spec()
