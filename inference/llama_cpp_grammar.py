"""GBNF grammars for llama.cpp: JSON schemas, and the tool-call grammar compiled from the live tool list.

An invalid grammar crashes llama.cpp's sampler (a NULL sampler is added to the chain), so every
grammar is checked here, once, before it reaches `generate`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import llama_cpp
from llama_cpp import LlamaGrammar
from llama_cpp.llama_grammar import SchemaConverter

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
    return schemas_to_gbnf({root: schema})


def schemas_to_gbnf(schemas: Mapping[str, Mapping[str, Any]]) -> str:
    """GBNF for several JSON schemas, each top rule named by its key; rules they share are written once
    (one converter names them all, so two schemas never define the same rule differently). Raises GrammarError."""
    converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    aliases = ""
    try:
        for name, schema in schemas.items():
            # A JSON round trip, as llama-cpp-python's own entry point does: the converter wants plain JSON.
            resolved = converter.resolve_refs(json.loads(json.dumps(schema)), name)
            top = converter.visit(resolved, "" if name == "root" else name)  # "" is how it names `root`
            if top != name:  # a bare primitive (`{"type": "integer"}`) is named by its type
                aliases += f"{name} ::= {top}\n"
        gbnf = aliases + converter.format_grammar()
    # llama-cpp-python's converter rejects some schemas with a bare `assert` (e.g. `{"": null}`).
    except (ValueError, KeyError, TypeError, AttributeError, AssertionError, RecursionError) as exc:
        raise GrammarError(f"JSON schema not supported: {exc or type(exc).__name__}") from None
    return gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR)


def tool_call_gbnf(
    tools: Sequence[ToolSpec],
    tool_choice: ToolChoice,
    max_calls: int,
    *,
    style: str = "list",
    answer_schema: Mapping[str, Any] | None = None,
) -> str | None:
    """The grammar for one assistant turn under `tool_choice`, or None when nothing needs constraining.

    Args:
        style: "list" writes `<tool_call>[{...}, ...]</tool_call>` (SmolLM2); "blocks" writes one
            `<tool_call>\\n{...}\\n</tool_call>` per call (Hermes, Qwen).
        answer_schema: A JSON schema a turn that calls no tool must follow (`response_format`): the turn
            is then a call or such an answer, in one grammar, instead of free text.
    """
    if answer_schema is not None and (not tools or tool_choice == "none"):
        return schema_to_gbnf(answer_schema)
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
    if answer_schema is not None:
        schema_to_gbnf(answer_schema)  # its own error first, not blamed on a tool
    try:
        return _turn_gbnf(items, tool_choice, max_calls, style, answer_schema)
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


def _turn_gbnf(
    items: list[dict[str, Any]], tool_choice: ToolChoice, max_calls: int, style: str, answer: Mapping[str, Any] | None
) -> str:
    schema: dict[str, Any]
    if style == "blocks":
        name, schema = "tool-call-object", {"anyOf": items}
        block = f'"{CALL_OPEN}\\n" tool-call-object "\\n{CALL_CLOSE}"'
        repeat = "".join(f' ("\\n" {block}' for _ in range(max(1, max_calls) - 1)) + ")?" * (max(1, max_calls) - 1)
        call = f"{block}{repeat}"
    else:
        name = "tool-calls"
        schema = {"type": "array", "minItems": 1, "maxItems": max(1, max_calls), "items": {"anyOf": items}}
        call = f'"{CALL_OPEN}" tool-calls "{CALL_CLOSE}"'
    if tool_choice != "auto":
        return f"root ::= {call}\n{schema_to_gbnf(schema, root=name)}"
    if answer is None:
        return f"root ::= {call} | agent-text\n{_TEXT_RULE}{schema_to_gbnf(schema, root=name)}"
    return f"root ::= {call} | agent-answer\n{schemas_to_gbnf({name: schema, 'agent-answer': answer})}"


def compile_grammar(llm: llama_cpp.Llama, gbnf: str) -> LlamaGrammar:
    """Check `gbnf` against the model's vocabulary and wrap it. Raises GrammarError instead of crashing."""
    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, gbnf.encode("utf-8"), b"root")
    if not sampler:
        first = gbnf.strip().splitlines()[0][:120] if gbnf.strip() else "<empty>"
        raise GrammarError(f"llama.cpp could not parse the grammar (starting {first!r}); its log names the rule")
    llama_cpp.llama_sampler_free(sampler)
    return LlamaGrammar.from_string(gbnf, verbose=False)
