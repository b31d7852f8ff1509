"""Fixtures shared across the suite: the real embedded model, loaded once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from inference.llama_cpp_backend import LlamaCppBackend


@pytest.fixture(scope="session")
async def backend() -> AsyncIterator[LlamaCppBackend]:
    """The embedded SmolLM2-135M GGUF, loaded once for the session (0.2 s, ~200 MB)."""
    async with LlamaCppBackend("smollm2-135m") as loaded:
        yield loaded
