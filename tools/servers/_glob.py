"""Glob patterns for the `files` server (`*`, `?`, `[a-z]`, `[!x]`, `**`), matched without regular
expressions: time is bounded by pattern length times path length, whatever the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PATTERN_CHARS = 500


@dataclass(frozen=True, slots=True)
class _Class:
    negated: bool
    ranges: tuple[tuple[str, str], ...]

    def matches(self, char: str) -> bool:
        return any(low <= char <= high for low, high in self.ranges) != self.negated


_Token = str | _Class  # "*", "?" or one literal character, or a character class
_STAR = "\0*"
_ANY = "\0?"


def _parse_class(segment: str, start: int) -> tuple[_Class | None, int]:
    """The class opening at `segment[start] == '['`, and the index after it; None if it never closes."""
    i = start + 1
    negated = i < len(segment) and segment[i] in "!^"
    i += negated
    ranges: list[tuple[str, str]] = []
    first = True
    while i < len(segment) and (segment[i] != "]" or first):
        first = False
        if i + 2 < len(segment) and segment[i + 1] == "-" and segment[i + 2] != "]":
            ranges.append((segment[i], segment[i + 2]))
            i += 3
        else:
            ranges.append((segment[i], segment[i]))
            i += 1
    if i >= len(segment):
        return None, start + 1
    return _Class(negated, tuple(ranges)), i + 1


def _tokens(segment: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            if not tokens or tokens[-1] != _STAR:
                tokens.append(_STAR)
            i += 1
        elif char == "?":
            tokens.append(_ANY)
            i += 1
        elif char == "[":
            parsed, i = _parse_class(segment, i)
            tokens.append(parsed if parsed is not None else "[")
        else:
            tokens.append(char)
            i += 1
    return tuple(tokens)


def _one(token: _Token, char: str) -> bool:
    if isinstance(token, _Class):
        return token.matches(char)
    return token == _ANY or token == char


def _match_segment(tokens: tuple[_Token, ...], name: str) -> bool:
    """Wildcard matching with backtracking to the last `*` only: O(len(tokens) * len(name))."""
    t = n = 0
    star_t, star_n = -1, 0
    while n < len(name):
        if t < len(tokens) and tokens[t] != _STAR and _one(tokens[t], name[n]):
            t, n = t + 1, n + 1
        elif t < len(tokens) and tokens[t] == _STAR:
            star_t, star_n, t = t, n, t + 1
        elif star_t >= 0:
            star_n += 1
            t, n = star_t + 1, star_n
        else:
            return False
    while t < len(tokens) and tokens[t] == _STAR:
        t += 1
    return t == len(tokens)


class Glob:
    """A compiled glob. Without a `/` it matches a file's name at any depth (`*.py`); with one it matches
    the whole relative path, `**` standing for any number of directories (`src/**/test_*.py`).

    Raises:
        ValueError: The pattern is empty or longer than MAX_PATTERN_CHARS.
    """

    def __init__(self, pattern: str, *, ignore_case: bool = False) -> None:
        if not pattern or len(pattern) > MAX_PATTERN_CHARS:
            raise ValueError(
                f"glob pattern must have 1 to {MAX_PATTERN_CHARS} characters, got {len(pattern)}"
            )
        self.pattern = pattern
        self.ignore_case = ignore_case
        text = pattern.lower() if ignore_case else pattern
        self.name_only = "/" not in text.strip("/")
        segments = [segment for segment in text.strip("/").split("/") if segment]
        self._segments = tuple(None if segment == "**" else _tokens(segment) for segment in segments)

    def matches(self, relative_path: str) -> bool:
        """Whether `relative_path` (components separated by `/`) matches."""
        text = relative_path.lower() if self.ignore_case else relative_path
        parts = text.split("/")
        if self.name_only:
            return len(self._segments) == 1 and _match_segment(self._segments[0] or (_STAR,), parts[-1])
        return self._match_parts(parts)

    def _match_parts(self, parts: list[str]) -> bool:
        # reachable[j]: the segments seen so far can consume exactly parts[:j]
        reachable = [True] + [False] * len(parts)
        for segment in self._segments:
            following = [False] * (len(parts) + 1)
            for j, ok in enumerate(reachable):
                if not ok:
                    continue
                if segment is None:  # '**': zero or more whole components
                    for k in range(j, len(parts) + 1):
                        following[k] = True
                    break
                if j < len(parts) and _match_segment(segment, parts[j]):
                    following[j + 1] = True
            reachable = following
        return reachable[len(parts)]
