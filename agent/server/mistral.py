"""mistral-common's experimental server, as its clients speak it: its chat request (thinking chunks, `prefix`,
`random_seed`) read into ours, and token ids read back into its assistant message (text and thinking chunks
in order, tool calls, `prefix`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agent.completions import openai_types as oa
from agent.errors import RequestError
from agent.server import wire
from inference import END_OF_TURN, LocalPrompts, ReasoningDelta, TextDelta
from inference.openai_convert import tool_call_to_wire
from inference.openai_types import Wire
from inference.parsers import get_parser
from tools._paths import field_path

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
"""How a thinking chunk outside an assistant message is written into the prompt (mistral-common writes its
[THINK] tokens; the think tags are what our reasoning parsers read)."""
_TURN_ENDS = frozenset({*END_OF_TURN, "</s>", "<eos>", "<|end_of_text|>", "<|eom_id|>", "<|return|>"})
"""Texts of the control tokens that end a model turn (a sequence ending elsewhere is a `prefix`)."""
_PROBE = "\u2063"
"""An invisible character written after the output to learn whether its last reasoning block was closed."""

# -- request ----------------------------------------------------------------------------------------


class ThinkingPart(Wire):
    """mistral-common's ThinkChunk."""

    type: Literal["thinking"] = Field(description="A thinking content part.")
    thinking: str = Field(description="The reasoning text.")
    closed: bool = Field(True, description="Whether the thinking block was closed.")


MistralPart = oa.TextPart | ThinkingPart | oa.OtherPart
MistralContent = str | list[MistralPart]


class MistralSystemMessage(oa.SystemMessage):
    content: MistralContent = Field(description="Text, or a list of text and thinking chunks.")  # type: ignore[assignment]


class MistralUserMessage(oa.UserMessage):
    content: MistralContent = Field(description="Text, or a list of content chunks.")  # type: ignore[assignment]


class MistralAssistantMessage(oa.AssistantMessage):
    content: MistralContent | None = Field(None, description="Text, or text and thinking chunks; null with calls.")  # type: ignore[assignment]
    prefix: bool = Field(False, description="The message is the start of the reply, to be continued (last only).")


class MistralToolMessage(oa.ToolMessage):
    content: MistralContent = Field(description="The result text.")  # type: ignore[assignment]


MistralMessage = Annotated[
    MistralSystemMessage | MistralUserMessage | MistralAssistantMessage | MistralToolMessage,
    Field(discriminator="role"),
]


class MistralChatRequest(wire.TokenizeRequest):
    """A chat completion request in OpenAI's format or mistral-common's (`ChatCompletionRequest`, as
    `jsonable_encoder` writes it): thinking chunks, `prefix`, `random_seed`, `tool_choice` 'any'."""

    messages: list[MistralMessage] = Field(min_length=1, description="The conversation.")  # type: ignore[assignment]
    tool_choice: Literal["auto", "none", "required", "any"] | oa.NamedToolChoice | None = Field(  # type: ignore[assignment]
        None, description="auto, none, required ('any' is mistral-common's name for it), or a named tool."
    )
    random_seed: int | None = Field(None, description="mistral-common's name for seed.")
    truncate_for_context_length: bool = Field(False, description="Accepted and ignored (mistral-common).")

    def to_openai(self) -> wire.TokenizeRequest:
        """The same request in our dialect: thinking chunks of an assistant message become its reasoning,
        elsewhere they are written between think tags; `random_seed` is `seed`; 'any' is 'required'."""
        mistral_only = {"random_seed", "truncate_for_context_length"}
        data = self.model_dump(exclude_unset=True, by_alias=True, exclude=mistral_only)
        data["messages"] = [_message_out(message) for message in self.messages]
        if self.random_seed is not None and self.seed is None:
            data["seed"] = self.random_seed
        if self.tool_choice == "any":
            data["tool_choice"] = "required"
        try:
            return wire.TokenizeRequest.model_validate(data)
        except ValidationError as exc:  # a shape only mistral-common's format allows, with no equivalent in ours
            problem = exc.errors()[0]
            raise RequestError(field_path(problem["loc"]) or "messages", problem["msg"]) from None


def _thinking_text(part: ThinkingPart) -> str:
    return f"{THINK_OPEN}{part.thinking}{THINK_CLOSE if part.closed else ''}"


def _message_out(message: Any) -> dict[str, Any]:
    data: dict[str, Any] = message.model_dump(exclude_unset=True, exclude={"prefix"})
    content = message.content
    if not isinstance(content, list):
        return data
    if isinstance(message, MistralAssistantMessage):
        thoughts = [part.thinking for part in content if isinstance(part, ThinkingPart)]
        if thoughts:
            earlier = [message.reasoning_content] if message.reasoning_content else []
            data["reasoning_content"] = "\n".join([*earlier, *thoughts])
        data["content"] = "".join(part.text for part in content if isinstance(part, oa.TextPart)) or None
        return data
    data["content"] = [
        {"type": "text", "text": _thinking_text(part)} if isinstance(part, ThinkingPart) else part.model_dump()
        for part in content
    ]
    return data


# -- response ---------------------------------------------------------------------------------------


class TextChunk(BaseModel):
    type: Literal["text"] = Field("text", description="A text chunk.")
    text: str = Field(description="The text.")


class ThinkChunk(BaseModel):
    type: Literal["thinking"] = Field("thinking", description="A thinking chunk.")
    thinking: str = Field(description="The reasoning text.")
    closed: bool = Field(description="Whether the model closed the thinking block.")


class AssistantMessageOut(BaseModel):
    """mistral-common's AssistantMessage, as its `/v1/detokenize/` returns it."""

    role: Literal["assistant"] = Field("assistant", description="Always 'assistant'.")
    content: str | list[TextChunk | ThinkChunk] | None = Field(
        description="The text; a list of text and thinking chunks, in order, when the tokens hold reasoning."
    )
    tool_calls: list[oa.ToolCall] | None = Field(description="The calls, parsed in the model's tool-call format.")
    prefix: bool = Field(description="True when the tokens do not end with the model's end-of-turn token.")


async def assistant_message(backend: LocalPrompts, tokens: Sequence[int]) -> AssistantMessageOut:
    """Token ids of a model turn as mistral-common's assistant message.

    Raises:
        TokenError: an id outside the vocabulary.
    """
    chat_format = backend.model_info.chat_format
    markers = get_parser(chat_format).markers
    control = {token: await backend.detokenize([token]) for token in set(backend.special_tokens(tokens))}
    # Control tokens are left out (mistral-common decodes with its IGNORE policy), except the format's own
    # markers, which the parser needs to find reasoning and calls.
    kept = [token for token in tokens if token not in control or control[token] in markers]
    text = await backend.detokenize(kept) if kept else ""
    ends = control.get(tokens[-1]) in _TURN_ENDS
    calls = backend.parse(text).tool_calls
    chunks = _chunks(chat_format, text)
    content: str | list[TextChunk | ThinkChunk] | None
    if any(isinstance(chunk, ThinkChunk) for chunk in chunks):
        content = chunks
    else:
        content = "".join(chunk.text for chunk in chunks if isinstance(chunk, TextChunk)) or None
    return AssistantMessageOut(
        content=content, tool_calls=[tool_call_to_wire(call) for call in calls] or None, prefix=not ends
    )


def _chunks(chat_format: str, text: str) -> list[TextChunk | ThinkChunk]:
    """The text and reasoning of a turn, in the order the model wrote them (tool calls left out)."""
    parser = get_parser(chat_format)
    stream = parser.stream()
    pieces: list[tuple[bool, str]] = []  # (is reasoning, text)
    for delta in [*stream.feed(text), *stream.close()]:
        if isinstance(delta, TextDelta | ReasoningDelta):
            thinking = isinstance(delta, ReasoningDelta)
            if pieces and pieces[-1][0] == thinking:
                pieces[-1] = (thinking, pieces[-1][1] + delta.text)
            else:
                pieces.append((thinking, delta.text))
    chunks: list[TextChunk | ThinkChunk] = []
    for number, (thinking, piece) in enumerate(pieces):
        if not piece.strip():
            continue
        if thinking:
            closed = number < len(pieces) - 1 or _closed_at_end(parser.stream(), text)
            chunks.append(ThinkChunk(thinking=piece.strip(), closed=closed))
        else:
            chunks.append(TextChunk(text=piece.strip()))
    return chunks


def _closed_at_end(stream: Any, text: str) -> bool:
    """Whether the reasoning block that ends `text` was closed: a character written after it would be
    reasoning if the block were still open (the parsers keep their tags to themselves)."""
    deltas = [*stream.feed(text + _PROBE), *stream.close()]
    return not any(isinstance(d, ReasoningDelta) and _PROBE in d.text for d in deltas)
