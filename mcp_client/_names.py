"""Tool-name rules: prefixing, sanitizing to `[A-Za-z0-9_-]{1,64}`, and near-match hints."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable

MAX_NAME = 64
_INVALID = re.compile(r"[^A-Za-z0-9_-]+")


def sanitize(name: str) -> str:
    """`name` made valid for every model API: invalid runs become `_`; too long gets a stable hash suffix."""
    clean = _INVALID.sub("_", name).strip("_") or "tool"
    if len(clean) <= MAX_NAME:
        return clean
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{clean[: MAX_NAME - 9]}_{digest}"


def prefixed(prefix: str | None, name: str) -> str:
    return sanitize(f"{prefix}_{name}" if prefix else name)


def near_matches(name: str, names: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, list(names), n=n, cutoff=0.5)
