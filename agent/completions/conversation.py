"""Validation modes of a conversation (mistral-common's `test`, `finetuning`, `serving`): the structural
rules a request's messages must follow before anything is rendered, each broken rule named with its message."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from agent.completions import openai_types as oa
from agent.errors import RequestError


class ValidationMode(StrEnum):
    """How strictly a conversation is checked (mistral-common's modes, with its meaning).

    Every mode: roles in a valid order, tool messages only after an assistant message with tool calls,
    each tool message's id matching a call of that message, no empty assistant message, `prefix` only on
    the last message. `serving` also wants `model`, call ids, and every call answered by exactly one tool
    message; `finetuning` also wants the assistant's message last.
    """

    TEST = "test"
    FINETUNING = "finetuning"
    SERVING = "serving"


class ConversationError(RequestError):
    """A conversation that breaks a rule of the validation mode. `rule` names the rule (the error's code)."""

    def __init__(self, field: str, reason: str, *, rule: str) -> None:
        super().__init__(field, reason)
        self.rule = rule


# Which role may follow which (mistral-common's table; 'developer' is read as 'system').
_MAY_FOLLOW: dict[str, frozenset[str]] = {
    "system": frozenset({"user", "assistant", "system"}),
    "user": frozenset({"assistant", "system", "user"}),
    "assistant": frozenset({"assistant", "user", "tool"}),
    "tool": frozenset({"assistant", "tool", "user"}),
}
_ABSENT_IDS = frozenset({"", "null"})
"""Call ids that mean "none given" (mistral-common writes the string 'null')."""


def _role(message: oa.ChatMessage) -> str:
    return "system" if message.role == "developer" else message.role


def _a(role: str) -> str:
    return f"an {role}" if role == "assistant" else f"a {role}"


def _has_content(content: object) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    return bool(content)


def check_conversation(request: oa.ChatCompletionRequest, mode: ValidationMode) -> None:
    """Check `request.messages` (and, when serving, `request.model`) against the rules of `mode`.

    Raises:
        ConversationError: the first rule broken, e.g. `messages[3]: tool message answers call 'abc123456',
            which no assistant message made` (rule `tool_call_id`).
    """
    messages = request.messages
    if mode is ValidationMode.SERVING and "model" not in request.model_fields_set:
        raise ConversationError("model", "required in serving mode", rule="model_required")
    if len(messages) == 1 and _role(messages[0]) not in ("user", "system"):
        raise ConversationError(
            "messages[0]",
            f"a conversation of one message must be a user or system message, not {messages[0].role}",
            rule="role_order",
        )
    for index in range(len(messages)):
        _check_message(messages, index)
    if mode is ValidationMode.SERVING:  # once each message is sound on its own: do the calls and answers pair up
        for index in range(len(messages)):
            _check_answers(messages, index)
    if mode is ValidationMode.FINETUNING and messages and _role(messages[-1]) != "assistant":
        reason = f"the last message must be the assistant's in finetuning mode, not {messages[-1].role}"
        raise ConversationError(f"messages[{len(messages) - 1}]", reason, rule="last_message")


def _check_message(messages: Sequence[oa.ChatMessage], index: int) -> None:
    message, field = messages[index], f"messages[{index}]"
    role = _role(message)
    if index > 0 and role not in _MAY_FOLLOW[_role(messages[index - 1])]:
        before = messages[index - 1].role
        reason = f"{_a(message.role)} message cannot follow {_a(before)} message"
        raise ConversationError(field, reason, rule="role_order")
    if isinstance(message, oa.AssistantMessage):
        _check_assistant(messages, index)
    elif isinstance(message, oa.ToolMessage):
        _check_tool(messages, index)


def _check_assistant(messages: Sequence[oa.ChatMessage], index: int) -> None:
    message, field = messages[index], f"messages[{index}]"
    assert isinstance(message, oa.AssistantMessage)
    if not _has_content(message.content) and not message.tool_calls:
        raise ConversationError(field, "an assistant message needs content or tool calls", rule="empty_assistant")
    if getattr(message, "prefix", False) and index != len(messages) - 1:
        raise ConversationError(f"{field}.prefix", "only the last message may be a prefix", rule="prefix_not_last")


def _check_answers(messages: Sequence[oa.ChatMessage], index: int) -> None:
    """Serving: the calls of an assistant message have ids, and each is answered by exactly one tool message."""
    message, field = messages[index], f"messages[{index}]"
    if not isinstance(message, oa.AssistantMessage) or not message.tool_calls:
        return
    answers: dict[str, int] = {}
    for later in range(index + 1, len(messages)):
        reply = messages[later]
        if not isinstance(reply, oa.ToolMessage):
            break
        if reply.tool_call_id in answers:
            first = answers[reply.tool_call_id]
            reason = f"call {reply.tool_call_id!r} is answered twice (first by messages[{first}])"
            raise ConversationError(f"messages[{later}]", reason, rule="tool_answers")
        answers[reply.tool_call_id] = later
    for number, call in enumerate(message.tool_calls):
        if call.id in _ABSENT_IDS:
            raise ConversationError(f"{field}.tool_calls[{number}].id", "required in serving mode", rule="tool_call_id")
        if call.id not in answers:
            reason = f"call {call.id!r} ({call.function.name}) is answered by no tool message"
            raise ConversationError(field, reason, rule="tool_answers")


def _check_tool(messages: Sequence[oa.ChatMessage], index: int) -> None:
    message, field = messages[index], f"messages[{index}]"
    assert isinstance(message, oa.ToolMessage)
    caller = next((i for i in range(index - 1, -1, -1) if not isinstance(messages[i], oa.ToolMessage)), None)
    previous = messages[caller] if caller is not None else None
    calls = previous.tool_calls if isinstance(previous, oa.AssistantMessage) else None
    if not calls:
        raise ConversationError(
            field, "a tool message must follow an assistant message with tool calls", rule="tool_without_call"
        )
    call_id = message.tool_call_id
    if call_id in _ABSENT_IDS:
        return  # no id to match (mistral-common writes 'null'): serving mode asks for ids on the calls
    if any(call.id == call_id for call in calls):
        return
    made = any(
        isinstance(m, oa.AssistantMessage) and any(c.id == call_id for c in m.tool_calls or ())
        for m in messages[:index]
    )
    where = (
        f"which messages[{caller}] (the assistant message it follows) did not make"
        if made
        else ("which no assistant message made")
    )
    raise ConversationError(field, f"tool message answers call {call_id!r}, {where}", rule="tool_call_id")
