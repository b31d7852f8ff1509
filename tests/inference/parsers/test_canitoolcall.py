"""The canitoolcall conformance corpus, replayed through `inference.parsers` as the local runtime runs it.

Each fixture is parsed once whole and streamed under the suite's chunking strategies (character groups
that split markers), and judged by the suite's own checks: a case passes on `pass` or `soft_pass`.
Fixtures of models we have no parser for are reported as skipped, with the reason `supports` gives.
"""

from __future__ import annotations

import pytest
from canitoolcall.adapters.worker import replay
from canitoolcall.checks import case_status, run_checks
from canitoolcall.chunking import DEFAULT_STRATEGIES, ChunkStrategy, synthetic_strategies
from canitoolcall.fixtures import Fixture, load_fixtures
from canitoolcall.pytest_plugin import family_for
from canitoolcall.results import Observation, ParseResult, Status

from inference.parsers import available_formats
from tests.inference.parsers.canitoolcall_adapter import FORMATS, InferenceParsersAdapter

ADAPTER = InferenceParsersAdapter()
STRATEGIES = (*DEFAULT_STRATEGIES, ChunkStrategy("char", seed=0), ChunkStrategy("char", seed=7))
FIXTURES = load_fixtures()
PENDING: dict[str, str] = {}
"""Fixtures that fail today, each with the work that fixes it (strict: a fix makes the entry fail)."""


def _marked(fixture: Fixture) -> object:
    reason = PENDING.get(fixture.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(fixture, id=fixture.id, marks=marks)


@pytest.mark.parametrize("fixture", [_marked(f) for f in FIXTURES])
def test_fixture(fixture: Fixture) -> None:
    reply = replay(ADAPTER, fixture, family_for(fixture), STRATEGIES)
    if not reply["supported"]:
        pytest.skip(f"unsupported: {reply['reason']}")
    synthetic = synthetic_strategies([s.id for s in STRATEGIES], ADAPTER.tokens_per_step)
    observation = Observation(
        nonstream=ParseResult.from_dict(reply["nonstream"]),
        streams={k: ParseResult.from_dict(v) for k, v in reply["streams"].items()},
        synthetic=synthetic,
    )
    rows = run_checks(fixture, family_for(fixture), observation)
    # Character splits are synthetic to the suite; we hold them to the same verdict (our parser is fed text).
    status = case_status(rows)
    bad = [f"{r.check} [{r.strategy}]: {r.detail}" for r in rows if r.status in (Status.FAIL, Status.ERROR)]
    assert status in (Status.PASS, Status.SOFT_PASS), "\n".join(bad)


def test_every_reference_model_is_mapped_or_reported() -> None:
    """A model the corpus adds is either read by a format of ours or skipped with its reason, never lost."""
    for fixture in FIXTURES:
        support = ADAPTER.supports(fixture.family, fixture.reference_model)
        if not support:
            assert support.reason and fixture.reference_model.split("/")[-1] in support.reason
    assert {fmt for _, fmt in FORMATS if fmt in available_formats()} >= {"hermes", "qwen3_coder", "glm45", "gemma4"}
