"""Inference core: the Backend protocol and its engines (llama.cpp, ctransformers, remote OpenAI-compatible),
chat templates, grammars, tool prompts and parsers, and the model pool.

Only `inference/llama_cpp*.py` import llama_cpp and only `inference/ctransformers_backend.py` imports
ctransformers; the backends are imported lazily here, so code that needs only the types loads neither.
"""

from __future__ import annotations

from inference._decoder import END_OF_TURN
from inference._prompt import Prepared
from inference._types import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    ModelInfo,
    NamedTool,
    ReasoningDelta,
    ResponseDone,
    SamplingParams,
    StreamItem,
    TextDelta,
    ToolCallDelta,
    ToolChoice,
    Usage,
)
from inference.backend import Backend, LocalPrompts
from inference.errors import (
    ContextOverflowError,
    EngineError,
    EngineHTTPError,
    EngineProtocolError,
    EngineTimeoutError,
    EngineUnreachableError,
    EngineUnsupportedError,
    GrammarError,
    InferenceError,
    ModelLoadError,
    ModelNotFoundError,
    TokenError,
)
from inference.models import DEFAULT_MODEL, resolve_model
from inference.pool import ModelPool, UnknownModelError
from inference.remote import RemoteBackend
from inference.spec import ModelSpec, open_backend, served_id

_LAZY = {
    "LlamaCppBackend": "inference.llama_cpp_backend",
    "CTransformersBackend": "inference.ctransformers_backend",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'inference' has no attribute {name!r}")

__all__ = [
    "DEFAULT_MODEL",
    "END_OF_TURN",
    "Backend",
    "CTransformersBackend",
    "ChatRequest",
    "ChatResponse",
    "ContextOverflowError",
    "EngineError",
    "EngineHTTPError",
    "EngineProtocolError",
    "EngineTimeoutError",
    "EngineUnreachableError",
    "EngineUnsupportedError",
    "FinishReason",
    "GrammarError",
    "InferenceError",
    "LocalPrompts",
    "Prepared",
    "LlamaCppBackend",
    "Message",
    "ModelInfo",
    "ModelLoadError",
    "ModelNotFoundError",
    "TokenError",
    "ModelPool",
    "ModelSpec",
    "NamedTool",
    "RemoteBackend",
    "ReasoningDelta",
    "ResponseDone",
    "SamplingParams",
    "StreamItem",
    "TextDelta",
    "ToolCallDelta",
    "ToolChoice",
    "UnknownModelError",
    "Usage",
    "open_backend",
    "resolve_model",
    "served_id",
]
