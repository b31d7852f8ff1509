"""Lenient decoding of what models write as call bodies: JSON with slips, Python literals and calls.

Every function here raises ValueError (or returns None) on text it cannot read; none guesses where
the intent is ambiguous (an unterminated string, unescaped inner quotes).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tools import ToolCall, new_call_id

_VALID_ESCAPES = frozenset('"\\/bfnrtu')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_JSON_WORD = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\b(true|false|null)\b""", re.DOTALL)
_PY_WORDS = {"true": "True", "false": "False", "null": "None"}
_TRAILING_COMMA = re.compile(r"""("(?:[^"\\]|\\.)*")|,(\s*[}\]])""", re.DOTALL)
OVER_ESCAPED = ('{\\"', '[{\\"')
"""How JSON that was escaped once too often starts (`{\\"q\\": \\"x\\"}`, seen from gpt-oss-20b)."""


def _fix_escapes(text: str) -> str:
    """Double the backslash of invalid escapes (`C:\\Users`, `\\d+`), keeping the valid ones."""

    def repl(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) in _VALID_ESCAPES else "\\\\" + m.group(1)

    return _ESCAPE.sub(repl, text)


def _adjacent_strings(source: str) -> bool:
    """Python joins `"a" "b"`; in model output that is an unescaped inner quote, not a literal."""
    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                continue
            if token.type == tokenize.STRING and previous == tokenize.STRING:
                return True
            previous = token.type
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return False


def _python_literal(text: str) -> Any:
    """Read a Python literal (single quotes, True/None, trailing commas), JSON words mapped too."""
    source = _JSON_WORD.sub(lambda m: m.group(1) or _PY_WORDS[m.group(2)], text)
    if _adjacent_strings(source):
        raise ValueError("adjacent string literals")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in model text warn in ast
        try:
            return ast.literal_eval(source.strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
            raise ValueError(str(exc)) from exc


def loads_lenient(text: str) -> Any:
    """Decode a JSON value the way a forgiving reader should.

    Tries, in order: JSON (raw control characters allowed), JSON without trailing commas, JSON with
    invalid escapes doubled, over-escaped JSON (`{\\"q\\": 1}`) unescaped once, and Python literals.

    Raises:
        ValueError: the text is none of these.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped, strict=False)
    except (ValueError, RecursionError):
        pass
    without_commas = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), stripped)
    candidates = [without_commas] if without_commas != stripped else []
    if "\\" in stripped:
        candidates.append(_fix_escapes(without_commas))
    for candidate in candidates:
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            pass
    if stripped.startswith(OVER_ESCAPED):
        try:
            return loads_lenient(json.loads('"' + stripped + '"', strict=False))
        except (ValueError, RecursionError):
            pass
    return _python_literal(stripped)


def args_object(value: Any) -> dict[str, Any] | None:
    """Arguments as a dict: an object, a JSON string holding one (double encoding), or null."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = loads_lenient(value) if value.strip() else {}
        except ValueError:
            return None
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return value
    return None


_PLACEHOLDER = re.compile(
    r"(?:[A-Z]+_)*(?:NAME|FUNCTION|TOOL|PARAM|ARG)(?:_[A-Z0-9]+)*|(?:func|function|tool|param)s?_name\d*"
)


def placeholder(name: str) -> bool:
    """A name that documents the call syntax (`FUNCTION_NAME`, `PARAM_NAME`, `func_name1`), not a tool's."""
    return _PLACEHOLDER.fullmatch(name.strip()) is not None


def make_call(name: Any, arguments: Any, call_id: Any = None) -> ToolCall | None:
    """A ToolCall when name and arguments are usable; the model's id is kept, a missing one generated.

    Prose that explains the call syntax with placeholder names is no call."""
    if not isinstance(name, str) or not name.strip() or placeholder(name):
        return None
    args = args_object(arguments)
    if args is None or any(placeholder(key) for key in args):
        return None
    if isinstance(call_id, int) and not isinstance(call_id, bool):
        call_id = str(call_id)
    if not isinstance(call_id, str) or not call_id.strip():
        call_id = new_call_id()
    return ToolCall(id=call_id, name=name.strip(), arguments=args)


def call_from_object(
    obj: Any,
    *,
    name_key: str = "name",
    args_keys: tuple[str, ...] = ("arguments", "parameters"),
    id_key: str = "id",
) -> ToolCall | None:
    """`{"name": ..., "arguments"|"parameters": {...}, "id"?}`, or the OpenAI `{"function": {...}}` shape.

    An object without an arguments key is no call (a person's `{"name": "Ada"}` is not a tool call).
    """
    if not isinstance(obj, dict):
        return None
    function = obj.get("function")
    if isinstance(function, dict) and name_key not in obj:
        return call_from_object({**function, id_key: obj.get(id_key)}, name_key=name_key, args_keys=args_keys)
    for key in args_keys:
        if key in obj:
            return make_call(obj.get(name_key), obj[key], obj.get(id_key))
    return None


def calls_by(values: Iterable[Any], to_call: Callable[[Any], ToolCall | None]) -> list[ToolCall] | None:
    """Calls from decoded values, each an item or a list of items; None if any item is not a call."""
    calls: list[ToolCall] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            call = to_call(item)
            if call is None:
                return None
            calls.append(call)
    return calls


def calls_from_values(values: Iterable[Any], **keys: Any) -> list[ToolCall] | None:
    """Calls from decoded values, each a call object or a list of them; None if any is not a call."""
    return calls_by(values, lambda item: call_from_object(item, **keys))


def decode_all(texts: Iterable[str]) -> list[Any] | None:
    """`loads_lenient` over several texts; None if any fails."""
    try:
        return [loads_lenient(text) for text in texts]
    except ValueError:
        return None


class Untyped(str):
    """An argument written as raw text (XML families): `type_arguments` types it by the tool's schema."""

    __slots__ = ()


def untyped(text: str) -> Untyped:
    """A raw value less the one newline a template writes on each side of it (other whitespace is data)."""
    if text.startswith("\n"):
        text = text[1:]
    if text.endswith("\n"):
        text = text[:-1]
    return Untyped(text)


_NOT_DECODED = object()
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _schema_types(schema: Any) -> set[str]:
    """The JSON types a schema allows (`type`, `anyOf`/`oneOf` branches, `enum` values); empty: any."""
    if not isinstance(schema, Mapping):
        return set()
    kind = schema.get("type")
    types = (
        {kind}
        if isinstance(kind, str)
        else {k for k in kind if isinstance(k, str)}
        if isinstance(kind, list)
        else set()
    )
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            types |= _schema_types(branch)
    for value in schema.get("enum") or ():
        types |= {name for name, test in _JSON_TYPES.items() if test(value)}
    return types


def _decoded(text: str) -> Any:
    """The text as a JSON value, or a Python literal (`True`, `None`, a dict or list), or `_NOT_DECODED`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if text in _NAMES:
        return _NAMES[text]
    if text[:1] in ("{", "["):
        try:
            return _python_literal(text)
        except ValueError:
            pass
    return _NOT_DECODED


def typed_value(text: str, schema: Any = None) -> Any:
    """An untyped value typed by its schema: a string where the schema allows only strings, else the text
    decoded (JSON or a Python literal) when that gives an allowed type, else the text. Without a schema,
    the decoded value if the text decodes at all (llama.cpp's rule)."""
    types = _schema_types(schema)
    if types == {"string"}:
        return str(text)
    value = _decoded(text.strip())
    if value is not _NOT_DECODED and (not types or any(_JSON_TYPES[t](value) for t in types if t in _JSON_TYPES)):
        return value
    return str(text)


def type_arguments(call: ToolCall, schemas: Mapping[str, Mapping[str, Any]]) -> ToolCall:
    """`call` with its untyped arguments typed by the schema of the tool it names (guessed without one)."""
    if not any(isinstance(v, Untyped) for v in call.arguments.values()):
        return call
    schema = schemas.get(call.name)
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
    args = {k: typed_value(v, props.get(k)) if isinstance(v, Untyped) else v for k, v in call.arguments.items()}
    return ToolCall(id=call.id, name=call.name, arguments=args)


def render_untyped(value: Any) -> str:
    """The inverse of `typed_value`: strings raw unless that would read back differently."""
    if isinstance(value, str) and value == value.strip() and "<" not in value:
        try:
            json.loads(value)
        except (ValueError, RecursionError):
            return value
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


# -- Python calls --------------------------------------------------------------------------------

_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, complex)):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        keys = [_literal(k) if k is not None else None for k in node.keys]
        if not all(isinstance(k, str) for k in keys):
            raise ValueError("dict keys must be strings")
        return {k: _literal(v) for k, v in zip(keys, node.values, strict=True)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(f"not a literal: {type(node).__name__}")


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise ValueError("not a function name")


def _call(node: ast.expr, strip_suffix: str) -> ToolCall:
    if not isinstance(node, ast.Call) or node.args:
        raise ValueError("not a keyword call")
    name = _dotted(node.func)
    if strip_suffix and name.endswith(strip_suffix):
        name = name[: -len(strip_suffix)]
    if placeholder(name) or any(placeholder(k.arg or "") for k in node.keywords):
        raise ValueError("a placeholder name documents the syntax")
    args: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ValueError("**kwargs")
        args[keyword.arg] = _literal(keyword.value)
    return ToolCall(id=new_call_id(), name=name, arguments=args)


def pythonic_calls(text: str, *, strip_suffix: str = "") -> list[ToolCall] | None:
    """`[f(a=1), g(b="x")]` or a single `f(a=1)`; values are Python (or JSON) literals.

    Returns None for anything else: an empty list, positional arguments, expressions, prose.
    """
    if _adjacent_strings(text):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
    nodes = tree.elts if isinstance(tree, ast.List) else [tree]
    try:
        calls = [_call(node, strip_suffix) for node in nodes]
    except (ValueError, RecursionError):
        return None
    return calls or None


def python_literal_source(value: Any) -> str:
    """A Python literal for a JSON value (inverse of `_literal`)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {python_literal_source(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal_source(v) for v in value) + "]"
    return repr(value)
