"""Per-format marker tables (built once, shared by streams) and the stripped text accumulator.

The tables say, for each scanning mode, which literals matter and what each one does.
"""

from __future__ import annotations

from functools import cache

from inference.parsers._scan import MarkerSet
from inference.parsers._spec import FormatSpec, Opener, Reasoning

DROP, THINK, UNTHINK, OPEN, FENCE, TICK, ENDCODE, STOP = range(8)
Action = tuple[int, object]
FENCE_MARK = "```"


class Sink:
    """Accumulates content or reasoning, stripped: leading whitespace dropped, trailing held back."""

    __slots__ = ("parts", "lead", "pending")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.lead = True
        """At the start of a block: leading whitespace is dropped."""
        self.pending = ""
        """Trailing whitespace held back until more text shows it is not the end."""

    def push(self, text: str) -> str:
        """Add text; return what is now certain to be part of the final value."""
        if self.lead:
            text = text.lstrip()
            if not text:
                return ""
            self.lead = False
        body = text.rstrip()
        if not body:
            self.pending += text
            return ""
        tail = text[len(body) :]
        if self.pending:
            body = self.pending + body
        self.pending = tail
        self.parts.append(body)
        return body

    def segment(self) -> None:
        """Start a new block (reasoning): stripped on its own, joined to the last with a newline."""
        self.lead = True
        self.pending = "\n" if self.parts else ""

    def value(self) -> str | None:
        return "".join(self.parts) or None


class Tables:
    """The marker tables of one format, built once and shared by all its streams."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        inline = [o for o in spec.openers if not o.at_start]
        content: dict[str, Action] = {}
        for block in spec.reasoning:
            content.update({c: (DROP, None) for c in block.close})
        content.update({t: (DROP, None) for t in spec.drop + spec.end_tokens})
        content.update({t: (STOP, None) for t in spec.stop_tokens})
        if spec.markdown:
            content.update({FENCE_MARK: (FENCE, None), "``": (TICK, None), "`": (TICK, None)})
        for block in spec.reasoning:
            if not block.at_start:
                content.update({o: (THINK, block) for o in block.open})
        content.update({o.marker: (OPEN, o) for o in inline})
        self.content = MarkerSet(content)
        start: list[tuple[str, Action]] = [(o.marker, (OPEN, o)) for o in spec.openers if o.at_start]
        for block in spec.reasoning:
            if block.at_start:
                start.extend((o, (THINK, block)) for o in block.open)
        self.start = sorted(start, key=lambda item: -len(item[0]))
        self.fence_openers = {o.marker: o for o in inline}
        fenced = spec.fenced_json
        self.fenced_json = Opener(marker=FENCE_MARK, reader=fenced, offered_only=True) if fenced else None
        self.start_shadow = tuple(m for m, (kind, _) in content.items() if kind not in (FENCE, TICK))
        self.reasoning: dict[Reasoning, MarkerSet[Action]] = {}
        for block in spec.reasoning:
            acts: dict[str, Action] = {t: (DROP, None) for t in spec.end_tokens}
            acts.update({t: (STOP, None) for t in spec.stop_tokens})
            acts.update({o: (DROP, None) for o in block.open})  # a re-opened block nests nothing
            if block.calls_inside:
                acts.update({o.marker: (OPEN, o) for o in inline})
            acts.update({c: (UNTHINK, None) for c in block.close})
            self.reasoning[block] = MarkerSet(acts)
        self.code: dict[str, MarkerSet[Action]] = {}
        for closer in ("`", "``", FENCE_MARK):
            acts = {t: (DROP, None) for t in spec.end_tokens}
            acts.update({t: (STOP, None) for t in spec.stop_tokens})
            acts[closer] = (ENDCODE, None)
            if closer != FENCE_MARK:
                acts["\n"] = (ENDCODE, None)
            self.code[closer] = MarkerSet(acts)


@cache
def tables_for(spec: FormatSpec) -> Tables:
    return Tables(spec)
