"""Pick the tools for one turn when all their schemas would not fit: recently used first, then BM25.

BM25 (Okapi, k1=1.2, b=0.75) runs over each tool's name (split on `_`, `-`, `.` and camelCase,
counted twice: names are dense), its description and its top-level parameter names. Words are
lowercased, common English words dropped and plural/-ing/-ed/-er endings folded, so "reading files"
finds `read_file`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from inference.openai_convert import function_json
from tools import ToolSpec

K1 = 1.2
B = 0.75

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    """a an and are as at be by can do does for from get gets give has have how i in is it its me my
    of on or please show that the this to tool use uses using was what when where which who will with
    you your""".split()
)
# "get" is a stopword: half of all tool names start with it, and "get me the weather" should rank by "weather".


def terms(text: str) -> list[str]:
    """The search terms of a text: words (camelCase and snake_case split), lowercased, stopwords dropped, stemmed.

    Args:
        text: A tool name, a description or a query.

    Returns:
        The terms in order, with repeats.
    """
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        words.extend(_CAMEL.findall(chunk) if not chunk.islower() else _WORD.findall(chunk))
    return [_stem(w) for w in (w.lower() for w in words) if w not in _STOPWORDS]


def _stem(word: str) -> str:
    """A light suffix folding (not Porter): files/file, reading/read, created/create, queries/query, reminder/remind.

    Not linguistics: both sides of a match go through it, so only consistency matters."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("er") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _document(tool: ToolSpec) -> list[str]:
    name = terms(tool.name)
    properties = tool.input_schema.get("properties")
    params = terms(" ".join(properties)) if isinstance(properties, Mapping) else []
    return [*name, *name, *terms(tool.description), *params]


class BM25Index:
    """A BM25 index over a list of tools; build it once per tool list, query it every turn."""

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        """
        Args:
            tools: The tools to index.
        """
        self.tools = tuple(tools)
        self._docs = [Counter(_document(t)) for t in self.tools]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._average = sum(self._lengths) / len(self._lengths) if self._lengths else 0.0
        frequency = Counter(term for doc in self._docs for term in doc)
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}

    def scores(self, query: str) -> list[float]:
        """The BM25 score of every tool against a query, in the tools' order (0.0 for no shared term).

        Args:
            query: Free text: the user's question, or the recent conversation.

        Returns:
            One score per tool.
        """
        wanted = set(terms(query)) & self._idf.keys()
        out: list[float] = []
        for doc, length in zip(self._docs, self._lengths, strict=True):
            norm = K1 * (1 - B + B * length / self._average) if self._average else K1
            out.append(sum(self._idf[t] * doc[t] * (K1 + 1) / (doc[t] + norm) for t in wanted if t in doc))
        return out


def select_tools(
    tools: Sequence[ToolSpec],
    query: str,
    *,
    budget_tokens: int,
    tool_tokens: Mapping[str, int],
    recent: Sequence[str] = (),
) -> list[ToolSpec]:
    """The tools to offer this turn, within a token budget.

    Args:
        tools: Every tool available, in the order the prompt lists them.
        query: What the turn is about (the last user message, perhaps with recent context).
        budget_tokens: The most tokens the offered tools' schemas may take together.
        tool_tokens: The tokens each tool's schema takes, by name (see `tool_token_counts`).
        recent: Names of tools called in this conversation, oldest first; the latest are kept first.
            Names of tools not in `tools` are ignored.

    Returns:
        All tools, unchanged, when they fit. Otherwise the recent ones (latest first), then the rest by
        descending BM25 score (ties: earlier first), each taken if it still fits (a tool too big is
        skipped, smaller ones after it may still be taken). Returned in their original order, so the
        prompt stays the same from turn to turn and the KV cache is reused.

    Raises:
        ValueError: A tool with no entry in `tool_tokens`.
    """
    missing = [t.name for t in tools if t.name not in tool_tokens]
    if missing:
        raise ValueError(f"tool_tokens: no count for {', '.join(repr(n) for n in missing)}")
    if sum(tool_tokens[t.name] for t in tools) <= budget_tokens:
        return list(tools)
    position = {t.name: i for i, t in reversed(list(enumerate(tools)))}
    scores = BM25Index(tools).scores(query)
    by_score = sorted(range(len(tools)), key=lambda i: (-scores[i], i))
    latest_first = [position[name] for name in reversed(recent) if name in position]
    chosen: set[int] = set()
    used = 0
    for index in _unique([*latest_first, *by_score]):
        cost = tool_tokens[tools[index].name]
        if used + cost <= budget_tokens:
            chosen.add(index)
            used += cost
    return [tool for i, tool in enumerate(tools) if i in chosen]


def _unique(items: Iterable[int]) -> Iterable[int]:
    seen: set[int] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def tool_json(tool: ToolSpec) -> str:
    """A tool's schema as the model reads it: JSON of its name, description and parameters."""
    return json.dumps(function_json(tool), ensure_ascii=False)


async def tool_token_counts(tools: Sequence[ToolSpec], count_tokens: Callable[[str], Awaitable[int]]) -> dict[str, int]:
    """Measure each tool's schema with the model's tokenizer.

    Args:
        tools: The tools to measure.
        count_tokens: Counts tokens of a text (e.g. `agent.shaping.token_counter(backend)`).

    Returns:
        Tool name -> tokens of `tool_json(tool)`.
    """
    return {tool.name: await count_tokens(tool_json(tool)) for tool in tools}
