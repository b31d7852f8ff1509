"""Tool calling for chat templates that cannot render tools themselves (SmolLM2's plain ChatML, say).

Tools are described in the system prompt in the format SmolLM2 was trained on
(`<tool_call>[{"name": ..., "arguments": {...}}]</tool_call>`), followed by a few example turns
synthesized from the tool specs: small models copy the shape of an example far more reliably than
they follow an instruction. Everything rendered here is a pure function of the tools and the
messages, so the prompt prefix stays byte-stable across the rounds of an agent run. The model's
output is read by the `smollm2` parser (`inference.parsers`), the one that writes the calls here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from inference._types import Message
from inference.openai_convert import function_json
from inference.parsers import ParsedTurn, get_parser
from tools import ToolCall, ToolSpec

FORMAT = "smollm2"
"""The tool-call format this prompt teaches; the parser of that name reads (and writes) the calls."""
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
MAX_SHOT_TOOLS = 3

_SYSTEM = """You are an expert in composing functions. You are given a question and a set of possible functions.
Based on the question, you will need to make one or more function/tool calls to achieve the purpose.
If none of the functions can be used, answer the question directly.

You have access to the following tools:
<tools>{tools}</tools>

To call tools, the output MUST strictly adhere to the following format, and NO other text MUST be included:
<tool_call>[
{{"name": "func_name1", "arguments": {{"argument1": "value1", "argument2": "value2"}}}},
... (more tool calls as required)
]</tool_call>
The results come back in <tool_response></tool_response> tags; then answer the question with them."""

_QUOTED = re.compile(r"""['"`]([^'"`\n]{1,60})['"`]""")


def system_prompt(tools: Sequence[ToolSpec], user_system: str | None = None) -> str:
    text = _SYSTEM.format(tools=json.dumps([function_json(t) for t in tools], ensure_ascii=False))
    return f"{user_system}\n\n{text}" if user_system else text


def _example_value(schema: Mapping[str, Any], tool_description: str) -> Any:
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema[key][0]
    kind = schema.get("type")
    if kind in ("string", None):
        for text in (str(schema.get("description") or ""), tool_description):
            quoted = _QUOTED.search(text)
            if quoted:
                return quoted.group(1)
    if schema.get("default") is not None:
        return schema["default"]
    return {"integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}.get(str(kind), "example")


def example_arguments(tool: ToolSpec) -> dict[str, Any]:
    """Plausible arguments for `tool`: schema examples, enums, quoted examples in descriptions, defaults."""
    properties: Mapping[str, Any] = tool.input_schema.get("properties") or {}
    required = list(tool.input_schema.get("required") or [])
    names = required or list(properties)[:1]
    return {name: _example_value(properties.get(name) or {}, tool.description) for name in names}


def _question(tool: ToolSpec, arguments: Mapping[str, Any]) -> str:
    clause = re.split(r"\s+such as\b|\.\s|\.$|\(", tool.description.strip(), maxsplit=1)[0].strip().rstrip(".:,")
    values = ", ".join(str(v) for v in arguments.values())
    if not clause:
        return f"Use {tool.name} with {values}" if values else f"Use {tool.name}"
    return f"{clause}: {values}" if values else clause


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("a an and are as at be by for from in is it of on or the to what which with".split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def _shot(tool: ToolSpec) -> list[dict[str, str]]:
    arguments = example_arguments(tool)
    call = ToolCall(id="", name=tool.name, arguments=arguments)
    return [
        {"role": "user", "content": _question(tool, arguments)},
        {"role": "assistant", "content": render_calls([call])},
    ]


def few_shot_turns(tools: Sequence[ToolSpec], query: str = "") -> list[dict[str, str]]:
    """Example exchanges (user question, assistant call): one per each of the first few tools, in tool order,
    then one more for the tool most like `query` (by word overlap), unless that was the last one shown.

    Small models copy the nearest example, so the relevant one goes last. The fixed exchanges depend
    only on the tools, so they belong to the prompt prefix that is cached across conversations.
    """
    fixed = list(tools[:MAX_SHOT_TOOLS])
    turns = [turn for tool in fixed for turn in _shot(tool)]
    wanted = _words(query)
    scores = [len(wanted & _words(f"{t.name.replace('_', ' ')} {t.description}")) for t in tools]
    if scores and max(scores) > 0:
        best = tools[scores.index(max(scores))]
        if best is not fixed[-1]:
            turns += _shot(best)
    return turns


def stable_head(tools: Sequence[ToolSpec]) -> int:
    """How many leading template messages depend on the tools only: the system prompt and the fixed shots."""
    return 1 + 2 * min(len(tools), MAX_SHOT_TOOLS) if tools else 0


def render_calls(calls: Sequence[ToolCall], content: str | None = None) -> str:
    """An assistant turn in this format: its text, if any, then the calls, written by the format's own parser."""
    return get_parser(FORMAT).render(ParsedTurn(content=content, tool_calls=list(calls)))


def render_result(message: Message) -> str:
    # This format carries no call ids (results pair with calls by order), so neither does the text;
    # the id stays on the message for formats and templates that render it.
    payload = {"name": message.name, "content": message.content or ""}
    return f"<tool_response>\n{json.dumps(payload, ensure_ascii=False)}\n</tool_response>"


def template_messages(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> list[dict[str, str]]:
    """Our messages as plain role/content dicts, with tools described in the prompt (when there are any)."""
    out: list[dict[str, str]] = []
    rest = list(messages)
    user_system = rest.pop(0).content if rest and rest[0].role == "system" else None
    if tools:
        query = next((m.content or "" for m in rest if m.role == "user"), "")
        out.append({"role": "system", "content": system_prompt(tools, user_system)})
        out.extend(few_shot_turns(tools, query))
    elif user_system is not None:
        out.append({"role": "system", "content": user_system})
    for message in rest:
        if message.role == "tool":
            out.append({"role": "tool", "content": render_result(message)})
        elif message.role == "assistant" and message.tool_calls:
            out.append({"role": "assistant", "content": render_calls(message.tool_calls, message.content)})
        else:
            out.append({"role": message.role, "content": message.content or ""})
    return out
