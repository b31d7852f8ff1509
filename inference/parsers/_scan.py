"""Incremental scanning: literal markers with a held-back partial tail, and the extent of a bracketed value.

Both work on a buffer plus a start offset and never look back at text they have passed, which is what
keeps streaming linear in the length of the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

A = TypeVar("A")

WS = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]*")
_LOOKAHEAD_LIMIT = 4096
"""A run of whitespace this long settles a decision that waits on the next non-space character."""


def skip_ws(buf: str, pos: int) -> int:
    """The index of the first non-whitespace character at or after `pos` (len(buf) if none)."""
    return _WS_RUN.match(buf, pos).end()  # type: ignore[union-attr]


def ws_settles(buf: str, pos: int, end: int) -> bool:
    """True when the whitespace between pos and end is too long to keep waiting behind."""
    return end - pos >= _LOOKAHEAD_LIMIT


def _no_match(buf: str, pos: int = 0) -> None:
    return None


class MarkerSet(Generic[A]):
    """A set of literal markers, each mapped to an action, found leftmost-longest in a buffer."""

    __slots__ = ("actions", "maxlen", "prefixes", "_first", "_regex", "special", "plain", "search")

    def __init__(self, actions: Mapping[str, A]) -> None:
        self.actions = dict(actions)
        markers = sorted(self.actions, key=len, reverse=True)
        self._regex = re.compile("|".join(map(re.escape, markers))) if markers else None
        self.prefixes = frozenset(m[:i] for m in markers for i in range(1, len(m)))
        self._first = "".join(sorted({m[0] for m in markers}))
        self.maxlen = max(map(len, markers), default=1)
        chars = "".join(re.escape(c) for c in self._first)
        self.special = re.compile(f"[{chars}]").search if chars else None
        self.search = self._regex.search if self._regex is not None else _no_match
        """Fast test: a chunk without any of these characters holds no marker and no partial one."""
        self.plain = frozenset(self._first).isdisjoint
        """The same test, answered True for such a chunk (a little faster than a regex search)."""

    def find(self, buf: str, pos: int) -> re.Match[str] | None:
        return self._regex.search(buf, pos) if self._regex is not None else None

    def inert(self, chunk: str) -> bool:
        """Whether a chunk holds no marker and ends in no possible start of one."""
        return self.search(chunk) is None and self.tail(chunk, 0) == len(chunk)

    def must_wait(self, buf: str, start: int) -> bool:
        """Whether the text from `start` to the end could still grow into a (longer) marker."""
        return len(buf) - start < self.maxlen and buf[start:] in self.prefixes

    def tail(self, buf: str, pos: int) -> int:
        """Where the suffix that could be the start of a marker begins (len(buf) when there is none)."""
        n = len(buf)
        lo = max(pos, n - self.maxlen + 1)
        best = n
        for char in self._first:
            i = buf.find(char, lo, best)
            while i >= 0:
                if buf[i:] in self.prefixes:
                    best = i
                    break
                i = buf.find(char, i + 1, best)
        return best


def partial_prefix(buf: str, pos: int, literals: Iterable[str]) -> tuple[str | None, bool]:
    """Match `buf[pos:]` against literals: (the literal it starts with, whether it may still become one)."""
    rest = buf[pos : pos + 64]
    wait = False
    for literal in literals:
        if buf.startswith(literal, pos):
            return literal, False
        if literal.startswith(rest):
            wait = True
    return None, wait


_OPENERS = "{[("
_CLOSERS = {"{": "}", "[": "]", "(": ")"}
_NORMAL = re.compile(r"""["'{}\[\]()]""")
_IN_STRING = {'"': re.compile(r'["\\]'), "'": re.compile(r"['\\]")}
_WHOLE_STRING = {
    '"': re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL).match,
    "'": re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'", re.DOTALL).match,
}


class ValueScanner:
    """Finds where a bracketed JSON or Python value ends, fed piece by piece.

    Strings in either quote are skipped with their escapes, so a marker or a bracket inside a string
    argument cannot end the value early (the `</tool_call>`-in-an-argument bug of regex parsers).
    """

    __slots__ = ("stack", "quote", "escape")

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.quote = ""
        self.escape = False

    def scan(self, buf: str, pos: int) -> int | None:
        """Advance over buf[pos:]; the index just past the value's end, or None when the text ran out."""
        n = len(buf)
        while pos < n:
            if self.escape:
                self.escape = False
                pos += 1
                continue
            if self.quote:
                m = _IN_STRING[self.quote].search(buf, pos)
                if m is None:
                    return None
                pos = m.end()
                if m.group() == "\\":
                    self.escape = True
                else:
                    self.quote = ""
                continue
            m = _NORMAL.search(buf, pos)
            if m is None:
                return None
            char = m.group()
            pos = m.end()
            if char in "\"'":
                whole = _WHOLE_STRING[char](buf, m.start())
                if whole is not None:  # the common case: the whole string is here, skip it at once
                    pos = whole.end()
                    continue
                self.quote = char
            elif char in _OPENERS:
                self.stack.append(char)
            elif self.stack:
                self.stack.pop()
                if not self.stack:
                    return pos
            else:
                return m.start()
        return None

    def healing(self) -> str | None:
        """The closers that would complete a value cut off outside any string, or None."""
        if self.quote or self.escape or not self.stack:
            return None
        return "".join(_CLOSERS[c] for c in reversed(self.stack))
