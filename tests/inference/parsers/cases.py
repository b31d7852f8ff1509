"""The table of raw outputs and what each format must make of them (at least five per format)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Call = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    fmt: str
    text: str
    content: str | None = None
    reasoning: str | None = None
    calls: tuple[Call, ...] = ()
    thinking_open: bool = False
    why: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.fmt}-{self.why}"


W = {"city": "Paris"}
T = {"tz": "UTC"}
GW = ("get_weather", W)
GT = ("get_time", T)


def c(
    fmt: str,
    why: str,
    text: str,
    content: str | None = None,
    *calls: Call,
    reasoning: str | None = None,
    thinking_open: bool = False,
) -> Case:
    return Case(
        fmt=fmt, why=why, text=text, content=content, reasoning=reasoning, calls=calls, thinking_open=thinking_open
    )


_H = '{"name": "get_weather", "arguments": {"city": "Paris"}}'
_HT = '{"name": "get_time", "arguments": {"tz": "UTC"}}'

HERMES = [
    c("hermes", "plain", "The capital of France is Paris.", "The capital of France is Paris."),
    c("hermes", "call", f"Let me check.\n<tool_call>\n{_H}\n</tool_call>", "Let me check.", GW),
    c(
        "hermes",
        "parallel",
        f"<tool_call>\n{_H}\n</tool_call>\n<tool_call>\n{_HT}\n</tool_call><|im_end|>",
        None,
        GW,
        GT,
    ),
    c("hermes", "fenced", f"```json\n<tool_call>\n{_H}\n</tool_call>\n```", None, GW),
    c("hermes", "fence-inside", f"<tool_call>\n```json\n{_H}\n```\n</tool_call>", None, GW),
    c(
        "hermes",
        "python-literals",
        "<tool_call>{'name': 'f', 'arguments': {'a': True, 'b': None, 'c': \"it's\",}}</tool_call>",
        None,
        ("f", {"a": True, "b": None, "c": "it's"}),
    ),
    c(
        "hermes",
        "neg-inner-quotes",
        "<tool_call>{'name': 'f', 'arguments': {'c': 'it''s'}}</tool_call>",
        "<tool_call>{'name': 'f', 'arguments': {'c': 'it''s'}}</tool_call>",
    ),
    c(
        "hermes",
        "trailing-comma",
        '<tool_call>{"name": "f", "arguments": {"a": 1,},}</tool_call>',
        None,
        ("f", {"a": 1}),
    ),
    c("hermes", "no-close-at-eos", f"<tool_call>\n{_H}", None, GW),
    c(
        "hermes",
        "args-as-string",
        '<tool_call>{"name": "f", "arguments": "{\\"a\\": 1}"}</tool_call>',
        None,
        ("f", {"a": 1}),
    ),
    c(
        "hermes",
        "parameters-key",
        '<tool_call>{"name": "f", "parameters": {"a": 1}}</tool_call>',
        None,
        ("f", {"a": 1}),
    ),
    c(
        "hermes",
        "close-tag-in-string",
        '<tool_call>{"name": "write", "arguments": {"text": "a</tool_call>b"}}</tool_call>',
        None,
        ("write", {"text": "a</tool_call>b"}),
    ),
    c("hermes", "function-tag", '<function=get_weather>{"city": "Paris"}</function>', None, GW),
    c("hermes", "two-in-one-block", f"<tool_call>\n{_H}\n{_HT}\n</tool_call>", None, GW, GT),
    c("hermes", "reasoning", "<think>\nI should answer.\n</think>\n\nParis.", "Paris.", reasoning="I should answer."),
    c(
        "hermes",
        "reasoning-then-call",
        f"<think>Need weather.</think>\n<tool_call>\n{_H}\n</tool_call>",
        None,
        GW,
        reasoning="Need weather.",
    ),
    c(
        "hermes",
        "forced-open",
        "The user wants weather.\n</think>\n\nIt is sunny.",
        "It is sunny.",
        reasoning="The user wants weather.",
        thinking_open=True,
    ),
    c(
        "hermes",
        "forced-open-no-close",
        "Still thinking about",
        None,
        reasoning="Still thinking about",
        thinking_open=True,
    ),
    c("hermes", "cut-off-reasoning", "<think>Let me consider", None, reasoning="Let me consider"),
    c("hermes", "interleaved-reasoning", "<think>a</think>One.<think>b</think>Two.", "One.Two.", reasoning="a\nb"),
    c(
        "hermes",
        "neg-inline-code",
        f"Write `<tool_call>{_H}</tool_call>` to call.",
        f"Write `<tool_call>{_H}</tool_call>` to call.",
    ),
    c(
        "hermes",
        "neg-draft-in-reasoning",
        f"<think>Maybe <tool_call>{_H}</tool_call></think>No need.",
        "No need.",
        reasoning=f"Maybe <tool_call>{_H}</tool_call>",
    ),
    c("hermes", "neg-json-answer", '{"name": "Ada", "age": 36}', '{"name": "Ada", "age": 36}'),
    c(
        "hermes",
        "neg-no-arguments-key",
        '<tool_call>{"name": "Ada"}</tool_call>',
        '<tool_call>{"name": "Ada"}</tool_call>',
    ),
    c(
        "hermes",
        "neg-cut-string",
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Par',
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Par',
    ),
    c(
        "hermes",
        "neg-prose-mentions-marker",
        "Wrap each call in <tool_call> tags.",
        "Wrap each call in <tool_call> tags.",
    ),
    c("hermes", "neg-doc-fence", f"Example:\n```json\n{_H}\n```", f"Example:\n```json\n{_H}\n```"),
    c("hermes", "end-token", "Hello!<|im_end|>", "Hello!"),
    c(
        "hermes",
        "heal-missing-brace",
        '<tool_call>{"name": "f", "arguments": {"a": [1, 2]}',
        None,
        ("f", {"a": [1, 2]}),
    ),
    c(
        "hermes",
        "invalid-escape",
        '<tool_call>{"name": "ls", "arguments": {"path": "C:\\Users"}}</tool_call>',
        None,
        ("ls", {"path": "C:\\Users"}),
    ),
    c("hermes", "content-after-call", f"<tool_call>{_H}</tool_call>\nDone.", "Done.", GW),
]

_L = '[{"name": "get_weather", "arguments": {"city": "Paris"}}]'
SMOLLM2 = [
    c("smollm2", "call", f"<tool_call>{_L}</tool_call>", None, GW),
    c("smollm2", "parallel", f"<tool_call>[{_H}, {_HT}]</tool_call><|im_end|>", None, GW, GT),
    c("smollm2", "empty-list", "<tool_call>[]</tool_call>", None),
    c("smollm2", "content-and-call", f"I'll look it up.\n<tool_call>{_L}</tool_call>", "I'll look it up.", GW),
    c("smollm2", "single-object", f"<tool_call>{_H}</tool_call>", None, GW),
    c("smollm2", "trailing-comma-no-close", f"<tool_call>[{_H},]", None, GW),
    c("smollm2", "neg-list-in-prose", "The answer is [1, 2, 3].", "The answer is [1, 2, 3]."),
    c(
        "smollm2",
        "neg-cut-off",
        '<tool_call>[{"name": "f", "arguments": {"a": "b',
        '<tool_call>[{"name": "f", "arguments": {"a": "b',
    ),
    c("smollm2", "neg-not-calls", "<tool_call>[1, 2]</tool_call>", "<tool_call>[1, 2]</tool_call>"),
    c("smollm2", "fenced", f"```\n<tool_call>{_L}</tool_call>\n```", None, GW),
]

SMOLLM3 = [
    c("smollm3", "xml-call", f"<tool_call>\n{_H}\n</tool_call>", None, GW),
    c("smollm3", "python-call", '<code>get_weather(city="Paris")</code>', None, GW),
    c("smollm3", "think", "<think>\nhmm\n</think>\nHi", "Hi", reasoning="hmm"),
    c("smollm3", "parallel", f"<tool_call>{_H}</tool_call><tool_call>{_HT}</tool_call>", None, GW, GT),
    c("smollm3", "neg-code-prose", "<code>print(1)</code> prints 1.", "<code>print(1)</code> prints 1."),
    c("smollm3", "neg-inline", f"`<tool_call>{_H}</tool_call>`", f"`<tool_call>{_H}</tool_call>`"),
]

NEMOTRON = [
    c("nemotron_v2", "call", f"<TOOLCALL>{_L}</TOOLCALL>", None, GW),
    c("nemotron_v2", "parallel", f"<TOOLCALL>[{_H}, {_HT}]</TOOLCALL>", None, GW, GT),
    c(
        "nemotron_v2",
        "think-then-call",
        f"<think>ok</think><TOOLCALL>{_L}</TOOLCALL>Sent.",
        "Sent.",
        GW,
        reasoning="ok",
    ),
    c("nemotron_v2", "no-close", f"<TOOLCALL>{_L}", None, GW),
    c("nemotron_v2", "neg-cut", '<TOOLCALL>[{"name": "f", "arg', '<TOOLCALL>[{"name": "f", "arg'),
    c("nemotron_v2", "forced-open", "plan</think>done", "done", reasoning="plan", thinking_open=True),
]

GRANITE = [
    c("granite", "call", f"<|tool_call|>{_L}", None, GW),
    c("granite", "text-tag", f"<tool_call>{_L}", None, GW),
    c("granite", "parallel", f"<|tool_call|>[{_H}, {_HT}]<|end_of_text|>", None, GW, GT),
    c(
        "granite",
        "think-response",
        "<think>consider</think><response>Paris.</response>",
        "Paris.",
        reasoning="consider",
    ),
    c("granite", "content-after", f"<|tool_call|>{_L}\nChecking now.", "Checking now.", GW),
    c("granite", "neg-plain", "No tools needed.", "No tools needed."),
    c("granite", "neg-bad", "<|tool_call|>not json", "<|tool_call|>not json"),
]

GRANITE_THOUGHT = [
    c(
        "granite_thought",
        "thought",
        "Here is my thought process:\nEasy.\nHere is my response:\nParis.",
        "Paris.",
        reasoning="Easy.",
    ),
    c("granite_thought", "heres", "Here's my thought process: hm. Here's my response: ok", "ok", reasoning="hm."),
    c(
        "granite_thought",
        "call",
        f"Here is my thought process:\nCall it.\nHere is my response:\n<|tool_call|>{_L}",
        None,
        GW,
        reasoning="Call it.",
    ),
    c("granite_thought", "cut", "Here is my thought process: still", None, reasoning="still"),
    c(
        "granite_thought",
        "neg-mid-text",
        "I said: Here is my thought process: none.",
        "I said: Here is my thought process: none.",
    ),
    c("granite_thought", "plain", "Paris.", "Paris."),
]

APERTUS = [
    c("apertus", "call", '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>', None, GW),
    c(
        "apertus",
        "parallel",
        '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}, {"get_time": {"tz": "UTC"}}]<|tools_suffix|>',
        None,
        GW,
        GT,
    ),
    c("apertus", "single-object", '<|tools_prefix|>{"get_weather": {"city": "Paris"}}<|tools_suffix|>', None, GW),
    c(
        "apertus",
        "reasoning",
        "<|inner_prefix|>think<|inner_suffix|>Answer.<|assistant_end|>",
        "Answer.",
        reasoning="think",
    ),
    c(
        "apertus",
        "content-after",
        '<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>Done.',
        "Done.",
        GW,
    ),
    c(
        "apertus",
        "neg-two-keys",
        '<|tools_prefix|>[{"a": 1, "b": 2}]<|tools_suffix|>',
        '<|tools_prefix|>[{"a": 1, "b": 2}]<|tools_suffix|>',
    ),
]

_R7 = '[{"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}]'
COMMAND_R7B = [
    c(
        "command_r7b",
        "call",
        f"<|START_THINKING|>I need weather.<|END_THINKING|><|START_ACTION|>{_R7}<|END_ACTION|>",
        None,
        ("get_weather", W, "0"),
        reasoning="I need weather.",
    ),
    c("command_r7b", "response", "<|START_RESPONSE|>Paris.<|END_RESPONSE|><|END_OF_TURN_TOKEN|>", "Paris."),
    c(
        "command_r7b",
        "parallel",
        '<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "get_weather", "parameters": '
        '{"city": "Paris"}}, {"tool_call_id": "1", "tool_name": "get_time", "parameters": {"tz": "UTC"}}]'
        "<|END_ACTION|>",
        None,
        ("get_weather", W, "0"),
        ("get_time", T, "1"),
    ),
    c("command_r7b", "no-end-action", f"<|START_ACTION|>{_R7}", None, ("get_weather", W, "0")),
    c(
        "command_r7b",
        "neg-cut",
        '<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "get_weather", "param',
        '<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "get_weather", "param',
    ),
    c("command_r7b", "plain", "Hello", "Hello"),
]

XLAM = [
    c("xlam", "call", _L, None, GW),
    c("xlam", "fenced", f"```json\n[{_H}, {_HT}]\n```", None, GW, GT),
    c("xlam", "after-think", f"<think>ok</think>{_L}", None, GW, reasoning="ok"),
    c("xlam", "tool-call-tag", f"<tool_call>{_L}</tool_call>", None, GW),
    c("xlam", "tool-calls-token", f"[TOOL_CALLS]{_L}", None, GW),
    c("xlam", "neg-mid-sentence", f"Call {_L} now.", f"Call {_L} now."),
    c("xlam", "neg-empty", "[]", "[]"),
    c("xlam", "neg-link", "[docs](https://x.y) say hi", "[docs](https://x.y) say hi"),
]

GENERIC = [
    c("generic", "tool_call", '{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}', None, GW),
    c(
        "generic",
        "tool_calls",
        '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}, '
        '"id": "call_1"}, {"name": "get_time", "arguments": {"tz": "UTC"}, "id": "call_2"}]}',
        None,
        ("get_weather", W, "call_1"),
        ("get_time", T, "call_2"),
    ),
    c("generic", "response", '{"response": "Paris."}', "Paris."),
    c("generic", "fenced", '```json\n{"response": "Hi"}\n```', "Hi"),
    c("generic", "neg-other-json", '{"answer": 42}', '{"answer": 42}'),
    c("generic", "neg-text", "Just text.", "Just text."),
]

_LL = '{"name": "get_weather", "parameters": {"city": "Paris"}}'
LLAMA3_JSON = [
    c("llama3_json", "call", _LL + "<|eom_id|>", None, GW),
    c(
        "llama3_json",
        "type-function",
        '{"type": "function", "name": "get_weather", "parameters": {"city": "Paris"}}',
        None,
        GW,
    ),
    c(
        "llama3_json",
        "semicolons",
        f'{_LL}; {{"name": "get_time", "arguments": {{"tz": "UTC"}}}}<|eot_id|>',
        None,
        GW,
        GT,
    ),
    c("llama3_json", "python-tag", f"<|python_tag|>{_LL}", None, GW),
    c("llama3_json", "fenced", f"```json\n{_LL}\n```", None, GW),
    c("llama3_json", "neg-mid-sentence", f"You could call {_LL} if needed.", f"You could call {_LL} if needed."),
    c(
        "llama3_json",
        "neg-json-answer",
        '{"city": "Paris", "population": 2100000}',
        '{"city": "Paris", "population": 2100000}',
    ),
    c(
        "llama3_json",
        "neg-cut",
        '{"name": "get_weather", "parameters": {"city": "Par',
        '{"name": "get_weather", "parameters": {"city": "Par',
    ),
]

LLAMA3_BUILTIN = [
    c(
        "llama3_builtin",
        "brave",
        '<|python_tag|>brave_search.call(query="weather Paris")<|eom_id|>',
        None,
        ("brave_search", {"query": "weather Paris"}),
    ),
    c(
        "llama3_builtin",
        "wolfram",
        "<|python_tag|>wolfram_alpha.call(query='2+2')",
        None,
        ("wolfram_alpha", {"query": "2+2"}),
    ),
    c("llama3_builtin", "custom-json", _LL, None, GW),
    c("llama3_builtin", "custom-after-tag", f"<|python_tag|>{_LL}", None, GW),
    c(
        "llama3_builtin",
        "neg-prose",
        "Use brave_search.call(query=...) to search.",
        "Use brave_search.call(query=...) to search.",
    ),
    c("llama3_builtin", "neg-bad-code", "<|python_tag|>import os", "<|python_tag|>import os"),
]

FIREFUNCTION = [
    c("firefunction_v2", "call", f" functools{_L}", None, GW),
    c("firefunction_v2", "parallel", f" functools[{_H}, {_HT}]<|eot_id|>", None, GW, GT),
    c("firefunction_v2", "content-first", f"Sure. functools{_L}", "Sure.", GW),
    c(
        "firefunction_v2",
        "neg-import",
        "import functools\nfunctools.partial(f)",
        "import functools\nfunctools.partial(f)",
    ),
    c(
        "firefunction_v2",
        "neg-cut",
        ' functools[{"name": "f", "arguments": {"a": "x',
        'functools[{"name": "f", "arguments": {"a": "x',
    ),
    c(
        "firefunction_v2",
        "array-in-args",
        ' functools[{"name": "f", "arguments": {"xs": [1, [2]]}}]',
        None,
        ("f", {"xs": [1, [2]]}),
    ),
]

PHI4 = [
    c("phi4_mini", "call", f"functools{_L}", None, GW),
    c("phi4_mini", "tag", f"<|tool_call|>{_H}<|/tool_call|>", None, GW),
    c(
        "phi4_mini",
        "array-in-args",
        'functools[{"name": "f", "arguments": {"xs": ["]", 2]}}]<|end|>',
        None,
        ("f", {"xs": ["]", 2]}),
    ),
    c("phi4_mini", "parallel", f"functools[{_H}, {_HT}]", None, GW, GT),
    c("phi4_mini", "neg-word", "The functools module helps.", "The functools module helps."),
    c("phi4_mini", "parameters", 'functools[{"name": "f", "parameters": {"a": 1}}]', None, ("f", {"a": 1})),
]

PYTHONIC = [
    c("pythonic", "call", '[get_weather(city="Paris")]', None, GW),
    c("pythonic", "parallel", "[get_weather(city='Paris'), get_time(tz=\"UTC\")]<|eot_id|>", None, GW, GT),
    c(
        "pythonic",
        "literals",
        "[f(a=True, b=None, c=[1, -2.5], d={'k': 'v'})]",
        None,
        ("f", {"a": True, "b": None, "c": [1, -2.5], "d": {"k": "v"}}),
    ),
    c("pythonic", "fenced", '```python\n[get_weather(city="Paris")]\n```', None, GW),
    c(
        "pythonic",
        "neg-link",
        "[Paris](https://fr.wikipedia.org) is nice.",
        "[Paris](https://fr.wikipedia.org) is nice.",
    ),
    c("pythonic", "neg-list", "[1, 2, 3]", "[1, 2, 3]"),
    c("pythonic", "neg-positional", "[f(1)]", "[f(1)]"),
    c("pythonic", "neg-mid", 'Try [get_weather(city="Paris")].', 'Try [get_weather(city="Paris")].'),
]

LLAMA4 = [
    c("llama4_pythonic", "call", '[get_weather(city="Paris")]<|eot|>', None, GW),
    c("llama4_pythonic", "python-start", '<|python_start|>[get_weather(city="Paris")]<|python_end|>', None, GW),
    c("llama4_pythonic", "parallel", '[get_weather(city="Paris"), get_time(tz="UTC")]', None, GW, GT),
    c("llama4_pythonic", "neg-text", "Sunny [mostly].", "Sunny [mostly]."),
    c("llama4_pythonic", "neg-cut", '[get_weather(city="Par', '[get_weather(city="Par'),
]

LFM2 = [
    c("lfm2", "call", '<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|>Checking.', "Checking.", GW),
    c(
        "lfm2",
        "parallel",
        '<|tool_call_start|>[get_weather(city="Paris"), get_time(tz="UTC")]<|tool_call_end|>',
        None,
        GW,
        GT,
    ),
    c("lfm2", "json-variant", f"<|tool_call_start|>{_L}<|tool_call_end|>", None, GW),
    c("lfm2", "no-end", '<|tool_call_start|>[get_weather(city="Paris")]<|im_end|>', None, GW),
    c("lfm2", "neg-bad", "<|tool_call_start|>[oops<|tool_call_end|>", "<|tool_call_start|>[oops<|tool_call_end|>"),
    c("lfm2", "plain", "Hi there<|im_end|>", "Hi there"),
]

GEMMA3 = [
    c("gemma3_prompted", "pythonic", '[get_weather(city="Paris")]<end_of_turn>', None, GW),
    c("gemma3_prompted", "json", '{"name": "get_weather", "parameters": {"city": "Paris"}}', None, GW),
    c("gemma3_prompted", "tool-code", 'Checking.\n```tool_code\nget_weather(city="Paris")\n```', "Checking.", GW),
    c("gemma3_prompted", "fenced-json", f"```json\n{_LL}\n```", None, GW),
    c("gemma3_prompted", "neg-doc-fence", "```python\nprint('hi')\n```", "```python\nprint('hi')\n```"),
    c("gemma3_prompted", "neg-mid", 'Use [get_weather(city="Paris")]', 'Use [get_weather(city="Paris")]'),
]

MISTRAL_V3 = [
    c(
        "mistral_v3",
        "call",
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "a1B2c3D4e"}]</s>',
        None,
        ("get_weather", W, "a1B2c3D4e"),
    ),
    c("mistral_v3", "content-first", f"Let me see.[TOOL_CALLS]{_L}", "Let me see.", GW),
    c("mistral_v3", "parallel", f"[TOOL_CALLS] [{_H}, {_HT}]", None, GW, GT),
    c("mistral_v3", "single-object", f"[TOOL_CALLS]{_H}", None, GW),
    c("mistral_v3", "string-args", '[TOOL_CALLS][{"name": "f", "arguments": "{\\"a\\": 1}"}]', None, ("f", {"a": 1})),
    c("mistral_v3", "neg-plain", "No call [here].", "No call [here]."),
    c(
        "mistral_v3",
        "neg-cut",
        '[TOOL_CALLS][{"name": "f", "arguments": {"a": "',
        '[TOOL_CALLS][{"name": "f", "arguments": {"a": "',
    ),
]

MISTRAL_V11 = [
    c("mistral_v11", "call", '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}</s>', None, GW),
    c(
        "mistral_v11",
        "call-id",
        '[TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]{"city": "Paris"}',
        None,
        ("get_weather", W, "a1B2c3D4e"),
    ),
    c(
        "mistral_v11",
        "parallel",
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{"tz": "UTC"}',
        None,
        GW,
        GT,
    ),
    c("mistral_v11", "decoded-form", '[TOOL_CALLS]get_weather{"city": "Paris"}', None, GW),
    c("mistral_v11", "content-first", 'Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}', "Sure.", GW),
    c("mistral_v11", "old-array", f"[TOOL_CALLS]{_L}", None, GW),
    c("mistral_v11", "neg-prose", "The [TOOL_CALLS] token starts calls.", "The [TOOL_CALLS] token starts calls."),
    c(
        "mistral_v11",
        "neg-cut",
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Pa',
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Pa',
    ),
]

MAGISTRAL = [
    c("magistral", "think", "[THINK]Simple.[/THINK]Paris.", "Paris.", reasoning="Simple."),
    c(
        "magistral",
        "think-call",
        '[THINK]Need data.[/THINK][TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}',
        None,
        GW,
        reasoning="Need data.",
    ),
    c("magistral", "think-only", "[THINK]Cut off here", None, reasoning="Cut off here"),
    c("magistral", "old-array", f"[THINK]x[/THINK][TOOL_CALLS]{_L}", None, GW, reasoning="x"),
    c(
        "magistral",
        "neg-draft",
        '[THINK][TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[/THINK]OK',
        "OK",
        reasoning='[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}',
    ),
]

_DS1 = (
    '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris"}\n```'
    "<｜tool▁call▁end｜>"
)
_DS1b = '<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{"tz": "UTC"}\n```<｜tool▁call▁end｜>'
DEEPSEEK_R1 = [
    c("deepseek_r1", "call", _DS1 + "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>", None, GW),
    c("deepseek_r1", "parallel", _DS1 + "\n" + _DS1b + "<｜tool▁calls▁end｜>", None, GW, GT),
    c(
        "deepseek_r1",
        "forced-open",
        "Let me think.\n</think>\n\n" + _DS1,
        None,
        GW,
        reasoning="Let me think.",
        thinking_open=True,
    ),
    c("deepseek_r1", "no-section-end", _DS1, None, GW),
    c(
        "deepseek_r1",
        "variant-opener",
        '<｜tool_calls_begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Paris"}\n```<｜tool▁call▁end｜>',
        None,
        GW,
    ),
    c("deepseek_r1", "neg-plain", "Paris.<｜end▁of▁sentence｜>", "Paris."),
    c(
        "deepseek_r1",
        "neg-cut",
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Pa',
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Pa',
    ),
]

_DS31 = '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Paris"}<｜tool▁call▁end｜>'
DEEPSEEK_V31 = [
    c("deepseek_v3_1", "call", _DS31 + "<｜tool▁calls▁end｜>", None, GW),
    c(
        "deepseek_v3_1",
        "parallel",
        _DS31 + '<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{"tz": "UTC"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        None,
        GW,
        GT,
    ),
    c("deepseek_v3_1", "forced-open", "hmm</think>Paris.", "Paris.", reasoning="hmm", thinking_open=True),
    c("deepseek_v3_1", "call-inside-think", "need data" + _DS31, None, GW, reasoning="need data", thinking_open=True),
    c("deepseek_v3_1", "neg-plain", "Answer.", "Answer."),
    c(
        "deepseek_v3_1",
        "neg-cut",
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "P',
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "P',
    ),
]

_K = (
    "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>"
    '{"city": "Paris"}<|tool_call_end|>'
)
KIMI = [
    c("kimi_k2", "call", _K + "<|tool_calls_section_end|>", None, ("get_weather", W, "functions.get_weather:0")),
    c(
        "kimi_k2",
        "parallel",
        _K + '<|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>{"tz": "UTC"}'
        "<|tool_call_end|><|tool_calls_section_end|>",
        None,
        ("get_weather", W, "functions.get_weather:0"),
        ("get_time", T, "functions.get_time:1"),
    ),
    c(
        "kimi_k2",
        "call-in-think",
        "<think>I need the weather" + _K,
        None,
        ("get_weather", W, "functions.get_weather:0"),
        reasoning="I need the weather",
    ),
    c(
        "kimi_k2",
        "no-section",
        '<|tool_call_begin|>functions.get_weather:3<|tool_call_argument_begin|>{"city": "Paris"}',
        None,
        ("get_weather", W, "functions.get_weather:3"),
    ),
    c("kimi_k2", "think-answer", "<think>easy</think>Paris.<|im_end|>", "Paris.", reasoning="easy"),
    c(
        "kimi_k2",
        "neg-cut",
        '<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Pa',
        '<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Pa',
    ),
]

FUNCTIONARY_V31 = [
    c("functionary_v3_1", "call", '<function=get_weather>{"city": "Paris"}</function><|eom_id|>', None, GW),
    c(
        "functionary_v3_1",
        "parallel",
        '<function=get_weather>{"city": "Paris"}</function><function=get_time>{"tz": "UTC"}</function>',
        None,
        GW,
        GT,
    ),
    c("functionary_v3_1", "content-first", 'Sure.\n<function=get_weather>{"city": "Paris"}</function>', "Sure.", GW),
    c("functionary_v3_1", "python", "<|python_tag|>print(2 + 2)<|eom_id|>", None, ("python", {"code": "print(2 + 2)"})),
    c("functionary_v3_1", "neg-prose", "Use <function=name> tags.", "Use <function=name> tags."),
    c("functionary_v3_1", "no-close", '<function=get_weather>{"city": "Paris"}', None, GW),
]

FUNCTIONARY_V32 = [
    c("functionary_v3_2", "call", 'get_weather\n{"city": "Paris"}', None, GW),
    c("functionary_v3_2", "all", "all\nParis is sunny.<|eot_id|>", "Paris is sunny."),
    c("functionary_v3_2", "all-then-call", 'all\nChecking.>>>get_weather\n{"city": "Paris"}', "Checking.", GW),
    c("functionary_v3_2", "parallel", 'get_weather\n{"city": "Paris"}>>>get_time\n{"tz": "UTC"}', None, GW, GT),
    c("functionary_v3_2", "python", "python\nprint(1)", None, ("python", {"code": "print(1)"})),
    c("functionary_v3_2", "neg-plain", "Hello there", "Hello there"),
    c("functionary_v3_2", "leading-arrows", '>>>get_weather\n{"city": "Paris"}', None, GW),
]

_GO = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}<|call|>'
GPT_OSS = [
    c(
        "gpt_oss",
        "call",
        "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant" + _GO,
        None,
        GW,
        reasoning="Need weather.",
    ),
    c(
        "gpt_oss",
        "final",
        "<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>Paris.<|return|>",
        "Paris.",
        reasoning="Easy.",
    ),
    c(
        "gpt_oss",
        "recipient-in-header",
        '<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{"city": "Paris"}<|call|>',
        None,
        GW,
    ),
    c(
        "gpt_oss",
        "preamble",
        "<|channel|>commentary<|message|>Checking the weather.<|end|><|start|>assistant" + _GO,
        "Checking the weather.",
        GW,
    ),
    c("gpt_oss", "cut-analysis", "<|channel|>analysis<|message|>Thinking about", None, reasoning="Thinking about"),
    c(
        "gpt_oss",
        "neg-bad-args",
        "<|channel|>commentary to=functions.f <|message|>not json<|call|>",
        "<|channel|>commentary to=functions.f <|message|>not json",
    ),
]

_Q = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>"
QWEN3_CODER = [
    c("qwen3_coder", "call", _Q, None, GW),
    c(
        "qwen3_coder",
        "typed",
        "<tool_call>\n<function=f>\n<parameter=n>\n30\n</parameter>\n<parameter=ok>\ntrue\n"
        "</parameter>\n<parameter=zip>\n01234\n</parameter>\n<parameter=code>\ndef f():\n    return 1\n</parameter>\n"
        "</function>\n</tool_call>",
        None,
        ("f", {"n": 30, "ok": True, "zip": "01234", "code": "def f():\n    return 1"}),
    ),
    c(
        "qwen3_coder",
        "parallel",
        _Q + "\n" + _Q.replace("get_weather", "get_time").replace("city", "tz").replace("Paris", "UTC"),
        None,
        GW,
        GT,
    ),
    c(
        "qwen3_coder",
        "missing-param-close",
        "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</function>\n</tool_call>",
        None,
        GW,
    ),
    c(
        "qwen3_coder",
        "call-in-open-think",
        "I need weather.\n" + _Q,
        None,
        GW,
        reasoning="I need weather.",
        thinking_open=True,
    ),
    c(
        "qwen3_coder",
        "neg-mention-in-think",
        "<think>the <tool_call> tag</think>Hi",
        "Hi",
        reasoning="the <tool_call> tag",
    ),
    c(
        "qwen3_coder",
        "no-wrapper",
        "<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>",
        None,
        GW,
    ),
    c("qwen3_coder", "neg-prose", "Use <tool_call> to call.", "Use <tool_call> to call."),
]

_S = "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>"
SEED = [
    c("seed_oss", "call", _S, None, GW),
    c("seed_oss", "think-call", "<seed:think>need it</seed:think>" + _S, None, GW, reasoning="need it"),
    c(
        "seed_oss",
        "parallel",
        _S + _S.replace("get_weather", "get_time").replace("city", "tz").replace("Paris", "UTC"),
        None,
        GW,
        GT,
    ),
    c("seed_oss", "end", "Paris.<seed:eos>", "Paris."),
    c("seed_oss", "neg-prose", "<seed:tool_call> is a tag", "<seed:tool_call> is a tag"),
]

_G = "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>"
GLM = [
    c("glm45", "call", _G, None, GW),
    c(
        "glm45",
        "typed",
        "<tool_call>f\n<arg_key>n</arg_key><arg_value>3</arg_value>\n<arg_key>s</arg_key>"
        "<arg_value>x y</arg_value></tool_call>",
        None,
        ("f", {"n": 3, "s": "x y"}),
    ),
    c("glm45", "interleaved", "<think>a</think>Step one.<think>b</think>" + _G, "Step one.", GW, reasoning="a\nb"),
    c("glm45", "no-args", "<tool_call>get_time</tool_call>", None, ("get_time", {})),
    c("glm45", "neg-prose", "<tool_call> tags are great", "<tool_call> tags are great"),
]

_M = (
    '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris</parameter>\n</invoke>\n'
    "</minimax:tool_call>"
)
MINIMAX = [
    c("minimax_m2", "call", _M, None, GW),
    c(
        "minimax_m2",
        "parallel",
        '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris'
        '</parameter>\n</invoke>\n<invoke name="get_time">\n<parameter name="tz">UTC</parameter>\n</invoke>\n'
        "</minimax:tool_call>",
        None,
        GW,
        GT,
    ),
    c("minimax_m2", "think", "<think>ok</think>" + _M, None, GW, reasoning="ok"),
    c(
        "minimax_m2",
        "typed",
        '<minimax:tool_call><invoke name="f"><parameter name="xs">[1, 2]</parameter></invoke></minimax:tool_call>',
        None,
        ("f", {"xs": [1, 2]}),
    ),
    c("minimax_m2", "neg-prose", "<minimax:tool_call> wraps calls", "<minimax:tool_call> wraps calls"),
]

FUNCTIONGEMMA = [
    c(
        "functiongemma",
        "call",
        "<start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_function_call>",
        None,
        GW,
    ),
    c(
        "functiongemma",
        "typed",
        "<start_function_call>call:f{n:3,ok:true,s:<escape>a, {b}<escape>}<end_function_call>",
        None,
        ("f", {"n": 3, "ok": True, "s": "a, {b}"}),
    ),
    c(
        "functiongemma",
        "parallel",
        "<start_function_call>call:get_weather{city:<escape>Paris<escape>}"
        "<end_function_call><start_function_call>call:get_time{tz:<escape>UTC<escape>}<end_function_call>",
        None,
        GW,
        GT,
    ),
    c("functiongemma", "end", "Paris.<end_of_turn>", "Paris."),
    c("functiongemma", "neg-prose", "Say call:me{maybe}", "Say call:me{maybe}"),
    c(
        "functiongemma",
        "neg-cut",
        "<start_function_call>call:f{s:<escape>abc",
        "<start_function_call>call:f{s:<escape>abc",
    ),
]

GEMMA4 = [
    c("gemma4", "call", '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|>', None, GW),
    c(
        "gemma4",
        "typed",
        '<|tool_call>call:f{n:3,xs:[1,2],o:{k:<|"|>v<|"|>}}<tool_call|>',
        None,
        ("f", {"n": 3, "xs": [1, 2], "o": {"k": "v"}}),
    ),
    c("gemma4", "thought", "<|channel>thought\nPlan it.<channel|>Paris.<turn|>", "Paris.", reasoning="Plan it."),
    c("gemma4", "closed-by-turn", '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<turn|>', None, GW),
    c("gemma4", "bare", 'call:get_weather{city:<|"|>Paris<|"|>}', None, GW),
    c("gemma4", "neg-prose", "You can call:me later", "You can call:me later"),
]

ALL_CASES = [
    *HERMES,
    *SMOLLM2,
    *SMOLLM3,
    *NEMOTRON,
    *GRANITE,
    *GRANITE_THOUGHT,
    *APERTUS,
    *COMMAND_R7B,
    *XLAM,
    *GENERIC,
    *LLAMA3_JSON,
    *LLAMA3_BUILTIN,
    *FIREFUNCTION,
    *PHI4,
    *PYTHONIC,
    *LLAMA4,
    *LFM2,
    *GEMMA3,
    *MISTRAL_V3,
    *MISTRAL_V11,
    *MAGISTRAL,
    *DEEPSEEK_R1,
    *DEEPSEEK_V31,
    *KIMI,
    *FUNCTIONARY_V31,
    *FUNCTIONARY_V32,
    *GPT_OSS,
    *QWEN3_CODER,
    *SEED,
    *GLM,
    *MINIMAX,
    *FUNCTIONGEMMA,
    *GEMMA4,
]
