"""The validation modes' rules, one table row per rule and mode: which conversations pass, and for those that
do not, the message named, the rule, and the words a caller reads."""

from __future__ import annotations

from typing import Any

import pytest

from agent.completions.conversation import ConversationError, ValidationMode, check_conversation
from agent.completions.openai_types import ChatCompletionRequest

TEST, FINETUNING, SERVING = ValidationMode.TEST, ValidationMode.FINETUNING, ValidationMode.SERVING
ALL = (TEST, FINETUNING, SERVING)


def _call(call_id: str, name: str = "add") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


USER = {"role": "user", "content": "2+2?"}
SYSTEM = {"role": "system", "content": "Be brief."}
CALLS = {"role": "assistant", "content": None, "tool_calls": [_call("abc123456"), _call("def123456")]}
ANSWER_1 = {"role": "tool", "tool_call_id": "abc123456", "content": "4"}
ANSWER_2 = {"role": "tool", "tool_call_id": "def123456", "content": "5"}
REPLY = {"role": "assistant", "content": "4."}


def _request(*messages: dict[str, Any], model: str | None = "m") -> ChatCompletionRequest:
    body: dict[str, Any] = {"messages": list(messages)}
    if model is not None:
        body["model"] = model
    return ChatCompletionRequest.model_validate(body)


@pytest.mark.parametrize("mode", ALL)
def test_a_full_tool_round_passes_every_mode(mode: ValidationMode) -> None:
    check_conversation(_request(SYSTEM, USER, CALLS, ANSWER_1, ANSWER_2, REPLY), mode)


@pytest.mark.parametrize(
    ("messages", "modes", "field", "rule", "words"),
    [
        # every mode
        ([SYSTEM, USER, CALLS, ANSWER_1, {**ANSWER_2, "tool_call_id": "abc999999"}], ALL, "messages[4]", "tool_call_id",
         "tool message answers call 'abc999999', which no assistant message made"),
        ([USER, ANSWER_1], ALL, "messages[1]", "role_order", "a tool message cannot follow a user message"),
        ([USER, CALLS, ANSWER_1, ANSWER_2, REPLY, USER, REPLY, ANSWER_1], ALL, "messages[7]",
         "tool_without_call", "a tool message must follow an assistant message with tool calls"),
        ([USER, CALLS, ANSWER_1, ANSWER_2, USER, {"role": "assistant", "tool_calls": [_call("xyz123456")]},
          ANSWER_1], ALL, "messages[6]", "tool_call_id", "which messages[5] (the assistant message it follows)"),
        ([USER, {"role": "assistant", "content": "  "}, USER], ALL, "messages[1]", "empty_assistant",
         "an assistant message needs content or tool calls"),
        ([USER, CALLS, SYSTEM], ALL, "messages[2]", "role_order", "a system message cannot follow an assistant"),
        ([REPLY], ALL, "messages[0]", "role_order", "a conversation of one message must be a user or system message"),
        # serving
        ([USER, CALLS, ANSWER_1, REPLY], (SERVING,), "messages[1]", "tool_answers",
         "call 'def123456' (add) is answered by no tool message"),
        ([USER, CALLS, ANSWER_1, ANSWER_1, ANSWER_2, REPLY], (SERVING,), "messages[3]", "tool_answers",
         "call 'abc123456' is answered twice (first by messages[2])"),
        ([USER, {"role": "assistant", "tool_calls": [_call("null")]}, {"role": "tool", "tool_call_id": "null",
          "content": "1"}, REPLY], (SERVING,), "messages[1].tool_calls[0].id", "tool_call_id",
         "required in serving mode"),
        # finetuning
        ([SYSTEM, USER], (FINETUNING,), "messages[1]", "last_message",
         "the last message must be the assistant's in finetuning mode, not user"),
    ],
)  # fmt: skip
def test_a_broken_rule_names_the_message_and_the_rule(
    messages: list[dict[str, Any]], modes: tuple[ValidationMode, ...], field: str, rule: str, words: str
) -> None:
    for mode in ALL:
        if mode in modes:
            with pytest.raises(ConversationError) as caught:
                check_conversation(_request(*messages), mode)
            assert (caught.value.field, caught.value.rule) == (field, rule), (mode, str(caught.value))
            assert str(caught.value).startswith(f"{field}: ") and words in str(caught.value), str(caught.value)
        else:
            check_conversation(_request(*messages), mode)  # the rule is not one of this mode's


def test_serving_wants_the_model_named() -> None:
    with pytest.raises(ConversationError) as caught:
        check_conversation(_request(USER, model=None), SERVING)
    assert (caught.value.field, caught.value.rule) == ("model", "model_required")
    check_conversation(_request(USER, model=None), TEST)


def test_an_unanswered_last_call_is_fine_outside_serving() -> None:
    """Test and finetuning modes let the caller send calls still waiting for their results."""
    for mode in (TEST, FINETUNING):
        check_conversation(_request(USER, CALLS), mode)
