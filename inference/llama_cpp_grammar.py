"""GBNF grammars for llama.cpp: JSON schemas, and the tool-call grammar compiled from the live tool list.

An invalid grammar crashes llama.cpp's sampler (a NULL sampler is added to the chain), so every
grammar is checked here, once, before it reaches `generate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import llama_cpp
from llama_cpp import LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

from inference._types import NamedTool, ToolChoice
from inference.errors import GrammarError
from inference.toolprompt import CALL_CLOSE, CALL_OPEN
from tools import ToolSpec

MAX_GRAMMAR_STRING = 256
"""Strings in tool arguments are capped in the grammar (not in the schema) so a small model cannot ramble."""

# Plain text that cannot start a tool call; EOS is allowed anywhere after the first character.
_TEXT_RULE = 'agent-text ::= [^<\\x00] [^\\x00]*\n'
# JSON strings may not hold raw control characters; llama-cpp-python's converter allows them.
_LOOSE_CHAR = 'char ::= [^"\\\\]'
_STRICT_CHAR = 'char ::= [^"\\\\\\x00-\\x1F\\x7F]'


def _cap_strings(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        out = {k: _cap_strings(v) for k, v in schema.items()}
        if out.get("type") == "string" and "enum" not in out and "const" not in out and "format" not in out:
            out.setdefault("maxLength", MAX_GRAMMAR_STRING)
        return out
    if isinstance(schema, list):
        return [_cap_strings(v) for v in schema]
    return schema


def schema_to_gbnf(schema: Mapping[str, Any], *, root: str = "root") -> str:
    """GBNF for a JSON schema, with the top rule named `root`. Raises GrammarError."""
    try:
        gbnf = json_schema_to_gbnf(json.dumps(schema))
    # llama-cpp-python's converter rejects some schemas with a bare `assert` (e.g. `{"": null}`).
    except (ValueError, KeyError, TypeError, AttributeError, AssertionError, RecursionError) as exc:
        raise GrammarError(f"JSON schema not supported: {exc or type(exc).__name__}") from None
    gbnf = gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR)
    return re.sub(r"^root ::=", f"{root} ::=", gbnf, flags=re.M) if root != "root" else gbnf


def tool_call_gbnf(
    tools: Sequence[ToolSpec], tool_choice: ToolChoice, max_calls: int, *, style: str = "list"
) -> str | None:
    """The grammar for one assistant turn under `tool_choice`, or None when nothing needs constraining.

    Args:
        style: "list" writes `<tool_call>[{...}, ...]</tool_call>` (SmolLM2); "blocks" writes one
            `<tool_call>\\n{...}\\n</tool_call>` per call (Hermes, Qwen).
    """
    if not tools:
        return None
    if tool_choice == "none":
        return "root ::= agent-text\n" + _TEXT_RULE
    if isinstance(tool_choice, NamedTool):
        chosen = [t for t in tools if t.name == tool_choice.name]
        if not chosen:
            raise GrammarError(f"tool_choice names {tool_choice.name!r}, which is not among the tools")
        tools = chosen
    items = [
        {
            "type": "object",
            "properties": {"name": {"const": t.name}, "arguments": _cap_strings(dict(t.input_schema))},
            "required": ["name", "arguments"],
        }
        for t in tools
    ]
    try:
        return _turn_gbnf(items, tool_choice, max_calls, style)
    except GrammarError as exc:
        raise GrammarError(f"{_unsupported_tool(items)}{exc.reason}") from None


def _unsupported_tool(items: Sequence[Mapping[str, Any]]) -> str:
    """'tool NAME: ' for the first tool whose schema cannot be converted on its own (only on the error path)."""
    for item in items:
        try:
            schema_to_gbnf(item)
        except GrammarError:
            return f"tool {item['properties']['name']['const']!r}: "
    return ""


def _turn_gbnf(items: list[dict[str, Any]], tool_choice: ToolChoice, max_calls: int, style: str) -> str:
    if style == "blocks":
        calls = schema_to_gbnf({"anyOf": items}, root="tool-call-object")
        block = f'"{CALL_OPEN}\\n" tool-call-object "\\n{CALL_CLOSE}"'
        repeat = "".join(f' ("\\n" {block}' for _ in range(max(1, max_calls) - 1)) + ")?" * (max(1, max_calls) - 1)
        call = f"{block}{repeat}"
    else:
        schema = {"type": "array", "minItems": 1, "maxItems": max(1, max_calls), "items": {"anyOf": items}}
        calls = schema_to_gbnf(schema, root="tool-calls")
        call = f'"{CALL_OPEN}" tool-calls "{CALL_CLOSE}"'
    if tool_choice == "auto":
        return f"root ::= {call} | agent-text\n{_TEXT_RULE}{calls}"
    return f"root ::= {call}\n{calls}"


def compile_grammar(llm: llama_cpp.Llama, gbnf: str) -> LlamaGrammar:
    """Check `gbnf` against the model's vocabulary and wrap it. Raises GrammarError instead of crashing."""
    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, gbnf.encode("utf-8"), b"root")
    if not sampler:
        first = gbnf.strip().splitlines()[0][:120] if gbnf.strip() else "<empty>"
        raise GrammarError(f"llama.cpp could not parse the grammar (starting {first!r}); its log names the rule")
    llama_cpp.llama_sampler_free(sampler)
    return LlamaGrammar.from_string(gbnf, verbose=False)
