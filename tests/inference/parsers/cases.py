"""The table of raw outputs and what each format must make of them (at least five per format).

The rows live in cases.jsonl, one JSON object a line: `fmt`, `why` (the case's name; `neg-` marks a
text that only looks like a call), `text`, the expected `content`, `reasoning` and `calls`
(`[name, arguments]`, or `[name, arguments, id]` when the model wrote the id), and `thinking_open`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Call = tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    text: str
    """The raw model output."""
    content: str | None = None
    fmt: str
    why: str
    reasoning: str | None = None
    calls: tuple[Call, ...] = ()
    """Expected calls: (name, arguments) or (name, arguments, id)."""
    thinking_open: bool = False

    @property
    def id(self) -> str:
        return f"{self.fmt}-{self.why}"


def _load(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["calls"] = tuple(tuple(call) for call in row.get("calls", ()))
        cases.append(Case(**row))
    return cases


ALL_CASES = _load(Path(__file__).with_name("cases.jsonl"))
