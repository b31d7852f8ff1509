"""How a local model's turns are written and read: native tool rendering or our tool prompt, and the
parser for its output (one-shot or streaming).

A chat template that renders `tools` itself is used natively, and its output is read with the parser
`detect_format` picks from the template. A template without tool support gets our tool prompt (the
`smollm2` format, which small models copy well) and the `smollm2` parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inference import toolprompt
from inference._types import ChatRequest, Message
from inference.openai_convert import tool_json
from inference.parsers import FormatParser, ParsedTurn, TurnStream, detect_format, get_parser
from inference.templates import ChatTemplate
from tools import ToolSpec

PROMPTED_FORMAT = toolprompt.FORMAT
# Formats whose calls our grammar can write: a list in one tag pair, or one object per tag pair.
GRAMMAR_STYLES = {"smollm2": "list", "hermes": "blocks"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnFormat:
    native: bool
    """The template renders tools, tool calls and tool results itself."""
    parser: str
    """The parser (and format) of the model's output."""

    @classmethod
    def choose(cls, template: ChatTemplate, metadata: dict[str, Any], *, override: str | None = None) -> TurnFormat:
        if not template.supports_tools:
            return cls(native=False, parser=override or PROMPTED_FORMAT)
        return cls(native=True, parser=override or detect_format(template.source, metadata))

    @property
    def grammar_style(self) -> str | None:
        """How the tool-call grammar writes calls for this format, or None when it cannot."""
        return GRAMMAR_STYLES.get(self.parser)

    def messages(self, request: ChatRequest) -> list[dict[str, Any]]:
        if not self.native:
            return list(toolprompt.template_messages(request.messages, request.tools))
        return [_native(m) for m in request.messages]

    def tools(self, request: ChatRequest) -> list[dict[str, Any]] | None:
        if not self.native or not request.tools:
            return None
        return [tool_json(t) for t in request.tools]

    def parser_for(self, prompt: str = "", tools: Sequence[ToolSpec] = ()) -> FormatParser:
        """The parser of the output that follows `prompt` (which may have opened a reasoning block)."""
        return get_parser(self.parser, tools=tools).following(prompt)

    def parse(self, text: str, *, prompt: str = "", tools: Sequence[ToolSpec] = ()) -> ParsedTurn:
        return self.parser_for(prompt, tools).parse(text)

    def message(self, text: str, *, prompt: str = "", tools: Sequence[ToolSpec] = ()) -> Message:
        """The assistant message in the model's raw text: content, reasoning and tool calls."""
        return assistant_message(self.parse(text, prompt=prompt, tools=tools))

    def stream(self, *, prompt: str = "", tools: Sequence[ToolSpec] = ()) -> TurnStream:
        """A fresh incremental parser of the output that follows `prompt`; it yields our stream items."""
        return self.parser_for(prompt, tools).stream()


PROMPTED = TurnFormat(native=False, parser=PROMPTED_FORMAT)
"""Tools described by our tool prompt, calls read by its parser: for templates (and engines) without tools."""


def assistant_message(turn: ParsedTurn) -> Message:
    return Message(role="assistant", content=turn.content, reasoning=turn.reasoning, tool_calls=tuple(turn.tool_calls))


def _native(message: Message) -> dict[str, Any]:
    """Our message as the OpenAI-style dict Hugging Face chat templates expect (arguments as objects)."""
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id
        out["name"] = message.name
    if message.reasoning:
        out["reasoning_content"] = message.reasoning
    return out
