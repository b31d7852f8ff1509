"""Errors of the agent package's service and doors (the Runner API, the server, the CLI).

    AgentError
    ├── UnsupportedModelError  a `Which` variant this framework cannot load (names the supported ones)
    ├── RequestError           a chat completion request that cannot be served as asked (names the field)
    └── RunnerClosedError      a request sent to a Runner after `close()`

Routing to a model that is not loaded raises `inference.UnknownModelError` (its message lists the
loaded ones); a model file that is missing raises `inference.ModelNotFoundError`.
"""

from __future__ import annotations

from collections.abc import Sequence


class AgentError(Exception):
    """Base of every error the agent package raises itself."""


class UnsupportedModelError(AgentError):
    """A `Which` variant that exists for mistral.rs compatibility but that this framework cannot load."""

    def __init__(self, variant: str, supported: Sequence[str], *, reason: str = "") -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"Which.{variant} is not supported{why}; supported variants: "
            + ", ".join(f"Which.{name}" for name in supported)
        )
        self.variant = variant
        self.supported = tuple(supported)


class RequestError(AgentError):
    """A request field that cannot be honoured, e.g. `messages[2].content[0].type: 'image_url' is not supported`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RunnerClosedError(AgentError):
    """The Runner was closed; its models and MCP servers are gone."""

    def __init__(self) -> None:
        super().__init__("the Runner is closed: create a new one")
