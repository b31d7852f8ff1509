"""Python functions as tools: `@tool` (schema from type hints and docstring, validated calls) and
`FunctionToolset`, which hands such functions to the agent next to MCP tools.

Nothing here imports `mcp`; `serve_functions` reaches the MCP server side only when it is called.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Generic, Literal, ParamSpec, TypeVar, overload

import anyio
import anyio.to_thread
import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, PydanticJsonSchemaWarning

from tools._types import (
    AudioContent,
    ContentBlock,
    ImageContent,
    ProgressCallback,
    ResourceContent,
    TextContent,
    ToolResult,
    ToolSpec,
)

P = ParamSpec("P")
R = TypeVar("R")

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BLOCKS = (TextContent, ImageContent, AudioContent, ResourceContent)
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters):\s*$"
)
_OTHER_SECTION = re.compile(
    r"^(Returns?|Yields?|Raises|Examples?|Notes?|Warnings?|See Also|References|Attributes|Todo)\s*:?\s*$"
)
_GOOGLE_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_NUMPY_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")


class _NoTitles(GenerateJsonSchema):
    """Schemas for models, not for forms: per-field titles only cost prompt tokens."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into its description and per-parameter descriptions.

    Understands Google (`Args:`), Sphinx (`:param x:`) and NumPy (`Parameters` + dashes) styles.

    Returns:
        The text before the first section, and a mapping from parameter name to its description.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    style: Literal["summary", "google", "numpy", "sphinx", "other"] = "summary"
    current: str | None = None
    entry_indent: int | None = None
    for i, line in enumerate(lines):
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        underlined = i + 1 < len(lines) and _is_rule(lines[i + 1])
        if sphinx := _SPHINX_PARAM.match(stripped):
            style, current = "sphinx", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if indent == 0 and stripped:
            if _SECTION.match(stripped):
                style, current, entry_indent = "google", None, None
                continue
            if stripped == "Parameters" and underlined:
                style, current = "numpy", None
                continue
            if _is_rule(stripped):
                continue
            if underlined or _OTHER_SECTION.match(stripped) or stripped.startswith(":") or style == "google":
                style, current = "other", None
                continue
        if style == "summary":
            summary.append(line)
        elif style == "other" or not stripped:
            continue
        elif style == "numpy" and indent == 0:
            numpy = _NUMPY_PARAM.match(stripped)
            current = numpy.group(1) if numpy else None
            if current:
                params[current] = ""
        elif (
            style == "google"
            and indent == (entry_indent or indent)
            and (google := _GOOGLE_PARAM.match(stripped))
        ):
            entry_indent, current = indent, google.group(1)
            params[current] = google.group(2).strip()
        elif current is not None:
            params[current] = f"{params[current]} {stripped}".strip()
    return "\n".join(summary).strip(), {name: text for name, text in params.items() if text}


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 3 and set(stripped) == {"-"}


def _is_async(function: Callable[..., Any]) -> bool:
    while isinstance(function, functools.partial):
        function = function.func
    call = getattr(function, "__call__", None)  # noqa: B004 - callable objects with `async def __call__`
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)


def _hints(function: Callable[..., Any], name: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception as exc:  # NameError, TypeError: an annotation that does not resolve
        raise TypeError(f"tool {name!r}: cannot resolve the type hints of {function!r}: {exc}") from exc


class FunctionTool(Generic[P, R]):
    """A Python function wrapped as a tool. Calling it calls the function unchanged.

    The argument schema comes from the signature (pydantic), descriptions from the docstring.
    `call()` validates arguments first and turns every failure into a `ToolResult(is_error=True)`.
    """

    __name__: str
    __wrapped__: Callable[P, R]

    def __init__(
        self, function: Callable[P, R], *, name: str | None = None, description: str | None = None
    ) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", ""))
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"tool name {self.name!r} must match [A-Za-z0-9_-]{{1,64}}")
        doc_text, doc_params = parse_docstring(inspect.getdoc(function))
        self._is_async = _is_async(function)
        self._model, self._positional = self._arguments_model(doc_params)
        self.spec = ToolSpec(
            name=self.name,
            description=description if description is not None else doc_text,
            input_schema=self._input_schema(),
            output_schema=self._output_schema(),
        )
        functools.update_wrapper(self, function)  # type: ignore[arg-type]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"FunctionTool({self.name!r})"

    def _arguments_model(self, doc_params: Mapping[str, str]) -> tuple[type[BaseModel], tuple[str, ...]]:
        """A pydantic model of the parameters. Field names are `p0, p1, ...` aliased to the real names,
        so a parameter called `json`, `schema` or `_x` cannot collide with BaseModel attributes."""
        hints = _hints(self.function, self.name)
        fields: dict[str, Any] = {}
        positional: list[str] = []
        for index, param in enumerate(inspect.signature(self.function).parameters.values()):
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                stars = "*" if param.kind is param.VAR_POSITIONAL else "**"
                raise TypeError(
                    f"tool {self.name!r}: {stars}{param.name} is not supported; use named parameters"
                )
            if param.kind is param.POSITIONAL_ONLY:
                positional.append(param.name)
            annotation = hints.get(param.name, Any)
            extra: dict[str, Any] = (
                {"description": doc_params[param.name]} if param.name in doc_params else {}
            )
            if isinstance(param.default, FieldInfo):  # `x: int = Field(3, ge=0)`
                fields[f"p{index}"] = (Annotated[annotation, param.default], Field(alias=param.name, **extra))
            else:
                default = ... if param.default is param.empty else param.default
                fields[f"p{index}"] = (annotation, Field(default, alias=param.name, **extra))
        model = create_model(  # type: ignore[call-overload]
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid", validate_by_alias=True), **fields
        )
        return model, tuple(positional)

    def _input_schema(self) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)  # defaults that are not JSON
            schema = self._model.model_json_schema(by_alias=True, schema_generator=_NoTitles)
        schema.pop("title", None)
        schema.setdefault("properties", {})
        return schema

    def _output_schema(self) -> dict[str, Any] | None:
        """The schema of the return type when it is a JSON object (a model, dataclass, TypedDict, dict)."""
        returns = _hints(self.function, self.name).get("return")
        if returns is None or returns is type(None):
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
                schema = TypeAdapter(returns).json_schema(mode="serialization", schema_generator=_NoTitles)
        except Exception:  # the return type has no JSON schema (ToolResult, str | Image, ...): plain text
            return None
        return schema if schema.get("type") == "object" else None

    def _bind(self, validated: BaseModel) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for field_name, info in type(validated).model_fields.items():
            value = getattr(validated, field_name)
            if info.alias in self._positional:
                args.append(value)
            else:
                kwargs[str(info.alias)] = value
        return args, kwargs

    async def call(self, arguments: Mapping[str, Any], *, timeout_secs: float | None = None) -> ToolResult:
        """Validate `arguments`, run the function, convert what it returns.

        Sync functions run in a worker thread so they never block the event loop. A timeout abandons
        the call (a sync function's thread runs to its end in the background).

        Returns:
            The result; invalid arguments, exceptions and timeouts come back with `is_error=True`.
        """
        try:
            validated = self._model.model_validate(arguments)
        except ValidationError as exc:
            return ToolResult.from_text(format_validation_error(self.name, exc), is_error=True)
        args, kwargs = self._bind(validated)
        try:
            with anyio.move_on_after(timeout_secs) as scope:
                value = await self._run(args, kwargs)
        except Exception as exc:
            return ToolResult.from_text(f"{type(exc).__name__}: {exc}", is_error=True)
        if scope.cancelled_caught:
            return ToolResult.from_text(
                f"tool {self.name!r} timed out after {timeout_secs:g} s", is_error=True
            )
        return to_tool_result(value, structured=self.spec.output_schema is not None)

    async def _run(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self._is_async:
            return await typing.cast(Awaitable[Any], self.function(*args, **kwargs))
        call = functools.partial(self.function, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)


def format_validation_error(tool_name: str, exc: ValidationError) -> str:
    """One line per problem, naming the argument and the value the model sent."""
    lines = [f"invalid arguments for tool {tool_name!r}:"]
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(arguments)"
        got = "" if error["type"] == "missing" else f" (got {error['input']!r:.80})"
        lines.append(f"- {where}: {error['msg']}{got}")
    return "\n".join(lines)


def to_tool_result(value: Any, *, structured: bool = False) -> ToolResult:
    """Convert what a tool function returned: a ToolResult or content blocks pass through, a string is
    text, None is empty, anything else is JSON text (and structured content when `structured`)."""
    if isinstance(value, ToolResult):
        return value
    if isinstance(value, str):
        return ToolResult.from_text(value)
    if value is None:
        return ToolResult()
    if isinstance(value, _BLOCKS):
        return ToolResult(content=(value,))
    if isinstance(value, list | tuple) and value and all(isinstance(item, _BLOCKS) for item in value):
        return ToolResult(content=tuple(typing.cast(Sequence[ContentBlock], value)))
    jsonable = pydantic_core.to_jsonable_python(value, by_alias=True, fallback=str)
    text = pydantic_core.to_json(jsonable).decode()
    content = structured and isinstance(jsonable, dict)
    return ToolResult(content=(TextContent(text=text),), structured_content=jsonable if content else None)


@overload
def tool(
    function: Callable[P, R], /, *, name: str | None = None, description: str | None = None
) -> FunctionTool[P, R]: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None, /, *, name: str | None = None, description: str | None = None
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Turn a sync or async function into a tool: `@tool` or `@tool(name=..., description=...)`.

    Args:
        function: The function; its type hints give the schema, its docstring the descriptions.
        name: The tool name (default: the function's name), `[A-Za-z0-9_-]{1,64}`.
        description: The tool description (default: the docstring before its sections).

    Raises:
        ValueError: The name is not a valid tool name.
        TypeError: The signature has `*args`/`**kwargs` or type hints that do not resolve.
    """
    if function is None:
        return lambda fn: FunctionTool(fn, name=name, description=description)
    return FunctionTool(function, name=name, description=description)


class FunctionToolset:
    """A Toolset of Python functions, called in-process. Plain functions are wrapped with `tool()`.

    Raises:
        ValueError: Two tools share a name.
    """

    def __init__(self, functions: Iterable[FunctionTool[..., Any] | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, FunctionTool[..., Any]] = {}
        for function in functions:
            self.add(function)

    def add(self, function: FunctionTool[..., Any] | Callable[..., Any]) -> FunctionTool[..., Any]:
        """Add one function (wrapped with `tool()` unless it already is); returns the tool."""
        wrapped = function if isinstance(function, FunctionTool) else FunctionTool(function)
        if wrapped.name in self._tools:
            raise ValueError(f"duplicate tool name {wrapped.name!r} in FunctionToolset")
        self._tools[wrapped.name] = wrapped
        return wrapped

    @property
    def tools(self) -> Sequence[ToolSpec]:
        return tuple(function.spec for function in self._tools.values())

    def __getitem__(self, name: str) -> FunctionTool[..., Any]:
        return self._tools[name]

    def __len__(self) -> int:
        return len(self._tools)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout_secs: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ToolResult:
        """Run one tool. An unknown name, bad arguments and failures come back as error results.

        Python functions report no progress; `progress` is accepted for the Toolset protocol.
        """
        function = self._tools.get(name)
        if function is None:
            known = ", ".join(sorted(self._tools)) or "none"
            return ToolResult.from_text(f"unknown tool {name!r}; available tools: {known}", is_error=True)
        return await function.call(arguments, timeout_secs=timeout_secs)


def serve_functions(
    *functions: FunctionTool[..., Any] | Callable[..., Any],
    name: str = "functions",
    transport: Literal["stdio", "http", "ws"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    instructions: str | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve Python functions as an MCP server until interrupted: `serve_functions(add, multiply)`.

    Args:
        functions: The tools, decorated with `@tool` or plain.
        name: The server name clients see.
        transport: `stdio`, streamable `http` (path `/mcp`) or `ws` (WebSocket, subprotocol `mcp`).
        host: The address HTTP and WebSocket bind (loopback unless told otherwise).
        port: The TCP port for HTTP and WebSocket; 0 picks a free one.
        instructions: Text for the client describing the server.
        on_ready: Called with the URL (`stdio` for stdio) once clients can connect.
    """
    from tools.servers._serve import run_toolset  # the MCP server side, imported only when serving

    run_toolset(
        FunctionToolset(functions),
        name=name,
        transport=transport,
        host=host,
        port=port,
        instructions=instructions,
        on_ready=on_ready,
    )
