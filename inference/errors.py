"""Errors of the inference core.

    InferenceError
    ├── ModelNotFoundError    no GGUF file matched a model reference (lists where it looked)
    ├── ModelLoadError        the file exists but could not be loaded (corrupt, truncated, not GGUF)
    ├── ContextOverflowError  the prompt does not fit in the context window
    └── GrammarError          a grammar or JSON schema could not be compiled
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
