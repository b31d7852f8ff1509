"""Arguments checked against a tool's input schema: valid calls pass, bad ones get a message naming each field."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from agent.validation import MAX_PROBLEMS, schema_problems, validate_arguments
from tools import ToolSpec

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 1},
            "units": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "tags": {"type": "array", "items": {"type": "string"}},
            "where": {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                "required": ["lat", "lon"],
            },
            "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
)


@pytest.mark.parametrize(
    "arguments",
    [
        {"city": "Paris"},
        {"city": "Paris", "units": "c", "days": 3, "tags": ["a", "b"]},
        {"city": "Oslo", "where": {"lat": 59.9, "lon": 10.7}, "id": 4},
        {"city": "Oslo", "days": 7.0},  # 7.0 is an integer in JSON schema
        {"city": "Oslo", "id": "x"},
    ],
)
def test_valid_arguments_pass(arguments: dict[str, Any]) -> None:
    assert validate_arguments(WEATHER, arguments) is None


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, ["city: missing (required)"]),
        ({"city": 3}, ["city: expected string, got integer 3"]),
        ({"city": ""}, ["city: '' should be non-empty"]),
        ({"city": "x", "units": "K"}, ['units: "K" is not one of "c", "f"']),
        ({"city": "x", "days": 0}, ["days: 0 is less than the minimum of 1"]),
        ({"city": "x", "days": "3"}, ['days: expected integer, got string "3"']),
        ({"city": "x", "days": True}, ["days: expected integer, got boolean true"]),
        ({"city": "x", "tags": ["a", 3]}, ["tags[1]: expected string, got integer 3"]),
        ({"city": "x", "where": {"lat": 1}}, ["where.lon: missing (required)"]),
        ({"city": "x", "where": {"lat": "n", "lon": 2}}, ['where.lat: expected number, got string "n"']),
        (
            {"city": "x", "id": [1]},
            ["id: [1] matches none of the allowed forms (is not of type 'string'; is not of type 'integer')"],
        ),
        (
            {"city": "x", "town": "y"},
            ["town: unexpected argument (allowed: city, units, days, tags, where, id)"],
        ),
        (
            {"units": "K", "extra": 1},
            ["extra: unexpected argument (allowed:", "city: missing (required)", 'units: "K" is not one of'],
        ),
    ],
)
def test_invalid_arguments_name_each_field_and_why(arguments: dict[str, Any], expected: list[str]) -> None:
    message = validate_arguments(WEATHER, arguments)
    assert message is not None
    assert message.startswith("Invalid arguments for tool 'get_weather': ")
    assert message.endswith("Fix these and call the tool again.")
    for part in expected:
        assert part in message


def test_several_unexpected_arguments_list_the_allowed_ones_once() -> None:
    message = validate_arguments(WEATHER, {"city": "x", "a": 1, "b": 2})
    assert message is not None
    assert "a: unexpected argument; b: unexpected argument (allowed: city," in message
    assert message.count("allowed:") == 1


def test_a_long_value_is_shortened_in_the_message() -> None:
    message = validate_arguments(WEATHER, {"city": "x", "units": "z" * 5000})
    assert message is not None and len(message) < 300


def test_many_problems_are_capped() -> None:
    spec = ToolSpec(name="wide", input_schema={"type": "object", "additionalProperties": {"type": "integer"}})
    problems = schema_problems(spec.input_schema, {f"k{i:02}": "s" for i in range(20)})
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1] == f"and {20 - MAX_PROBLEMS} more"


def test_an_empty_schema_accepts_anything() -> None:
    assert validate_arguments(ToolSpec(name="free"), {"anything": [1, {"x": None}]}) is None


def test_draft_07_schema_is_honoured() -> None:
    spec = ToolSpec(
        name="old",
        input_schema={
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"n": {"type": "integer", "exclusiveMaximum": 5}},
        },
    )
    assert validate_arguments(spec, {"n": 4}) is None
    assert "n: 5 is greater than or equal to the maximum of 5" in (validate_arguments(spec, {"n": 5}) or "")


def test_format_is_an_annotation_not_a_check() -> None:
    spec = ToolSpec(name="when", input_schema={"type": "object", "properties": {"at": {"format": "date-time"}}})
    assert validate_arguments(spec, {"at": "tomorrow at noon"}) is None


@pytest.mark.parametrize(
    ("schema", "logged"),
    [
        ({"type": "wat"}, "is invalid"),
        ({"type": "object", "properties": {"p": {"pattern": "(["}}}, "is invalid"),
        ({"$ref": "https://example.invalid/schema.json"}, "cannot be used"),
        ({"type": "object", "default": object()}, "is not JSON"),
    ],
)
def test_a_broken_schema_accepts_the_call_and_logs_a_warning_once(
    schema: dict[str, Any], logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    spec = ToolSpec(name=f"broken_{logged.split()[-1]}", input_schema=schema)
    with caplog.at_level(logging.WARNING, logger="agent.validation"):
        assert validate_arguments(spec, {"x": 1}) is None
        assert validate_arguments(spec, {"x": 2}) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all(spec.name in w and logged in w for w in warnings)
    if logged == "is invalid":  # compiled once: the second call hits the cache and logs nothing
        assert len(warnings) == 1


def test_output_schema_problems_for_any_value() -> None:
    schema = {"type": "object", "properties": {"temp": {"type": "number"}}, "required": ["temp"]}
    assert schema_problems(schema, {"temp": 21.5}) == []
    assert schema_problems(schema, {"temp": "warm"}) == ['temp: expected number, got string "warm"']
    assert schema_problems(schema, [1]) == ["value: expected object, got array [1]"]
