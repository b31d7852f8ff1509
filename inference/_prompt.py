"""Preparing a prompt for a local model: render, fit it into the context window, find its stable prefix.

Pure apart from the tokenizer it is given, so it serves every local backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from inference._turns import TurnFormat
from inference._types import ChatRequest, Message
from inference.errors import ContextOverflowError
from inference.templates import ChatTemplate

TRIMMED = "[tool result of {chars} characters trimmed to fit the context window]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    prompt: str
    tokens: list[int]
    prefix_tokens: int
    """Leading tokens that depend on the tools only (system prompt, tool list, fixed examples)."""
    trimmed: int = 0
    """Tool results replaced by a short note to make the prompt fit."""


class PromptBuilder:
    """Renders requests with a chat template and fits them into `n_ctx` tokens.

    Args:
        template: The model's chat template.
        tokenize: Text to tokens, special tokens parsed, BOS added where the model wants one.
        n_ctx: The context window.
        trim_tool_results: When a prompt does not fit, replace the oldest tool results by a short note
            (instead of raising ContextOverflowError).
    """

    def __init__(
        self,
        template: ChatTemplate,
        tokenize: Callable[[str], list[int]],
        n_ctx: int,
        *,
        trim_tool_results: bool,
        turn_format: TurnFormat,
    ) -> None:
        self.template = template
        self.format = turn_format
        self.tokenize = tokenize
        self.n_ctx = n_ctx
        self.trim_tool_results = trim_tool_results

    def render(self, request: ChatRequest) -> str:
        return self.template.render(
            self.format.messages(request),
            tools=self.format.tools(request),
            add_generation_prompt=True,
            **request.chat_template_kwargs,
        )

    def prepare(self, request: ChatRequest) -> Prepared:
        """The prompt and its tokens, leaving room for at least one generated token.

        Raises:
            ContextOverflowError: the prompt does not fit (after trimming, if enabled).
        """
        prompt = self.render(request)
        tokens = self.tokenize(prompt)
        trimmed = 0
        while len(tokens) >= self.n_ctx and self.trim_tool_results:
            shorter = _trim_oldest_tool_result(request)
            if shorter is None:
                break
            request, trimmed = shorter, trimmed + 1
            prompt = self.render(request)
            tokens = self.tokenize(prompt)
        if len(tokens) >= self.n_ctx:
            raise ContextOverflowError(len(tokens), request.sampling.max_tokens, self.n_ctx)
        return Prepared(prompt=prompt, tokens=tokens, prefix_tokens=self._prefix(request, tokens), trimmed=trimmed)

    def _prefix(self, request: ChatRequest, tokens: list[int]) -> int:
        """Leading tokens that would be the same for any conversation with these tools (and system prompt).

        Found by rendering a probe conversation (the same system prompt and tools, another question)
        and keeping what the two prompts share, less the last token, which may merge differently.
        """
        if not request.tools:
            return 0
        system = [m for m in request.messages[:1] if m.role == "system"]
        probe = ChatRequest(
            messages=(*system, Message(role="user", content="\x01")),
            tools=request.tools,
            chat_template_kwargs=request.chat_template_kwargs,
        )
        shared = os.path.commonprefix([self.render(probe), self.render(request)])
        head = self.tokenize(shared)[:-1]
        return len(head) if tokens[: len(head)] == head else 0


def _trim_oldest_tool_result(request: ChatRequest) -> ChatRequest | None:
    messages = list(request.messages)
    for index, message in enumerate(messages):
        if message.role == "tool" and not (message.content or "").startswith("[tool result of "):
            note = TRIMMED.format(chars=len(message.content or ""))
            messages[index] = replace(message, content=note)
            return replace(request, messages=tuple(messages))
    return None

