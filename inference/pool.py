"""ModelPool: several loaded backends under ids, one of them the default; removing one frees it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol

from inference.backend import Backend
from inference.errors import InferenceError


class UnknownModelError(InferenceError):
    """A model id that is not loaded; the message lists the loaded ones."""

    def __init__(self, model_id: str, loaded: list[str]) -> None:
        listing = ", ".join(loaded) if loaded else "none"
        super().__init__(f"model {model_id!r} is not loaded; loaded models: {listing}")
        self.model_id = model_id
        self.loaded = tuple(loaded)


class OpenableBackend(Backend, AbstractAsyncContextManager[Any], Protocol):
    """A backend not yet opened: `async with` loads it."""


class ModelPool:
    """Loaded models by id. Usage::

        async with ModelPool() as pool:
            await pool.add("small", LlamaCppBackend("smollm2-135m"), default=True)
            await pool.add("gemma", LlamaCppBackend("gemma3-270m"))
            backend = pool.get("gemma")      # pool.get() is the default
            await pool.remove("gemma")       # closes it: its weights and KV cache are freed
    """

    def __init__(self) -> None:
        self._models: dict[str, OpenableBackend] = {}
        self._default: str | None = None

    async def __aenter__(self) -> ModelPool:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for model_id in list(self._models):
            await self.remove(model_id)

    async def add(self, model_id: str, backend: OpenableBackend, *, default: bool = False) -> Backend:
        """Open (load) `backend` and keep it under `model_id`. The first model added becomes the default."""
        if model_id in self._models:
            raise InferenceError(f"a model with id {model_id!r} is already loaded")
        await backend.__aenter__()
        self._models[model_id] = backend
        if default or self._default is None:
            self._default = model_id
        return backend

    def get(self, model_id: str | None = None) -> Backend:
        """The model `model_id`, or the default one when None. Raises UnknownModelError."""
        wanted = model_id if model_id is not None else self._default
        if wanted is None or wanted not in self._models:
            raise UnknownModelError(str(wanted), list(self._models))
        return self._models[wanted]

    async def remove(self, model_id: str) -> None:
        """Close and forget a model. If it was the default, the next loaded model becomes the default."""
        backend = self._models.pop(model_id, None)
        if backend is None:
            raise UnknownModelError(model_id, list(self._models))
        if self._default == model_id:
            self._default = next(iter(self._models), None)
        await backend.__aexit__(None, None, None)

    def list_models(self) -> list[str]:
        return list(self._models)

    @property
    def default_model_id(self) -> str | None:
        return self._default

    def set_default(self, model_id: str) -> None:
        if model_id not in self._models:
            raise UnknownModelError(model_id, list(self._models))
        self._default = model_id
