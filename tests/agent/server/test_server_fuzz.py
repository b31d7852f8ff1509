"""A property-based fuzz of the server's own OpenAPI schema (schemathesis) against a live server with the real
model: whatever the body, query or path, no answer is a 5xx, and every error keeps OpenAI's shape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode

from agent.completions.engine import ChatEngine
from agent.server import create_app
from agent.server.launch import launched_api

pytestmark = pytest.mark.model

# Generation is the slow part: a fuzzed request that asks for thousands of tokens or rounds is capped, so
# the fuzz spends its time on the shapes of requests, not on the model writing.
_CAPS = {"max_tokens": 4, "max_completion_tokens": 4, "max_tool_rounds": 2}


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with launched_api("--max-tokens", "4", "--max-rounds", "2") as url:
        yield url


# The schema is the app's own, built without a live engine (the routes only reach it when called), so the
# operations are known when the tests are collected.
SCHEMA = schemathesis.openapi.from_dict(create_app(ChatEngine([])).openapi())
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
# Invalid data needs something to make invalid: a body (a path's string parameter takes any string).
CASES = [
    pytest.param(label, mode, id=f"{label}-{'valid' if mode == GenerationMode.POSITIVE else 'invalid'}")
    for label, op in sorted(OPERATIONS.items())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or op.get_request_payload_content_types()
]


STATUSES: dict[str, Counter[int]] = {}
"""Status codes seen per operation (printed with -s, to see what the fuzz reached)."""


def _capped(body: Any) -> Any:
    if isinstance(body, dict):
        for field, cap in _CAPS.items():
            if isinstance(body.get(field), int) and not isinstance(body[field], bool) and body[field] > cap:
                body[field] = cap
        if "messages" in body:
            body.setdefault("max_tokens", _CAPS["max_tokens"])
    return body


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_no_request_gets_a_5xx(label: str, mode: GenerationMode, live_url: str) -> None:
    strategy = OPERATIONS[label].as_strategy(mode)

    @given(case=strategy)
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case: Case) -> None:
        case.body = _capped(case.body)
        response = case.call(base_url=live_url, timeout=120)
        STATUSES.setdefault(label, Counter())[response.status_code] += 1
        assert response.status_code < 500, f"{response.status_code} for {case.as_curl_command()}: {response.text[:500]}"
        if response.status_code >= 400:
            error = response.json()["error"]
            assert set(error) == {"message", "type", "param", "code"} and error["message"], response.text

    fuzz()
    print(label, mode.value, dict(STATUSES.get(label, {})))
