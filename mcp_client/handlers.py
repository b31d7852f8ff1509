"""Client-side handlers: how the client answers what a server asks of it (sampling, elicitation, roots)
and receives its log messages. Our types at this edge; `ClientHandlers` carries them to every session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from tools import ContentBlock, text_of


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingMessage:
    """One message of the conversation a server asks the client's model to continue."""

    role: Literal["user", "assistant"]
    content: tuple[ContentBlock, ...]

    @property
    def text(self) -> str:
        """The content as text: text blocks verbatim, other blocks as short placeholders."""
        return text_of(self.content)


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingRequest:
    """A server's `sampling/createMessage`: generate the next assistant message of `messages`."""

    server: str
    """The name of the server asking."""
    messages: tuple[SamplingMessage, ...]
    max_tokens: int
    system_prompt: str | None = None
    temperature: float | None = None
    stop_sequences: tuple[str, ...] = ()
    model_hints: tuple[str, ...] = ()
    """Model names the server would prefer, best first (advisory)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplingResult:
    """The generated assistant message, as text."""

    text: str
    model: str
    """The model that generated it."""
    stop_reason: Literal["endTurn", "stopSequence", "maxTokens"] | None = "endTurn"


class SamplingHandler(Protocol):
    """Answers sampling requests, for example with a local model. Raising refuses the request."""

    async def __call__(self, request: SamplingRequest) -> SamplingResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationRequest:
    """A server asks the user for input: a form (`requested_schema`) or a visit to `url`."""

    server: str
    message: str
    requested_schema: Mapping[str, Any] | None = None
    """A flat JSON schema of the values wanted (form mode)."""
    url: str | None = None
    """The page the user is asked to open (URL mode)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ElicitationResult:
    """What the user did: accepted (with `content` in form mode), declined, or dismissed (`cancel`)."""

    action: Literal["accept", "decline", "cancel"]
    content: Mapping[str, str | int | float | bool | list[str] | None] | None = None


class ElicitationHandler(Protocol):
    """Asks the user what a server wants to know. Raising refuses the request."""

    async def __call__(self, request: ElicitationRequest) -> ElicitationResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Root:
    """A directory or file the server may work on; `uri` starts with `file://`."""

    uri: str
    name: str | None = None


class RootsHandler(Protocol):
    """Lists the roots a server may work on; called with the server's name."""

    async def __call__(self, server: str) -> Sequence[Root]: ...


LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogMessage:
    """A log message a server sent (`notifications/message`)."""

    server: str
    level: LogLevel
    data: Any
    """Any JSON value; usually a string."""
    logger: str | None = None


class LogHandler(Protocol):
    """Receives the servers' log messages."""

    async def __call__(self, message: LogMessage) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHandlers:
    """The client's answers to server requests. A handler left None is not offered to servers at all
    (its capability is not advertised), exactly as when no handlers are given."""

    sampling: SamplingHandler | None = None
    elicitation: ElicitationHandler | None = None
    roots: RootsHandler | None = None
    logging: LogHandler | None = None
