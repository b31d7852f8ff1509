"""Turns that mixed the caller's tools with MCP tools: what the caller never sees, held for its next request.

The caller gets back only its own calls. When it sends the conversation again, its copy of that assistant
turn is restored to the whole turn, and the MCP calls' results are put back among its results, in call order.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from agent.events import RunResult
from inference import Message

HELD_TURNS = 1024
"""How many mixed turns an engine remembers (least recently used first out)."""


@dataclass(frozen=True, slots=True)
class _Held:
    turn: Message
    """The assistant turn as the model wrote it, every call included."""
    results: tuple[Message, ...]
    """The results of the calls the agent ran (tool messages)."""


class HeldTurns:
    """A bounded memory of mixed turns, keyed by the ids of the calls the caller was given."""

    def __init__(self, size: int = HELD_TURNS) -> None:
        self._size = size
        self._turns: OrderedDict[frozenset[str], _Held] = OrderedDict()

    def hold(self, result: RunResult) -> None:
        """Remember the last turn of `result` if it handed the caller some calls and ran others."""
        if not result.pending_tool_calls:
            return
        turn_at = max(i for i, m in enumerate(result.messages) if m.role == "assistant")
        results = result.messages[turn_at + 1 :]
        if not results:
            return  # every call was the caller's: its copy of the turn is already whole
        key = frozenset(call.id for call in result.pending_tool_calls)
        self._turns[key] = _Held(result.messages[turn_at], tuple(results))
        self._turns.move_to_end(key)
        while len(self._turns) > self._size:
            self._turns.popitem(last=False)

    def restore(self, messages: Sequence[Message]) -> list[Message]:
        """`messages` with each held turn made whole again: the model sees every call and every result."""
        restored: list[Message] = []
        index = 0
        while index < len(messages):
            message = messages[index]
            index += 1
            key = frozenset(call.id for call in message.tool_calls)
            held = self._turns.get(key) if message.role == "assistant" and key else None
            if held is None:
                restored.append(message)
                continue
            self._turns.move_to_end(key)
            answers: list[Message] = []
            while index < len(messages) and messages[index].role == "tool":
                answers.append(messages[index])
                index += 1
            own = {m.tool_call_id: m for m in held.results}
            restored.append(held.turn)
            for call in held.turn.tool_calls:
                if call.id in own:
                    restored.append(own[call.id])
                else:
                    restored += [m for m in answers if m.tool_call_id == call.id]
            called = {call.id for call in held.turn.tool_calls}
            restored += [m for m in answers if m.tool_call_id not in called]  # kept, after the rest
        return restored
