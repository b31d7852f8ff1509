"""Catch a model that repeats the exact same tool call: answer it from the first call, and say when to stop.

Small models loop: they call `get_time({})` again and again. The guard remembers every (name, canonical
arguments) of a run; a repeat is not executed again but answered with a tool error that quotes the
earlier result, and after `max_repeats` caught repeats the loop should force the final answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools import ToolCall, ToolResult


@dataclass(slots=True, kw_only=True)
class _Earlier:
    call_id: str
    result: ToolResult | None = None
    """None while the first call is still running (an identical call in the same turn)."""


def canonical_arguments(arguments: object) -> str:
    """The arguments as canonical JSON: keys sorted, no spaces, integral floats written as integers.

    Args:
        arguments: A decoded JSON value (a call's arguments).

    Returns:
        A string equal for two argument objects exactly when they mean the same call
        (``{"a": 1, "b": 2.0}`` and ``{"b": 2, "a": 1}`` give the same string).
    """
    return json.dumps(_normalized(arguments), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)


def _normalized(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    return value


class RepeatGuard:
    """Remembers the calls of one run and catches exact repeats. Make one per run.

    Usage in the loop::

        guard = RepeatGuard()
        ...
        result = guard.seen(call)
        if result is None:
            result = await run(call)
            guard.record(call, result)
        ...
        if guard.exhausted:  # force the final answer: next turn with tool_choice="none"
            ...

    A repeat is caught whatever the earlier result was, an error included: the same arguments would fail
    the same way, and a model that needs a retry after a timeout can vary its call.
    """

    def __init__(self, max_repeats: int = 1, *, max_result_chars: int = 1000) -> None:
        """
        Args:
            max_repeats: Caught repeats after which `exhausted` turns true.
            max_result_chars: The earlier result quoted in the reply to a repeat is cut to this length.

        Raises:
            ValueError: `max_repeats` below 1 or `max_result_chars` below 0.
        """
        if max_repeats < 1:
            raise ValueError(f"max_repeats: {max_repeats!r} must be at least 1")
        if max_result_chars < 0:
            raise ValueError(f"max_result_chars: {max_result_chars!r} must not be negative")
        self.max_repeats = max_repeats
        self.max_result_chars = max_result_chars
        self._calls: dict[tuple[str, str], _Earlier] = {}
        self._repeats = 0

    @property
    def repeats(self) -> int:
        """Repeats caught so far in this run."""
        return self._repeats

    @property
    def exhausted(self) -> bool:
        """True once `max_repeats` repeats were caught: the loop should stop calling tools and answer."""
        return self._repeats >= self.max_repeats

    def seen(self, call: ToolCall) -> ToolResult | None:
        """Check a call before running it, and remember it.

        Args:
            call: A call the model just made.

        Returns:
            None for a new call (run it, then `record` its result). For a repeat of an earlier call of this
            run (same name, same arguments), a tool-error result to give the model instead of running it;
            the repeat is counted toward `exhausted`.
        """
        key = (call.name, canonical_arguments(call.arguments))
        earlier = self._calls.get(key)
        if earlier is None:
            self._calls[key] = _Earlier(call_id=call.id)
            return None
        self._repeats += 1
        return ToolResult.from_text(self._reply(call, earlier), is_error=True)

    def record(self, call: ToolCall, result: ToolResult) -> None:
        """Remember what a call returned, to quote it if the call is repeated.

        Args:
            call: The call, as passed to `seen` (a call never passed to `seen` is remembered too).
            result: What it returned. Recording the guard's own reply to a repeat changes nothing: the
                first result is kept.
        """
        key = (call.name, canonical_arguments(call.arguments))
        earlier = self._calls.setdefault(key, _Earlier(call_id=call.id))
        if earlier.result is None and earlier.call_id == call.id:
            earlier.result = result

    def _reply(self, call: ToolCall, earlier: _Earlier) -> str:
        head = (
            f"You already called {call.name} with exactly these arguments in this conversation, "
            "so it was not run again."
        )
        advice = "Use that result, call a tool with different arguments, or give your final answer."
        if earlier.result is None:  # the same call twice in one turn: its result is in the other tool message
            return f"{head} Its result is in the reply to call {earlier.call_id}. {advice}"
        text = earlier.result.text
        if len(text) > self.max_result_chars:
            cut = len(text) - self.max_result_chars
            text = f"{text[: self.max_result_chars]}[... {cut} more characters ...]"
        status = "an error" if earlier.result.is_error else "this result"
        return f"{head} It returned {status}:\n{text}\n{advice}"
