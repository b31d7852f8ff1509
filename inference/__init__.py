"""Inference core: the Backend protocol, the llama.cpp backend, chat templates, grammars and tool prompts.

Only `inference/llama_cpp*.py` import llama_cpp; import the backend from there, so that code that only
needs the types does not load llama.cpp.
"""

from __future__ import annotations

from inference._types import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    ModelInfo,
    NamedTool,
    ResponseDone,
    SamplingParams,
    StreamItem,
    TextDelta,
    ToolChoice,
    Usage,
)
from inference.backend import Backend
from inference.errors import ContextOverflowError, GrammarError, InferenceError, ModelLoadError, ModelNotFoundError
from inference.models import DEFAULT_MODEL, resolve_model

__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "ChatRequest",
    "ChatResponse",
    "ContextOverflowError",
    "FinishReason",
    "GrammarError",
    "InferenceError",
    "Message",
    "ModelInfo",
    "ModelLoadError",
    "ModelNotFoundError",
    "NamedTool",
    "ResponseDone",
    "SamplingParams",
    "StreamItem",
    "TextDelta",
    "ToolChoice",
    "Usage",
    "resolve_model",
]
