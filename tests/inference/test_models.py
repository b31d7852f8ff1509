"""Model resolution: paths, directories, split files, embedded aliases, the local Hugging Face cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from inference import ModelLoadError, ModelNotFoundError
from inference.models import EMBEDDED, resolve_model


def test_a_directory_with_a_filename_and_with_a_single_gguf(tmp_path: Path) -> None:
    model = resolve_model("smollm2-135m")
    (tmp_path / "m.gguf").symlink_to(model)
    assert resolve_model(tmp_path) == tmp_path / "m.gguf"
    (tmp_path / "other.gguf").symlink_to(model)
    assert resolve_model(tmp_path, filename="other.gguf") == tmp_path / "other.gguf"
    with pytest.raises(ModelNotFoundError, match=r"2 files; pass filename="):
        resolve_model(tmp_path)


def test_split_files_resolve_to_the_first_part_and_missing_parts_are_named(tmp_path: Path) -> None:
    parts = [tmp_path / f"big-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    for part in parts:
        part.write_bytes(b"GGUF")
    assert resolve_model([parts[2], parts[0], parts[1]]) == parts[0]
    parts[1].unlink()
    with pytest.raises(ModelNotFoundError, match="big-00002-of-00003.gguf"):
        resolve_model(parts)
    odd = [tmp_path / "a.gguf", tmp_path / "b.gguf"]
    for part in odd:
        part.write_bytes(b"GGUF")
    with pytest.raises(ModelLoadError, match="expected 2 parts named"):
        resolve_model(odd)


def test_hugging_face_cache_lookup_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "hub" / "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    (snapshot / "smol.gguf").symlink_to(resolve_model("smollm2-135m"))
    found = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", filename="smol.gguf",
                          hf_cache_path=tmp_path / "hub")
    assert found == snapshot / "smol.gguf"
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", filename="smol.gguf") == found
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("someone/else", filename="x.gguf")
    assert str(tmp_path / "hub" / "models--someone--else" / "snapshots" / "*" / "x.gguf") in str(info.value)


def test_gemma_is_assembled_once_verified_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPAGENT_CACHE", str(tmp_path))
    seen: list[tuple[int, int]] = []
    path = resolve_model("gemma3-270m", progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "models" / "gemma-3-270m-q4_k_m.gguf"
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size and len(seen) > 3
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == EMBEDDED["gemma3-270m"].sha256
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".partial")]
    seen.clear()
    assert resolve_model("gemma3-270m", progress=lambda d, t: seen.append((d, t))) == path and seen == []


def test_unknown_references_list_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model(tmp_path / "nothing.gguf")
    assert info.value.looked[0] == str((tmp_path / "nothing.gguf").resolve())
    assert "embedded aliases: gemma3-270m, smollm2-135m" in str(info.value)
    assert os.fspath(tmp_path) in str(info.value)
