"""Choosing a format from a GGUF's chat template (the markers it writes) and metadata (the model name).

Like llama.cpp, we look for the format's own marker strings in the Jinja source; the first rule that
matches wins, most specific first. A template with no tool support falls back on the model name, then
on hermes.
"""

from __future__ import annotations

from collections.abc import Mapping

_RULES_TABLE = """
gpt_oss            <|channel|>
command_r7b        <|START_ACTION|>
deepseek_v4_1      ｜DSML｜ calls
deepseek_v3_2      ｜DSML｜ & function_calls
deepseek_v4        ｜DSML｜
deepseek_r1        tool▁calls▁begin & ```json
deepseek_v3_1      tool▁calls▁begin
kimi_k2            <|tool_calls_section_begin|>
kimi_k3            <|open|> & <|sep|>
minimax_m2         <minimax:tool_call>
seed_oss           <seed:tool_call>
glm45              <arg_key>
apertus            <|tools_prefix|>
functiongemma      <start_function_call>
gemma4             <|tool_call>
magistral          [TOOL_CALLS] & [THINK]
magistral          [TOOL_CALLS] & <think>
mistral_v11        [TOOL_CALLS] & [ARGS]
mistral_v3         [TOOL_CALLS]
functionary_v3_2   >>>all
qwen3_coder        <function= & <parameter=
functionary_v3_1   <function=
lfm2               <|tool_call_start|>
nemotron_v2        <TOOLCALL>
granite_thought    <|start_of_role|> & Here is my thought process:
granite            <|start_of_role|> & tool
firefunction_v2    functools[ & <|start_header_id|>
phi4_mini          functools
phi4_mini          <|tool_call|> & <|/tool_call|>
llama4_pythonic    <|header_start|> & tool
pythonic           <|start_header_id|> & func_name1(params_name1=
llama3_builtin     <|start_header_id|> & <|python_tag|> & builtin_tools
llama3_json        <|start_header_id|> & ipython
smollm3            <tool_call> & xml_tools
smollm3            <code> & python_tools
xlam               xLAM
xlam               "tool_calls" & [{ & !<tool_call>
hermes             <tool_call>
"""
"""One rule a line, first match wins: the format, then strings that must all be in the template
(` & ` between them; `!` marks one that must not be)."""


def _rules(table: str) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    rules = []
    for line in table.strip().splitlines():
        name, needles = line.split(None, 1)
        parts = [part.strip() for part in needles.split(" & ")]
        rules.append(
            (name, tuple(p for p in parts if not p.startswith("!")), tuple(p[1:] for p in parts if p.startswith("!")))
        )
    return tuple(rules)


_RULES = _rules(_RULES_TABLE)

_NAMES: tuple[tuple[str, str], ...] = (
    ("smollm2", "smollm2"),
    ("smollm3", "smollm3"),
    ("functiongemma", "functiongemma"),
    ("gemma-3", "gemma3_prompted"),
    ("gemma3", "gemma3_prompted"),
    ("xlam", "xlam"),
    ("llama-3", "llama3_json"),
    ("llama3", "llama3_json"),
    ("lfm2", "lfm2"),
)
_NAME_KEYS = ("general.name", "general.basename", "general.finetune", "general.architecture")


def detect_format(chat_template: str | None, metadata: Mapping[str, object] | None = None) -> str:
    """The tool-call format a model writes, from its chat template and GGUF metadata.

    Args:
        chat_template: the Jinja source (`tokenizer.chat_template`), or None.
        metadata: GGUF key/values; `general.name`, `general.basename` and `general.architecture`
            are used when the template says nothing about tools.

    Returns:
        A name from `available_formats()`; "hermes" when nothing points elsewhere.
    """
    template = chat_template or ""
    for name, needed, excluded in _RULES:
        if all(s in template for s in needed) and not any(s in template for s in excluded):
            return name
    for key in _NAME_KEYS:
        value = str((metadata or {}).get(key, "")).lower().replace(" ", "")
        for fragment, name in _NAMES:
            if fragment in value:
                return name
    return "hermes"
