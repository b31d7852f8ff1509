"""`@tool` and FunctionToolset: schemas from hints and docstrings, validated calls, errors as results."""

from __future__ import annotations

import enum
import sys
import threading
from typing import Annotated, Any, Literal

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from tests.tools._servers import announcing_processes, mcp_session, text_of
from tools import FunctionTool, FunctionToolset, ImageContent, ToolResult, Toolset, tool
from tools.function import parse_docstring


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Address(BaseModel):
    street: str
    city: str = "Paris"


class Person(BaseModel):
    name: str
    address: Address
    nicknames: list[str] = []


def with_defaults(city: str, days: int = 3, verbose: bool = False) -> str:
    """Forecast the weather.

    Args:
        city: Where to look.
        days: How many days ahead,
            counting today.
    """
    return f"{city}:{days}:{verbose}"


def with_optionals(query: str | None = None, limit: int | None = 10) -> str:
    return f"{query}:{limit}"


def with_enums(unit: Unit = Unit.CELSIUS, mode: Literal["fast", "exact"] = "fast") -> str:
    """Convert.

    :param unit: The temperature unit.
    :param mode: How hard to try.
    """
    return f"{unit.value}:{mode}"


def with_models(person: Person, tags: dict[str, int] | None = None) -> str:
    """Register a person.

    Parameters
    ----------
    person : Person
        Who to register.
    tags : dict
        Extra labels.
    """
    return f"{person.name} lives in {person.address.city} ({type(person.address).__name__})"


def with_constraints(count: Annotated[int, Field(ge=1, le=5)], ratio: float = Field(0.5, gt=0, lt=1)) -> str:
    return f"{count}:{ratio}"


def with_reserved_names(json: str, schema: int = 0, model_config: str = "x", _private: int = 1) -> str:
    return f"{json}:{schema}:{model_config}:{_private}"


def test_defaults_make_optional_properties_with_their_defaults() -> None:
    spec = tool(with_defaults).spec
    assert spec.description == "Forecast the weather."
    assert spec.input_schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "city": {"type": "string", "description": "Where to look."},
            "days": {"type": "integer", "default": 3, "description": "How many days ahead, counting today."},
            "verbose": {"type": "boolean", "default": False},
        },
        "required": ["city"],
    }


def test_optionals_accept_null() -> None:
    schema = tool(with_optionals).spec.input_schema
    assert schema["properties"]["query"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert schema["properties"]["limit"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 10}
    assert "required" not in schema
    assert tool(with_optionals).spec.description == ""


def test_enums_and_literals_list_their_values() -> None:
    schema = tool(with_enums).spec.input_schema
    assert schema["$defs"]["Unit"]["enum"] == ["celsius", "fahrenheit"]
    assert schema["properties"]["unit"] == {
        "$ref": "#/$defs/Unit", "default": "celsius", "description": "The temperature unit.",
    }  # fmt: skip
    assert schema["properties"]["mode"] == {
        "type": "string", "enum": ["fast", "exact"], "default": "fast", "description": "How hard to try.",
    }  # fmt: skip


def test_nested_models_become_definitions() -> None:
    schema = tool(with_models).spec.input_schema
    assert schema["properties"]["person"] == {"$ref": "#/$defs/Person", "description": "Who to register."}
    assert schema["$defs"]["Person"]["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert schema["$defs"]["Address"]["required"] == ["street"]
    assert schema["properties"]["tags"]["anyOf"][0] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }


def test_field_constraints_reach_the_schema() -> None:
    schema = tool(with_constraints).spec.input_schema
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 5}
    assert schema["properties"]["ratio"] == {
        "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
    }  # fmt: skip


async def test_parameters_named_like_model_attributes_work() -> None:
    reserved = tool(with_reserved_names)
    assert list(reserved.spec.input_schema["properties"]) == ["json", "schema", "model_config", "_private"]
    result = await reserved.call({"json": "{}", "schema": 2, "_private": 7})
    assert result == ToolResult.from_text("{}:2:x:7")


async def test_arguments_are_validated_before_the_call() -> None:
    calls: list[Any] = []

    @tool
    def record(count: Annotated[int, Field(ge=1, le=5)], unit: Unit) -> None:
        calls.append((count, unit))

    result = await record.call({"count": 9, "unit": "kelvin", "extra": True})
    assert result.is_error and calls == []
    assert result.text == (
        "invalid arguments for tool 'record':\n"
        "- count: Input should be less than or equal to 5 (got 9)\n"
        "- unit: Input should be 'celsius' or 'fahrenheit' (got 'kelvin')\n"
        "- extra: Extra inputs are not permitted (got True)"
    )
    missing = await record.call({})
    assert missing.text.splitlines()[1:] == ["- count: Field required", "- unit: Field required"]
    assert (await record.call({"count": "3", "unit": "celsius"})) == ToolResult()  # lax: "3" is 3
    assert calls == [(3, Unit.CELSIUS)]


async def test_nested_models_arrive_as_model_instances() -> None:
    registered = await tool(with_models).call({"person": {"name": "Ada", "address": {"street": "1 Main St"}}})
    assert registered.text == "Ada lives in Paris (Address)"
    bad = await tool(with_models).call({"person": {"name": "Ada", "address": {}}})
    assert bad.is_error and "- person.address.street: Field required" in bad.text


async def test_sync_functions_run_in_a_worker_thread_and_async_ones_on_the_loop() -> None:
    @tool
    def sync_ident() -> int:
        return threading.get_ident()

    @tool
    async def async_ident() -> int:
        return threading.get_ident()

    assert (await sync_ident.call({})).text != str(threading.get_ident())
    assert (await async_ident.call({})).text == str(threading.get_ident())


async def test_exceptions_and_timeouts_become_error_results() -> None:
    @tool
    def divide(a: float, b: float) -> float:
        return a / b

    @tool
    async def hang() -> None:
        await anyio.sleep_forever()

    assert await divide.call({"a": 1, "b": 0}) == ToolResult.from_text(
        "ZeroDivisionError: float division by zero", is_error=True
    )
    assert await hang.call({}, timeout_secs=0.05) == ToolResult.from_text(
        "tool 'hang' timed out after 0.05 s", is_error=True
    )


async def test_return_values_are_converted() -> None:
    image = ImageContent(data="aGk=", mime_type="image/png")

    @tool
    def person() -> Person:
        return Person(name="Ada", address=Address(street="1 Main St"))

    @tool
    def numbers() -> list[int]:
        return [1, 2]

    assert person.spec.output_schema is not None and person.spec.output_schema["required"] == [
        "name",
        "address",
    ]
    result = await person.call({})
    assert result.structured_content == {
        "name": "Ada", "address": {"street": "1 Main St", "city": "Paris"}, "nicknames": [],
    }  # fmt: skip
    assert result.text == '{"name":"Ada","address":{"street":"1 Main St","city":"Paris"},"nicknames":[]}'
    assert numbers.spec.output_schema is None
    assert await numbers.call({}) == ToolResult.from_text("[1,2]")
    assert await tool(lambda: image, name="img").call({}) == ToolResult(content=(image,))
    passthrough = ToolResult.from_text("as is", is_error=True)
    assert await tool(lambda: passthrough, name="raw").call({}) is passthrough


def test_decorated_functions_stay_callable_and_keep_their_metadata() -> None:
    wrapped = tool(with_defaults)
    assert wrapped("Oslo", days=1) == "Oslo:1:False"
    assert wrapped.__name__ == "with_defaults" and wrapped.__doc__ == with_defaults.__doc__
    renamed = tool(name="forecast", description="Weather.")(with_defaults)
    assert (renamed.spec.name, renamed.spec.description) == ("forecast", "Weather.")


def test_definition_mistakes_raise_at_decoration_time() -> None:
    def variadic(*values: int) -> int:
        return sum(values)

    def unresolvable(x: NoSuchType) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(TypeError, match=r"tool 'variadic': \*values is not supported"):
        tool(variadic)
    with pytest.raises(TypeError, match="cannot resolve the type hints"):
        tool(unresolvable)
    with pytest.raises(ValueError, match=r"tool name 'bad name!' must match"):
        tool(name="bad name!")(with_defaults)
    with pytest.raises(ValueError, match="duplicate tool name 'with_defaults'"):
        FunctionToolset([with_defaults, tool(with_defaults)])


async def test_function_toolset_is_a_toolset() -> None:
    toolset = FunctionToolset([with_defaults, tool(with_enums)])
    assert isinstance(toolset, Toolset)
    assert [spec.name for spec in toolset.tools] == ["with_defaults", "with_enums"]
    assert isinstance(toolset["with_enums"], FunctionTool)
    assert await toolset.call_tool("with_defaults", {"city": "Rome"}) == ToolResult.from_text("Rome:3:False")
    unknown = await toolset.call_tool("weather", {})
    assert unknown == ToolResult.from_text(
        "unknown tool 'weather'; available tools: with_defaults, with_enums", is_error=True
    )


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (None, ("", {})),
        ("Just a summary.", ("Just a summary.", {})),
        ("Sum.\n\nArgs:\n    a (int): First.\n    b: Second,\n        wrapped.\n\nReturns:\n    int",
         ("Sum.", {"a": "First.", "b": "Second, wrapped."})),
        ("Sum.\n\n:param a: First.\n:param int b: Second.\n:returns: The sum.",
         ("Sum.", {"a": "First.", "b": "Second."})),
        ("Sum.\n\nParameters\n----------\na : int\n    First. Note: small.\n\nReturns\n-------\nint",
         ("Sum.", {"a": "First. Note: small."})),
    ],
)  # fmt: skip
def test_docstring_styles(doc: str | None, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_docstring(doc) == expected


@given(st.text())
def test_any_docstring_parses(doc: str) -> None:
    summary, params = parse_docstring(doc)
    assert isinstance(summary, str) and all(isinstance(v, str) for v in params.values())


async def test_functions_served_in_one_line_over_stdio() -> None:
    command = [sys.executable, "-m", "tests.tools._function_server"]
    async with mcp_session(command) as session:
        assert session.server_info is not None and session.server_info.name == "demo"
        listed = {spec.name: spec for spec in (await session.list_tools()).tools}
        assert listed["add"].description == "Add two integers."
        assert listed["add"].input_schema["properties"]["a"] == {
            "type": "integer",
            "description": "The first addend.",
        }
        assert listed["greet"].input_schema["$defs"]["Greeting"]["enum"] == ["hello", "goodbye"]
        assert text_of(await session.call_tool("add", {"a": 40, "b": 2})) == "42"
        assert (
            text_of(await session.call_tool("greet", {"name": "Ada", "greeting": "goodbye"}))
            == "goodbye, Ada!"
        )
        bad = await session.call_tool("add", {"a": "forty"})
        assert bad.is_error and "- a: Input should be a valid integer" in text_of(bad)


async def test_functions_served_over_http_and_websocket() -> None:
    module = [sys.executable, "-m", "tests.tools._function_server"]
    with announcing_processes((module + ["http"], "http"), (module + ["ws"], "ws")) as servers:
        for server in servers:
            assert server.url.startswith(f"{server.transport}://127.0.0.1:")
            async with mcp_session(server) as session:
                assert text_of(await session.call_tool("add", {"a": 1})) == "2"
