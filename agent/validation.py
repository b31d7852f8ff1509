"""Check a tool call's arguments (or any JSON value) against a JSON schema, with messages a model can act on.

Compiled validators are cached per schema. A schema that is itself broken never blocks a call: it is
reported once in the log and everything validates against it, so the tool server gets to judge.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from referencing.exceptions import Unresolvable

from tools import ToolSpec

logger = logging.getLogger("agent.validation")

MAX_PROBLEMS = 8
"""At most this many problems are listed; a model fixes the first few, then sees the rest on the retry."""

_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),  # before int: bool is an int subclass
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
    (Mapping, "object"),
    ((list, tuple), "array"),
)


def validate_arguments(spec: ToolSpec, arguments: Mapping[str, Any]) -> str | None:
    """Check a call's arguments against `spec.input_schema`.

    Args:
        spec: The tool being called.
        arguments: The decoded JSON object the model wrote.

    Returns:
        None when the arguments are valid (or the schema is broken and cannot judge), else one short
        message naming each bad field and why, ending with what to do, e.g.
        ``Invalid arguments for tool 'get_weather': city: missing (required); units: 'K' is not one of
        'c', 'f'. Fix these and call the tool again.``
    """
    problems = schema_problems(spec.input_schema, arguments, what=f"tool {spec.name!r}", root="arguments")
    if not problems:
        return None
    return f"Invalid arguments for tool {spec.name!r}: {'; '.join(problems)}. Fix these and call the tool again."


def schema_problems(
    schema: Mapping[str, Any], instance: object, *, what: str = "a schema", root: str = "value"
) -> list[str]:
    """The problems of `instance` against `schema`, one ``field: why`` string each, at most `MAX_PROBLEMS`.

    Args:
        schema: A JSON schema (any draft; `$schema` picks it, 2020-12 otherwise).
        instance: The value to check.
        what: Names the schema's owner in the warning logged when the schema is broken.
        root: Names `instance` itself in a problem about the whole value.

    Returns:
        An empty list when `instance` is valid, or when the schema is broken (a warning is logged once).
    """
    validator = _compiled(schema, what)
    if validator is None:
        return []
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    except (Unresolvable, SchemaError, re.error) as exc:  # found only while validating: an unresolvable $ref
        logger.warning("the JSON schema of %s cannot be used, so it is not checked: %s", what, exc)
        return []
    problems: list[str] = []
    for error in errors:
        for problem in _describe(error, root):
            if problem not in problems:
                problems.append(problem)
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [f"and {len(problems) - MAX_PROBLEMS} more"]
    return problems


def _compiled(schema: Mapping[str, Any], what: str) -> Validator | None:
    try:
        key = json.dumps(schema, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        logger.warning("the JSON schema of %s is not JSON, so it is not checked: %s", what, exc)
        return None
    return _compile(key, what)


@lru_cache(maxsize=512)
def _compile(key: str, what: str) -> Validator | None:
    # Keyed by the schema as JSON (dicts are not hashable; key order kept, so messages list fields in the
    # schema's order); `what` is part of the key only so that each broken tool is named once in the log.
    schema = json.loads(key)
    if not isinstance(schema, dict | bool):
        logger.warning("the JSON schema of %s is not an object, so it is not checked: %.200s", what, key)
        return None
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        logger.warning("the JSON schema of %s is invalid, so it is not checked: %s", what, exc.message)
        return None
    # No format checker: in 2020-12 `format` is an annotation, and a false rejection costs a model turn.
    validator: Validator = cls(schema)
    return validator


def _describe(error: ValidationError, root: str) -> Iterable[str]:
    """One or more ``field: why`` lines for one jsonschema error."""
    where = _path(error.absolute_path)
    instance, value = error.instance, error.validator_value
    if error.validator == "required" and isinstance(instance, Mapping):
        for name in value:
            if name not in instance and repr(name) in error.message:
                yield f"{_join(where, name)}: missing (required)"
        return
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extra = [n for n in instance if n not in known and not any(re.search(p, n) for p in patterns)]
        for name in extra:  # the allowed names once, after the last one
            allowed = f" (allowed: {', '.join(known)})" if known and name == extra[-1] else ""
            yield f"{_join(where, name)}: unexpected argument{allowed}"
        return
    label = where or root
    if error.validator == "type":
        expected = " or ".join(value) if isinstance(value, list) else str(value)
        yield f"{label}: expected {expected}, got {_json_type(instance)} {_short(instance)}"
    elif error.validator == "enum" and isinstance(value, Sequence):
        yield f"{label}: {_short(instance)} is not one of {', '.join(_short(v) for v in value)}"
    elif error.validator in ("anyOf", "oneOf") and error.context:
        echoed = repr(instance)
        forms = dict.fromkeys(e.message.removeprefix(echoed).strip() for e in error.context if not e.path)
        yield f"{label}: {_short(instance)} matches none of the allowed forms ({'; '.join(forms)})"
    else:
        yield f"{label}: {_strip_value(error.message, instance)}"


def _path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _json_type(value: object) -> str:
    for kinds, name in _JSON_TYPES:
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def _short(value: object, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _strip_value(message: str, instance: object) -> str:
    """jsonschema's message with a long echoed instance shortened, so one big value cannot flood the reply."""
    echoed = repr(instance)
    if len(echoed) > 60 and message.startswith(echoed):
        return _short(instance) + message[len(echoed) :]
    return message if len(message) <= 200 else message[:197] + "..."
