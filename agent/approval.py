"""Approval of tool calls before they run: a rule per tool-name pattern (auto, ask, deny), a callback for ask.

A denial is something the model can work with (it gets the reason as a tool error and may answer
without the tool), so nothing in `decide` raises: a failing callback is a denial with its reason.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol, get_args

import anyio

from tools import ToolCall

logger = logging.getLogger("agent.approval")

Mode = Literal["auto", "ask", "deny"]
"""`auto` runs the call, `deny` refuses it, `ask` awaits the callback."""

AskCallback = Callable[[ToolCall], Awaitable[bool]]
"""Asked about one call; True runs it. Anything else (or an exception) refuses it."""

_MODES: tuple[str, ...] = get_args(Mode)
_NO_RULES: Mapping[str, Mode] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Approval:
    """The verdict on one call."""

    allowed: bool
    reason: str | None = None
    """Why it was refused, in words for the model (None when allowed)."""


class Decision(Protocol):
    """What an approver answers about one call (`Approval` is one)."""

    allowed: bool
    reason: str | None


class Approver(Protocol):
    """Decides whether a tool call may run (`ApprovalPolicy` is one); `AgentOptions.approval` takes any."""

    async def decide(self, call: ToolCall) -> Decision: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rule:
    pattern: str
    regex: re.Pattern[str]
    mode: Mode


class ApprovalPolicy:
    """Which tool calls run without asking, which need a yes from a callback, which never run.

    Usage::

        policy = ApprovalPolicy({"files_read*": "auto", "files_*": "ask", "*delete*": "deny"}, ask=confirm)
        approval = await policy.decide(call)
        if not approval.allowed:
            result = ToolResult.from_text(approval.reason or "denied", is_error=True)

    Patterns are shell-style globs (`*`, `?`, `[abc]`) matched case-sensitively against the whole tool name
    (as the model sees it, server prefix included); the first matching rule wins, in the order given.
    Questions are asked one at a time, even for calls of one turn that run concurrently, so a person
    answering them sees one prompt at a time.
    """

    def __init__(
        self,
        rules: Mapping[str, Mode] = _NO_RULES,
        *,
        default: Mode = "auto",
        ask: AskCallback | None = None,
    ) -> None:
        """
        Args:
            rules: Tool-name glob -> mode, tried in order.
            default: The mode for a tool no rule matches.
            ask: Awaited for calls whose mode is "ask".

        Raises:
            ValueError: A mode that is not "auto", "ask" or "deny"; or "ask" used (by a rule or the
                default) without an `ask` callback.
        """
        self._rules: list[_Rule] = []
        for pattern, mode in rules.items():
            _check_mode(f"rules[{pattern!r}]", mode)
            self._rules.append(_Rule(pattern=pattern, regex=re.compile(fnmatch.translate(pattern)), mode=mode))
        _check_mode("default", default)
        self.default: Mode = default
        self._ask = ask
        if ask is None:
            asking = [f"rules[{r.pattern!r}]" for r in self._rules if r.mode == "ask"]
            if default == "ask":
                asking.append("default")
            if asking:
                raise ValueError(f"{', '.join(asking)} is 'ask' but no ask callback was given (pass ask=...)")
        self._asking = anyio.Lock()

    def mode_for(self, name: str) -> Mode:
        """The mode that applies to a tool name: the first matching rule's, else the default.

        Args:
            name: A tool name as the model calls it.

        Returns:
            "auto", "ask" or "deny".
        """
        rule = self._rule_for(name)
        return rule.mode if rule is not None else self.default

    async def decide(self, call: ToolCall) -> Approval:
        """Whether this call may run; awaits the ask callback when its tool's mode is "ask".

        Args:
            call: The call the model made.

        Returns:
            `Approval(allowed=True)`, or `allowed=False` with a reason the model can read. A callback that
            raises counts as a refusal (its error is the reason, and is logged); cancellation still
            propagates.
        """
        rule = self._rule_for(call.name)
        mode = rule.mode if rule is not None else self.default
        source = f"rule {rule.pattern!r}" if rule is not None else "the default rule"
        if mode == "auto":
            return Approval(allowed=True)
        if mode == "deny":
            return Approval(allowed=False, reason=f"Calls to {call.name} are not allowed ({source}: deny).")
        assert self._ask is not None  # checked at construction
        async with self._asking:
            try:
                answer = await self._ask(call)
            except Exception as exc:  # the callback's failure must not end the run; the model is told
                logger.warning("approval callback failed for %s: %r", call.name, exc)
                return Approval(
                    allowed=False,
                    reason=f"The call to {call.name} was not approved: asking failed ({type(exc).__name__}: {exc}).",
                )
        if answer is True:
            return Approval(allowed=True)
        return Approval(allowed=False, reason=f"The user did not approve this call to {call.name}.")

    def _rule_for(self, name: str) -> _Rule | None:
        return next((rule for rule in self._rules if rule.regex.match(name)), None)


def _check_mode(where: str, mode: object) -> None:
    if mode not in _MODES:
        raise ValueError(f"{where}: {mode!r} is not one of {', '.join(repr(m) for m in _MODES)}")
