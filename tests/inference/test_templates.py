"""Chat templates rendered exactly as Hugging Face renders them.

The environment piece by piece (tojson, loop controls, whitespace, globals), then whole prompts: the
runtime's own prompt (text and token ids, as `prompt_tokens` builds it for generation and for the
server's tokenize endpoint) against transformers' `apply_chat_template`, for the templates of the GGUFs
we ship and for templates in the shape of Qwen, Llama 3, Mistral, Gemma and GLM.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import gguf
import jinja2
import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast
from transformers.integrations.gguf.gguf_tokenizer_mapping import (
    _SPECIAL_TOKENS,
    GGUF_TOKENIZER_MAPPING,
    convert_gguf_tokenizer,
)

from inference import InferenceError, toolprompt
from inference.llama_cpp_backend import LlamaCppBackend
from inference.models import resolve_model
from inference.templates import FALLBACKS, ChatTemplate
from tests.inference._chats import CHATS, Chat

TEMPLATES = Path(__file__).parent / "chat_templates"


def bare_tokenizer(**special_tokens: str) -> PreTrainedTokenizerFast:
    """A transformers tokenizer with no vocabulary to speak of, only named special tokens: enough to render."""
    vocab = {token: index for index, token in enumerate(["<unk>", *special_tokens.values()])}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="<unk>")), **special_tokens)


def hf_render(source: str, messages: list[dict[str, Any]], **kwargs: Any) -> str:
    """transformers' `apply_chat_template(tokenize=False)`, for the model-free checks."""
    text = bare_tokenizer().apply_chat_template(messages, chat_template=source, tokenize=False, **kwargs)
    assert isinstance(text, str)
    return text


# -- the environment, piece by piece -----------------------------------------------------------------

HELLO = [{"role": "user", "content": "hello"}]
SCHEMA = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}}
TOJSON_CASES = [
    ("{{ x | tojson }}", {"z": 1, "a": [1, 2]}, '{"z": 1, "a": [1, 2]}'),  # insertion order, not sorted
    ("{{ x | tojson }}", "<&'> ∑ €", '"<&\'> ∑ €"'),  # no HTML escaping, non-ASCII kept
    ("{{ x | tojson(ensure_ascii=True) }}", "€", '"\\u20ac"'),
    ("{{ x | tojson(indent=2) }}", SCHEMA, json.dumps(SCHEMA, indent=2)),
    ("{{ x | tojson(separators=(',', ':')) }}", SCHEMA, json.dumps(SCHEMA, separators=(",", ":"))),
    ("{{ x | tojson(sort_keys=True) }}", SCHEMA, json.dumps(SCHEMA, sort_keys=True, ensure_ascii=False)),
]


@pytest.mark.parametrize(("source", "value", "expected"), TOJSON_CASES)
def test_tojson_is_json_dumps_as_hugging_face_defines_it(source: str, value: Any, expected: str) -> None:
    ours = ChatTemplate(source).render(HELLO, x=value)
    assert ours == expected
    assert ours == hf_render(source, HELLO, x=value)


def test_a_templates_final_newline_is_dropped() -> None:
    source = "{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}\n"  # as a file saves it
    assert ChatTemplate(source, eos_token="</s>").render(HELLO) == "hello</s>"
    assert hf_render(source, HELLO, eos_token="</s>") == "hello</s>"


def test_break_and_continue_compile_and_run() -> None:
    source = (
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "{% if m.content == 'stop' %}{% break %}{% endif %}[{{ m.content }}]{% endfor %}"
    )
    messages = [{"role": r, "content": c} for r, c in [("system", "s"), ("user", "a"), ("user", "stop"), ("user", "b")]]
    assert ChatTemplate(source).render(messages) == "[a]" == hf_render(source, messages)


def test_block_whitespace_is_trimmed_as_hugging_face_does() -> None:
    source = "{% for m in messages %}\n    {% if m.content %}\n{{ m.content }}\n    {% endif %}\n{% endfor %}"
    messages = [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}]
    assert ChatTemplate(source).render(messages) == "x\ny\n" == hf_render(source, messages)


def test_raise_exception_fails_the_render_with_the_templates_message() -> None:
    source = "{% if messages[0].role != 'user' %}{{ raise_exception('Start with a user turn') }}{% endif %}"
    with pytest.raises(InferenceError, match="Start with a user turn"):
        ChatTemplate(source).render([{"role": "assistant", "content": "x"}])


def test_strftime_now_dict_and_namespace_are_available() -> None:
    source = (
        "{{ strftime_now('%Y') }} {% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}{{ ns.n }} "
        "{{ dict(a=1) | tojson }}"
    )
    assert ChatTemplate(source).render(HELLO) == f"{datetime.now():%Y} 2 " + '{"a": 1}' == hf_render(source, HELLO)


def test_generation_blocks_render_their_text() -> None:
    source = "{% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %}{% endfor %}"
    messages = [{"role": "assistant", "content": "ok"}]
    assert ChatTemplate(source).render(messages) == "ok" == hf_render(source, messages)


def test_a_namespace_refuses_underscore_attributes() -> None:
    with pytest.raises(InferenceError, match="may not start with '_'"):
        ChatTemplate("{% set ns = namespace(_x=1) %}").render([])


def test_messages_are_normalized_as_apply_chat_template_does() -> None:
    """None-valued keys are dropped (a null `content` is undefined, not "None") and reasoning is also `thinking`."""
    source = "{% for m in messages %}{{ m.content is defined }}|{{ m.thinking }}|{{ m.reasoning_content }};{% endfor %}"
    messages = [{"role": "assistant", "content": None, "reasoning_content": "why"}, {"role": "user", "content": "q"}]
    assert ChatTemplate(source).render(messages) == "False|why|why;True||;" == hf_render(source, messages)


def test_extra_variables_and_special_tokens_reach_the_template() -> None:
    source = "{{ bos_token }}{{ pad_token }}{{ 'T' if enable_thinking else 'F' }}{{ tools is none }}"
    template = ChatTemplate(source, bos_token="<s>", eos_token="</s>", special_tokens={"pad_token": "<pad>"})
    assert template.render([], enable_thinking=True) == "<s><pad>TTrue"
    assert template.render([], bos_token="[B]") == "[B]<pad>FTrue"  # kwargs override special tokens, as in HF


# -- whole prompts: the runtime against transformers ---------------------------------------------------


def _hf_tokenizer(path: Path) -> PreTrainedTokenizerFast:
    """transformers' tokenizer for a GGUF, built as `AutoTokenizer.from_pretrained(gguf_file=...)` builds it
    (that entry point reads the file with torch, which rendering and tokenizing do not need)."""
    fields = gguf.GGUFReader(str(path)).fields
    metadata = {key: f.contents() for key, f in fields.items() if key.startswith(("tokenizer.", "general.arch"))}
    mapping = GGUF_TOKENIZER_MAPPING["tokenizer"]
    values = {name: metadata[f"tokenizer.{key}"] for key, name in mapping.items() if f"tokenizer.{key}" in metadata}
    backend, _ = convert_gguf_tokenizer(metadata["general.architecture"], values)
    special = {
        name: values["tokens"][metadata[f"tokenizer.ggml.{key}"]]
        for name, key in _SPECIAL_TOKENS.items()
        if f"tokenizer.ggml.{key}" in metadata
    }
    template = metadata.get("tokenizer.chat_template")
    return PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=template, **special)


@pytest.fixture(scope="module")
def hf_tokenizers() -> dict[str, PreTrainedTokenizerFast]:
    """transformers' tokenizers: SmolLM2's built from its GGUF (4 s: special tokens and chat template as
    transformers reads them); for Gemma (whose 262k-token vocabulary takes the gguf reader 25 s) one with the
    GGUF's special tokens only, which is all rendering needs (it has no template of its own)."""
    return {
        "smollm2-135m": _hf_tokenizer(resolve_model("smollm2-135m")),
        "gemma3-270m": bare_tokenizer(bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", pad_token="<pad>"),
    }


CASES = {
    # name: (model, the template given to the runtime, the one given to transformers); None: the GGUF's own
    "smollm2-gguf": ("smollm2-135m", None, None),
    "gemma3-270m-gguf": ("gemma3-270m", None, FALLBACKS["gemma3"]),
    **{
        shape: (model, (TEMPLATES / f"{shape}.jinja").read_text(), (TEMPLATES / f"{shape}.jinja").read_text())
        for shape, model in [
            ("qwen3", "smollm2-135m"),
            ("llama3", "smollm2-135m"),
            ("mistral", "smollm2-135m"),
            ("glm", "smollm2-135m"),
            ("gemma3", "gemma3-270m"),
        ]
    },
}


async def _compare(
    backend: LlamaCppBackend,
    source: str | None,
    chat: Chat,
    tokenizer: PreTrainedTokenizerFast,
) -> str | None:
    """None when both sides agree (same text and ids, or the same template error), else what differs."""
    request = chat.request()
    native = ChatTemplate(source or tokenizer.chat_template).supports_tools
    # A template that renders no tools gets our tool prompt: those are the messages the model is shown.
    messages = chat.messages if native else toolprompt.template_messages(request.messages, request.tools)
    tools = chat.tools if native and chat.tools else None
    try:
        expected = tokenizer.apply_chat_template(
            messages, tools=tools, chat_template=source, add_generation_prompt=True, tokenize=False, **chat.kwargs
        )
    except jinja2.TemplateError as exc:
        with pytest.raises(InferenceError) as raised:
            await backend.prompt_tokens(request)
        return None if str(exc) in str(raised.value) else f"{chat.name}: HF raised {exc!r}, we raised {raised.value}"
    prepared = await backend.prompt_tokens(request)
    if prepared.prompt != expected:
        return f"{chat.name}: text differs\n--- transformers\n{expected!r}\n--- ours\n{prepared.prompt!r}"
    if prepared.tokens != await backend.tokenize(expected):
        return f"{chat.name}: the ids differ on the same text (a BOS of our own?)"
    return None


@pytest.mark.model
@pytest.mark.parametrize("case", list(CASES))
async def test_prompts_match_apply_chat_template(case: str, hf_tokenizers: dict[str, PreTrainedTokenizerFast]) -> None:
    """Every conversation renders to the text transformers renders and to the same token ids.

    Ids: llama.cpp's tokenizer of the GGUF on transformers' text with no BOS of its own (as
    `apply_chat_template(tokenize=True)` adds none), against the ids the runtime evaluates. Where the
    template rejects a conversation (Llama 3 and parallel calls, Gemma and tool turns), both must reject
    it with the template's message.
    """
    model, runtime_source, source = CASES[case]
    tokenizer = hf_tokenizers[model]
    async with LlamaCppBackend(model, chat_template=runtime_source, n_ctx=2048) as backend:
        differences = [await _compare(backend, source, chat, tokenizer) for chat in CHATS]
    assert [d for d in differences if d] == []
