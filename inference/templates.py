"""Chat templates: a GGUF's own Jinja template, rendered exactly as Hugging Face's `apply_chat_template` renders it
(transformers' sandboxed environment, filters, globals and extensions, and its normalization of the messages)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.parser
import jinja2.runtime
import jinja2.utils
from jinja2.sandbox import ImmutableSandboxedEnvironment

from inference.errors import InferenceError

# A minimal ChatML template for GGUF files that carry none.
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


# Gemma's turn format, for Gemma GGUF files that carry no template (the base models). It has no
# system role: a system message is folded into the first user turn, as Gemma's own template does.
GEMMA = (
    "{{ bos_token }}{% set ns = namespace(system='', first=true) %}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{% set ns.system = message['content'] + '\\n\\n' %}"
    "{% else %}{% set role = 'model' if message['role'] == 'assistant' else 'user' %}"
    "{{ '<start_of_turn>' + role + '\\n' }}{% if ns.first %}{{ ns.system }}{% set ns.first = false %}{% endif %}"
    "{{ message['content'] + '<end_of_turn>\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
FALLBACKS = {"gemma": GEMMA, "gemma2": GEMMA, "gemma3": GEMMA}
"""Templates by `general.architecture` for GGUF files without `tokenizer.chat_template`; ChatML otherwise."""

REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")
"""Names a message's reasoning goes by; templates read `reasoning_content` (gpt-oss reads `thinking`)."""


# -- the environment: transformers' `_cached_compile_jinja_template`, piece by piece -----------------


def _raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | str | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own `tojson` sorts keys and escapes <, >, &, ' as \u003c...: Hugging Face replaces it with
    # plain json.dumps (keys in insertion order, non-ASCII kept), so that is what models were trained on.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


class _TemplateDict:
    """`dict(...)` in a template, without exposing the type itself."""

    def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict.fromkeys(*args, **kwargs)


class _TemplateNamespace(jinja2.utils.Namespace):
    """`namespace(...)` that refuses underscore-prefixed attributes (a sandbox escape route)."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # Jinja's own signature: `namespace(self=...)` works
        self, rest = args[0], args[1:]
        attrs = dict(*rest, **kwargs)
        for name in attrs:
            _TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _TemplateNamespace._check_name(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check_name(name: object) -> None:
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(f"a namespace attribute may not start with '_': {name!r}")


class _GenerationBlock(jinja2.ext.Extension):
    """`{% generation %}...{% endgeneration %}`, which marks assistant text for training masks: rendered as is."""

    tags = {"generation"}

    def parse(self, parser: jinja2.parser.Parser) -> jinja2.nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller: jinja2.runtime.Macro) -> str:
        return str(caller())


def _environment() -> ImmutableSandboxedEnvironment:
    # keep_trailing_newline stays False (Jinja's default), as in transformers: a template's final newline is dropped.
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationBlock, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.globals["dict"] = _TemplateDict()
    env.globals["namespace"] = _TemplateNamespace
    return env


# -- the data: transformers' `_normalize_chat_messages`, `_plain_template_data`, `_alias_reasoning_fields` -----


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def template_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message as a template sees it: None-valued keys dropped, reasoning under each of its names."""
    out = {key: _plain(item) for key, item in message.items() if item is not None}
    reasoning = next((out[key] for key in REASONING_FIELDS if out.get(key) is not None), None)
    if reasoning is not None:
        out = {"thinking": reasoning, **out, "reasoning_content": reasoning}
    return out


class ChatTemplate:
    """A compiled chat template. `render()` gives the prompt text for a list of message dicts.

    Args:
        source: The Jinja source (ChatML when None or empty).
        bos_token: The model's BOS token text, passed to the template as `bos_token`.
        eos_token: The model's EOS token text, passed as `eos_token`.
        special_tokens: Other named special tokens passed to the template (`unk_token`, `pad_token`, ...),
            as a Hugging Face tokenizer passes its `special_tokens_map`.

    Raises:
        InferenceError: the template does not compile.
    """

    def __init__(
        self,
        source: str | None,
        *,
        bos_token: str = "",
        eos_token: str = "",
        special_tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source or CHATML
        try:
            self._template = _environment().from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            raise InferenceError(f"chat template does not compile: {exc}") from None
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.special_tokens = {**(special_tokens or {}), "bos_token": bos_token, "eos_token": eos_token}

    @property
    def supports_tools(self) -> bool:
        """Whether the template renders a `tools` list itself (otherwise we describe tools in the prompt)."""
        return "tools" in self.source

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        add_generation_prompt: bool = True,
        **extra: Any,
    ) -> str:
        """The prompt text, as `tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
        add_generation_prompt=..., **extra)` writes it.

        Args:
            messages: OpenAI-style message dicts (tool-call arguments as objects).
            tools: OpenAI-style tool objects (`{"type": "function", "function": {...}}`), or None.
            add_generation_prompt: End with the header of the assistant's turn.
            extra: More template variables (`enable_thinking`, ...); they override the special tokens.

        Raises:
            InferenceError: the template failed, or raised an error itself (`raise_exception`).
        """
        try:
            return self._template.render(
                messages=[template_message(m) for m in messages],
                tools=None if tools is None else [_plain(t) for t in tools],
                documents=None,
                add_generation_prompt=add_generation_prompt,
                **{**self.special_tokens, **_plain(extra)},
            )
        except jinja2.TemplateError as exc:
            raise InferenceError(f"chat template failed to render: {exc}") from None
