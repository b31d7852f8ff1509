"""ModelSpec and open_backend: references typed on a command line, served ids, and the backend each spec
opens as, all without loading weights (constructing a backend is free)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference import (
    LlamaCppBackend,
    ModelLoadError,
    ModelNotFoundError,
    ModelSpec,
    RemoteBackend,
    open_backend,
    served_id,
)
from tests.inference._tiny_ggml import write_tiny_llama

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("smollm2-135m", ModelSpec(model="smollm2-135m")),
        ("models/m.Q4_K_M.gguf", ModelSpec(model="models/m.Q4_K_M.gguf")),
        (f"{REPO}:smol.gguf", ModelSpec(model=REPO, filename="smol.gguf")),
        (f"{REPO}:q4/smol.gguf", ModelSpec(model=REPO, filename="q4/smol.gguf")),
        ("models:m.gguf", ModelSpec(model="models", filename="m.gguf")),
        (
            "org/big:big-00001-of-00002.gguf,big-00002-of-00002.gguf",
            ModelSpec(model="org/big", filename=("big-00001-of-00002.gguf", "big-00002-of-00002.gguf")),
        ),
        ("a:b:c.gguf", ModelSpec(model="a:b:c.gguf")),
    ],
)
def test_parse_a_reference_as_typed(text: str, spec: ModelSpec) -> None:
    assert ModelSpec.parse(text) == spec


def test_parse_prefers_a_path_that_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("odd:name.gguf").write_bytes(b"GGUF")
    assert ModelSpec.parse("odd:name.gguf") == ModelSpec(model="odd:name.gguf")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (ModelSpec(), "smollm2-135m"),
        (ModelSpec(model="gemma3-270m"), "gemma3-270m"),
        (ModelSpec(model="/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"), "Qwen2.5-0.5B-Instruct-Q4_K_M"),
        (ModelSpec(model=REPO, filename="smol.gguf"), "smol"),
        (ModelSpec(model="org/big", filename=("big-00001-of-00002.gguf", "big-00002.gguf")), "big-00001-of-00002"),
        (ModelSpec(model="qwen2.5:7b", url="http://127.0.0.1:9/v1"), "qwen2.5:7b"),
        (ModelSpec(model="org/model.gguf", url="http://127.0.0.1:9/v1"), "org/model.gguf"),
    ],
)
def test_served_id(spec: ModelSpec, expected: str) -> None:
    assert served_id(spec) == expected


def test_served_id_of_a_directory_and_of_a_file_without_gguf_suffix(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    write_tiny_llama(tmp_path / "tiny.ggjt.bin")
    assert served_id(ModelSpec(model=str(tmp_path / "weights"))) == "weights"
    assert served_id(ModelSpec(model=str(tmp_path / "tiny.ggjt.bin"))) == "tiny.ggjt"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A directory with a GGUF file, a legacy GGML file, two split parts and a LoRA adapter (only the
    GGUF magic is needed: nothing is loaded)."""
    for name in ("m.gguf", "big-00001-of-00002.gguf", "big-00002-of-00002.gguf"):
        (tmp_path / name).write_bytes(b"GGUF")
    write_tiny_llama(tmp_path / "tiny.ggjt.bin")
    (tmp_path / "lora").mkdir()
    (tmp_path / "lora" / "adapter.gguf").write_bytes(b"GGUF")
    return tmp_path


def _built(spec: ModelSpec, model_id: str | None = None) -> tuple[str, str, str | None, int]:
    """(backend class, id, path, context window) of the unopened backend for `spec`."""
    backend = open_backend(spec, model_id=model_id)
    info = backend.model_info
    return type(backend).__name__, info.id, info.path, info.n_ctx


def test_the_backend_each_spec_opens_as(files: Path) -> None:
    d = str(files)
    assert _built(ModelSpec()) == ("LlamaCppBackend", "smollm2-135m", "smollm2-135m", 4096)
    assert _built(ModelSpec(model=f"{d}/m.gguf", n_ctx=1024), model_id="m") == (
        "LlamaCppBackend", "m", f"{d}/m.gguf", 1024
    )
    assert _built(ModelSpec(model=d, filename="m.gguf")) == ("LlamaCppBackend", "m", f"{d}/m.gguf", 4096)
    split = ModelSpec(model=d, filename=("big-00002-of-00002.gguf", "big-00001-of-00002.gguf"))
    assert _built(split) == ("LlamaCppBackend", "big-00002-of-00002", f"{d}/big-00001-of-00002.gguf", 4096)
    # GGML weights are read from the file's magic unless the format is given.
    ggml = ("CTransformersBackend", "tiny.ggjt", f"{d}/tiny.ggjt.bin", 2048)
    assert _built(ModelSpec(model=f"{d}/tiny.ggjt.bin")) == ggml
    assert _built(ModelSpec(model=d, filename="tiny.ggjt.bin", n_ctx=64)) == (
        "CTransformersBackend", "tiny.ggjt", f"{d}/tiny.ggjt.bin", 64
    )
    assert _built(ModelSpec(model=f"{d}/tiny.ggjt.bin", format="gguf"))[0] == "LlamaCppBackend"
    assert _built(ModelSpec(model=f"{d}/m.gguf", format="ggml"))[0] == "CTransformersBackend"
    remote = ModelSpec(model="qwen", url="http://127.0.0.1:9/v1", n_ctx=32768)
    assert _built(remote) == ("RemoteBackend", "qwen", None, 32768)
    lora = open_backend(ModelSpec(model="smollm2-135m", lora_adapter=f"{d}/lora", lora_scale=0.5))
    assert isinstance(lora, LlamaCppBackend) and lora.model_info.id == "smollm2-135m"


def test_files_a_spec_names_are_checked_when_the_backend_is_built(files: Path) -> None:
    d = str(files)
    with pytest.raises(ModelNotFoundError, match="missing.gguf"):
        open_backend(ModelSpec(model=d, filename="missing.gguf"))
    with pytest.raises(ModelNotFoundError, match="big-00003-of-00003.gguf"):
        open_backend(ModelSpec(model=d, filename=("big-00001-of-00002.gguf", "big-00003-of-00003.gguf")))
    with pytest.raises(ModelLoadError, match="expected 2 parts named"):
        open_backend(ModelSpec(model=d, filename=("m.gguf", "lora/adapter.gguf")))
    with pytest.raises(ModelNotFoundError, match="LoRA adapter"):
        open_backend(ModelSpec(lora_adapter=f"{d}/absent.gguf"))
    (files / "lora" / "second.gguf").write_bytes(b"GGUF")
    with pytest.raises(ModelNotFoundError, match=r"2 files; name the adapter file"):
        open_backend(ModelSpec(lora_adapter=f"{d}/lora"))
    with pytest.raises(ModelNotFoundError, match=r"HuggingFaceTB--SmolLM2-135M-Instruct-GGUF/snapshots/\*/x.gguf"):
        open_backend(ModelSpec(model=REPO, filename="x.gguf", hf_cache_path=str(files / "hub")))


def test_settings_an_engine_cannot_honour_are_refused(files: Path) -> None:
    with pytest.raises(ValueError, match="lora_adapter: .* needs a GGUF model"):
        open_backend(ModelSpec(model=f"{files}/tiny.ggjt.bin", lora_adapter=f"{files}/lora"))
    with pytest.raises(ValueError, match="model: name the model that the engine at http://127.0.0.1:9/v1 serves"):
        open_backend(ModelSpec(model="", url="http://127.0.0.1:9/v1"))


def test_the_api_key_is_never_shown() -> None:
    spec = ModelSpec(model="qwen", url="http://127.0.0.1:9/v1", api_key="sk-secret")
    backend = open_backend(spec)
    assert isinstance(backend, RemoteBackend)
    assert "sk-secret" not in repr(spec) and "sk-secret" not in repr(backend)
    assert "url='http://127.0.0.1:9/v1'" in repr(spec)
