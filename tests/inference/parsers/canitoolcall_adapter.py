"""A canitoolcall adapter over `inference.parsers`, driving the parser the way the local runtime does.

Each replay runs `inference._decoder.Decoder` (what the llama.cpp and ctransformers backends run) over
the fixture's text, with the format, generation prompt and tools a backend would give it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, ClassVar

from canitoolcall.adapters.base import Adapter, ReplayInput, Support, ToolSpec
from canitoolcall.chunking import TokensPerStep
from canitoolcall.results import ParsedToolCall, ParseResult, StreamAccumulator

import inference
from inference import ChatResponse, ReasoningDelta, TextDelta, ToolCallDelta
from inference._decoder import Decoder
from inference._turns import TurnFormat
from inference.openai_convert import tools_from_wire
from inference.openai_types import Tool
from inference.parsers import available_formats

# Reference models (a fragment of the Hugging Face repo name, first match wins) and the format of ours
# that reads them. A name not (yet) in `available_formats()` makes the model unsupported, with the reason.
FORMATS: tuple[tuple[str, str], ...] = (
    ("DeepSeek-V3-0324", "deepseek_r1"),
    ("DeepSeek-V3.1", "deepseek_v3_1"),
    ("DeepSeek-V3.2", "deepseek_v3_2"),
    ("DeepSeek-V4.1", "deepseek_v4_1"),
    ("DeepSeek-V4", "deepseek_v4"),
    ("gemma-4", "gemma4"),
    ("GLM-", "glm45"),
    ("gpt-oss", "gpt_oss"),
    ("Kimi-K2", "kimi_k2"),
    ("Kimi-K3", "kimi_k3"),
    ("Llama-3", "llama3_json"),
    ("Llama-4", "llama4_pythonic"),
    ("Magistral", "magistral"),
    ("Ministral-3-14B-Reasoning", "magistral"),
    ("Mistral-7B-Instruct-v0.3", "mistral_v3"),
    ("stral", "mistral_v11"),  # Mistral Small 3.2/4, Medium 3.5, Ministral 3, Devstral
    ("Qwen3-Coder", "qwen3_coder"),
    ("Qwen3.", "qwen3_coder"),  # Qwen3.5 and later write Qwen3-Coder's XML calls
    ("Qwen3-", "hermes"),
)


def format_for(model: str) -> str | None:
    """Our format name for a reference model, or None when no entry names it."""
    return next((fmt for fragment, fmt in FORMATS if fragment in model), None)


class InferenceParsersAdapter(Adapter):
    """Replays fixtures through `inference.parsers` as `Decoder` runs them.

    Units are characters (code points): we have no tokenizer for these models, and character groups
    split every marker, which a correct stream parser must survive as well as token groups.
    """

    name: ClassVar[str] = "mcpagent"
    pinned_version: ClassVar[str] = "working tree"
    tokens_per_step: ClassVar[TokensPerStep] = "many"
    supports_text_deltas: ClassVar[bool] = True

    def version(self) -> str:
        return inference.__name__

    def supports(self, family: str, model: str) -> Support:
        fmt = format_for(model)
        if fmt is None:
            return Support(False, f"no format of ours is mapped to {model!r}")
        if fmt not in available_formats():
            return Support(False, f"{model!r} writes {fmt!r}, which inference.parsers does not parse")
        return Support(True)

    def parser_config(self, raw: ReplayInput) -> dict[str, Any]:
        return {"format": format_for(raw.model), "prompt": raw.generation_prompt, "truncated": raw.truncated}

    def units(self, raw: ReplayInput) -> list[int]:
        return [ord(c) for c in raw.text]

    def special_token_ids(self, raw: ReplayInput) -> Collection[int] | None:
        return None

    def parse(self, raw: ReplayInput, tools: Sequence[ToolSpec]) -> ParseResult:
        response, _ = replay(raw, [raw.text], tools)
        message = response.message
        return ParseResult(
            content=message.content,
            reasoning_content=message.reasoning,
            tool_calls=tuple(ParsedToolCall(c.name, _json(c.arguments)) for c in message.tool_calls),
        )

    def parse_stream(self, raw: ReplayInput, chunks: Sequence[Sequence[int]], tools: Sequence[ToolSpec]) -> ParseResult:
        return self.parse_stream_text(raw, ["".join(map(chr, chunk)) for chunk in chunks], tools)

    def parse_stream_text(self, raw: ReplayInput, deltas: Sequence[str], tools: Sequence[ToolSpec]) -> ParseResult:
        _, items = replay(raw, deltas, tools)
        acc = StreamAccumulator()
        for item in items:
            if isinstance(item, TextDelta):
                acc.add_content(item.text)
            elif isinstance(item, ReasoningDelta):
                acc.add_reasoning(item.text)
            elif isinstance(item, ToolCallDelta):
                acc.add_tool_call(item.index, item.call.name, _json(item.call.arguments))
        return acc.result()


def replay(raw: ReplayInput, pieces: Sequence[str], tools: Sequence[ToolSpec]) -> tuple[ChatResponse, list[Any]]:
    """Decode `pieces` (one a sampled token) as a local backend does; the response and the stream items.

    A truncated fixture ends at `max_tokens` (finish "length"); the others end with an end-of-turn token.
    """
    fmt = format_for(raw.model)
    assert fmt is not None
    items: list[Any] = []
    decoder = Decoder(
        TurnFormat(native=True, parser=fmt),
        piece=_piece(pieces),
        emit=items.append,
        **_context(raw, tools),
    )
    decoder.run(
        range(len(pieces)),
        max_tokens=len(pieces) if raw.truncated else len(pieces) + 1,
        prompt_tokens=0,
        cached_tokens=0,
        cancelled=threading.Event(),
    )
    done = items.pop()
    return done.response, items


def _context(raw: ReplayInput, tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """What a backend tells the decoder about the request: the prompt it rendered (here its end, the
    generation prompt) and the offered tools."""
    return {"prompt": raw.generation_prompt or "", "tools": offered(tools)}


def offered(tools: Sequence[ToolSpec]) -> list[Any]:
    """The fixture's OpenAI-format tools as ours."""
    return tools_from_wire([Tool.model_validate(t) for t in tools])


def _piece(pieces: Sequence[str]) -> Callable[[int], bytes]:
    encoded = [p.encode("utf-8") for p in pieces]
    return encoded.__getitem__


def _json(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False)
