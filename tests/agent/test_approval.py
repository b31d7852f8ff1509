"""Approval policy: glob rules in order, a default, the ask callback, and failures turned into denials."""

from __future__ import annotations

import logging

import anyio
import pytest

from agent.approval import Approval, ApprovalPolicy, Mode
from tools import ToolCall


def _call(name: str) -> ToolCall:
    return ToolCall(id="abcdefgh1", name=name, arguments={})


class Asker:
    """An ask callback with scripted answers; remembers what it was asked."""

    def __init__(self, answer: bool | Exception = True, delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.asked: list[str] = []
        self.active = 0
        self.most_active = 0

    async def __call__(self, call: ToolCall) -> bool:
        self.asked.append(call.name)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            await anyio.sleep(self.delay)
        finally:
            self.active -= 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


RULES: dict[str, Mode] = {
    "files_read*": "auto",
    "files_*": "ask",
    "*delete*": "deny",
    "shell": "deny",
    "clock_?ime": "auto",
    "notes_[ab]*": "ask",
}


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("files_read_file", "auto"),  # first match wins: before "files_*"
        ("files_write_file", "ask"),
        ("files_delete", "ask"),  # "files_*" comes before "*delete*"
        ("notes_delete", "deny"),
        ("shell", "deny"),
        ("shell_exec", "auto"),  # a glob matches the whole name
        ("Shell", "auto"),  # case-sensitive
        ("clock_time", "auto"),
        ("clock_lime", "auto"),
        ("notes_add", "ask"),
        ("notes_list", "auto"),
        ("calculator_add", "auto"),
    ],
)
def test_first_matching_rule_wins_else_default(name: str, mode: Mode) -> None:
    assert ApprovalPolicy(RULES, ask=Asker()).mode_for(name) == mode


@pytest.mark.parametrize(
    ("name", "answer", "expected", "asked"),
    [
        ("files_read_file", False, Approval(allowed=True), []),
        ("files_write_file", True, Approval(allowed=True), ["files_write_file"]),
        (
            "files_write_file",
            False,
            Approval(allowed=False, reason="The user did not approve this call to files_write_file."),
            ["files_write_file"],
        ),
        (
            "notes_delete",
            True,
            Approval(allowed=False, reason="Calls to notes_delete are not allowed (rule '*delete*': deny)."),
            [],
        ),
    ],
)
async def test_decide(name: str, answer: bool, expected: Approval, asked: list[str]) -> None:
    asker = Asker(answer)
    assert await ApprovalPolicy(RULES, ask=asker).decide(_call(name)) == expected
    assert asker.asked == asked


async def test_default_applies_when_no_rule_matches() -> None:
    policy = ApprovalPolicy({"clock_*": "auto"}, default="deny")
    assert await policy.decide(_call("clock_now")) == Approval(allowed=True)
    denied = await policy.decide(_call("files_write"))
    assert not denied.allowed and denied.reason == "Calls to files_write are not allowed (the default rule: deny)."


async def test_no_rules_allows_everything() -> None:
    assert await ApprovalPolicy().decide(_call("anything")) == Approval(allowed=True)


async def test_default_ask_uses_the_callback() -> None:
    asker = Asker(True)
    assert (await ApprovalPolicy(default="ask", ask=asker).decide(_call("x"))).allowed
    assert asker.asked == ["x"]


@pytest.mark.parametrize("answer", [None, 1, "yes"])
async def test_only_true_approves(answer: object) -> None:
    async def sloppy(call: ToolCall) -> bool:
        return answer  # type: ignore[return-value]

    assert not (await ApprovalPolicy(default="ask", ask=sloppy).decide(_call("x"))).allowed


async def test_a_failing_callback_is_a_denial_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    policy = ApprovalPolicy({"*": "ask"}, ask=Asker(RuntimeError("terminal closed")))
    with caplog.at_level(logging.WARNING, logger="agent.approval"):
        approval = await policy.decide(_call("files_write"))
    assert approval == Approval(
        allowed=False,
        reason="The call to files_write was not approved: asking failed (RuntimeError: terminal closed).",
    )
    assert "approval callback failed for files_write" in caplog.text


async def test_cancellation_while_asking_propagates() -> None:
    policy = ApprovalPolicy(default="ask", ask=Asker(True, delay=10))
    with anyio.move_on_after(0.05) as scope:
        await policy.decide(_call("x"))
    assert scope.cancelled_caught


async def test_questions_are_asked_one_at_a_time() -> None:
    asker = Asker(True, delay=0.02)
    policy = ApprovalPolicy(default="ask", ask=asker)
    results: list[Approval] = []

    async def decide(name: str) -> None:
        results.append(await policy.decide(_call(name)))

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(decide, f"t{n}")
    assert len(results) == 4 and all(r.allowed for r in results)
    assert asker.most_active == 1


@pytest.mark.parametrize(
    ("rules", "default", "message"),
    [
        ({"files_*": "ask"}, "auto", r"rules\['files_\*'\] is 'ask' but no ask callback was given"),
        ({}, "ask", "default is 'ask' but no ask callback"),
        ({"a": "ask", "b": "ask"}, "auto", r"rules\['a'\], rules\['b'\] is 'ask'"),
        ({"files_*": "allow"}, "auto", r"rules\['files_\*'\]: 'allow' is not one of 'auto', 'ask', 'deny'"),
        ({}, "yes", "default: 'yes' is not one of"),
    ],
)
def test_bad_policies_fail_at_construction(rules: dict[str, Mode], default: Mode, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ApprovalPolicy(rules, default=default)
