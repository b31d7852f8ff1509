"""Errors of the inference core.

    InferenceError
    ├── ModelNotFoundError    no GGUF file matched a model reference (lists where it looked)
    ├── ModelLoadError        the file exists but could not be loaded (corrupt, truncated, not GGUF)
    ├── ContextOverflowError  the prompt does not fit in the context window
    ├── GrammarError          a grammar or JSON schema could not be compiled
    ├── TokenError            token ids outside the vocabulary, or special where they may not be
    ├── WireFormatError       an OpenAI wire value with no runtime equivalent (names the field)
    └── EngineError           a remote OpenAI-compatible engine failed (every one carries `url`)
        ├── EngineUnreachableError  no connection (refused, DNS, reset), after the retries
        ├── EngineTimeoutError      no answer within `timeout_secs`
        ├── EngineHTTPError         the engine answered 4xx or 5xx (`status_code`, its `message`)
        ├── EngineProtocolError     the answer is not the OpenAI API (not JSON, fields missing, broken SSE)
        └── EngineUnsupportedError  the engine lacks an endpoint we need (tokenize, detokenize)
"""

from __future__ import annotations

from collections.abc import Sequence


class InferenceError(Exception):
    """Base of every error the inference core raises."""


class ModelNotFoundError(InferenceError):
    def __init__(self, model: str, looked: Sequence[str]) -> None:
        places = "".join(f"\n  - {place}" for place in looked)
        super().__init__(f"model {model!r} not found; looked in:{places}")
        self.model = model
        self.looked = tuple(looked)


class ModelLoadError(InferenceError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot load model {path!r}: {reason}")
        self.path = path
        self.reason = reason


class ContextOverflowError(InferenceError):
    def __init__(self, prompt_tokens: int, max_tokens: int, n_ctx: int) -> None:
        super().__init__(
            f"prompt of {prompt_tokens} tokens plus {max_tokens} to generate exceeds the context window of {n_ctx}"
        )
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx


class GrammarError(InferenceError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid grammar: {reason}")
        self.reason = reason


class TokenError(InferenceError, ValueError):
    """Token ids that cannot be turned into text as asked. `tokens` are the offending ids."""

    def __init__(self, tokens: Sequence[int], reason: str) -> None:
        shown = ", ".join(str(t) for t in list(tokens)[:5]) + (", ..." if len(tokens) > 5 else "")
        super().__init__(f"tokens [{shown}]: {reason}")
        self.tokens = tuple(tokens)
        self.reason = reason


class WireFormatError(InferenceError, ValueError):
    """A value in OpenAI's wire format that our runtime values cannot hold, e.g.
    `messages[1].tool_calls[0].function.arguments: expected a JSON object, got list`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class EngineError(InferenceError):
    """A remote engine failed. `url` is the request's URL; `reason` says what went wrong."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class EngineUnreachableError(EngineError):
    """No connection could be made (refused, DNS, unreachable), or it was lost before an answer."""

    def __init__(self, url: str, reason: str, *, attempts: int = 1) -> None:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(url, f"engine unreachable{tries}: {reason}")
        self.attempts = attempts


class EngineTimeoutError(EngineError):
    """The engine did not connect, accept or answer within `timeout_secs` (`phase` says which)."""

    def __init__(self, url: str, timeout_secs: float, *, phase: str = "read") -> None:
        what = {"connect": "connect", "write": "accept the request", "pool": "free a connection"}.get(
            phase, "answer"
        )
        super().__init__(url, f"engine did not {what} within {timeout_secs:g} s")
        self.timeout_secs = timeout_secs
        self.phase = phase


class EngineHTTPError(EngineError):
    """The engine answered with an HTTP error; `message` is the error text from its body, if any."""

    def __init__(self, url: str, status_code: int, message: str = "") -> None:
        detail = f": {message}" if message else ""
        super().__init__(url, f"engine answered HTTP {status_code}{detail}")
        self.status_code = status_code
        self.message = message

    @property
    def is_client_error(self) -> bool:
        """4xx: the request was refused (bad key, bad parameters, unknown model); retrying cannot help."""
        return 400 <= self.status_code < 500

    @property
    def is_server_error(self) -> bool:
        """5xx: the engine failed (crashed, overloaded, loading)."""
        return self.status_code >= 500


class EngineProtocolError(EngineError):
    """The engine answered something that is not the OpenAI API; `body` holds the start of it."""

    def __init__(self, url: str, reason: str, *, body: str = "") -> None:
        shown = f" (body starts {body!r})" if body else ""
        super().__init__(url, f"engine answered garbage: {reason}{shown}")
        self.body = body


class EngineUnsupportedError(EngineError):
    """The engine has no endpoint for `feature`; `tried` lists the URLs that answered 404."""

    def __init__(self, url: str, feature: str, tried: Sequence[str]) -> None:
        super().__init__(url, f"engine has no {feature} endpoint (tried {', '.join(tried)})")
        self.feature = feature
        self.tried = tuple(tried)
