"""Chat templates: a GGUF's own Jinja template, rendered in a sandbox the way Hugging Face renders it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
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


def _raise(message: str) -> None:
    raise InferenceError(f"chat template error: {message}")


class ChatTemplate:
    """A compiled chat template. `render()` gives the prompt text for a list of message dicts."""

    def __init__(self, source: str | None, *, bos_token: str = "", eos_token: str = "") -> None:
        self.source = source or CHATML
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.globals["raise_exception"] = _raise
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        try:
            self._template = env.from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            raise InferenceError(f"chat template does not compile: {exc}") from None
        self.bos_token = bos_token
        self.eos_token = eos_token

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
        try:
            return self._template.render(
                messages=list(messages),
                tools=list(tools) if tools else None,
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                **extra,
            )
        except jinja2.TemplateError as exc:
            raise InferenceError(f"chat template failed to render: {exc}") from None
