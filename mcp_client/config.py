"""MCP client configuration: mistral.rs-compatible models, plus the `{"mcpServers": {...}}` shape.

`McpClientConfig.load(path)` reads either JSON shape unchanged, expands `${VAR}` (and
`${VAR:-default}`) from the environment, and reports a bad value by its path:
`servers[2].source.url: 'htp://x' is not an http(s) URL`. `MemorySource` (an in-process server)
is made in Python only: it holds a live object, and the JSON schema does not show it.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from mcp.server.lowlevel import Server
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from mcp_client.errors import MCPConfigError
from tools import Toolset
from tools._paths import field_path

_TAGS = frozenset({"Process", "Http", "WebSocket", "Memory"})
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_url(url: str, schemes: tuple[str, ...], kind: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{url!r} is not {kind} URL")
    return url


class ProcessSource(_Model):
    """A server started as a child process, spoken to over its stdin and stdout."""

    type: Literal["Process"] = Field("Process", description="Source kind.")
    command: str = Field(min_length=1, description="Executable to run (looked up on PATH).")
    args: list[str] = Field(default_factory=list, description="Arguments to the executable.")
    work_dir: str | None = Field(None, description="Working directory of the process.")
    env: dict[str, str] | None = Field(None, description="Extra environment variables for the process.")


class HttpSource(_Model):
    """A server reached over streamable HTTP (or legacy HTTP+SSE)."""

    type: Literal["Http"] = Field("Http", description="Source kind.")
    url: str = Field(description="The server's MCP endpoint, http:// or https://.")
    timeout_secs: float | None = Field(None, gt=0, description="Timeout for connecting and each request.")
    headers: dict[str, SecretStr] | None = Field(None, description="Extra HTTP headers (values kept secret).")
    transport: Literal["auto", "streamable", "sse"] = Field(
        "auto", description="Streamable HTTP, legacy HTTP+SSE, or auto: streamable, falling back to SSE."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, ("http", "https"), "an http(s)")


class WebSocketSource(_Model):
    """A server reached over WebSocket (subprotocol `mcp`)."""

    type: Literal["WebSocket"] = Field("WebSocket", description="Source kind.")
    url: str = Field(description="The server's WebSocket URL, ws:// or wss://.")
    timeout_secs: float | None = Field(None, gt=0, description="Timeout for opening the connection.")
    headers: dict[str, SecretStr] | None = Field(None, description="Handshake headers (values kept secret).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, ("ws", "wss"), "a ws(s)")


InProcessServer = Server[Any] | MCPServer | Toolset
"""What a memory source serves: an SDK server (low-level `Server` or `MCPServer`), or any `tools.Toolset`."""


class MemorySource(_Model):
    """A server in this process, reached through memory streams: no process, no socket.

    `server` is an SDK `Server` or `MCPServer`, or any `tools.Toolset` (a `FunctionToolset` of `@tool`
    functions, ...), which is served under the server's `name`. Made in Python only: a config file
    cannot hold a live object.

    Example::

        McpServerConfig(name="local", source=MemorySource(server=FunctionToolset([word_count])))
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, arbitrary_types_allowed=True)

    type: Literal["Memory"] = Field("Memory", description="Source kind.")
    server: Any = Field(description="The in-process MCP server, or a Toolset to serve as one.")

    @model_validator(mode="before")
    @classmethod
    def _made_in_python(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "server" not in data:
            made = "a Memory source is made in Python (MemorySource(server=...))"
            raise ValueError(f"{made}; a config file cannot hold one")
        return data

    @field_validator("server")
    @classmethod
    def _server(cls, value: Any) -> InProcessServer:
        if isinstance(value, Server | MCPServer | Toolset):
            return value
        raise ValueError("expected an in-process mcp Server, MCPServer or tools.Toolset, made in Python")


ServerSource = Annotated[
    ProcessSource | HttpSource | WebSocketSource | SkipJsonSchema[MemorySource], Field(discriminator="type")
]


class McpServerSource:
    """mistral.rs-style constructors: `McpServerSource.Process(command=...)`, `.Http(url=...)`, `.WebSocket(...)`,
    and ours, `.Memory(server=...)`."""

    Process = ProcessSource
    Http = HttpSource
    WebSocket = WebSocketSource
    Memory = MemorySource


class McpServerConfig(_Model):
    """One MCP server: where it is, and how its tools are registered and called."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), description="Stable id of the server.")
    name: str = Field(min_length=1, description="Human-readable name, used in logs and errors.")
    source: ServerSource = Field(description="How to reach the server.")
    enabled: bool = Field(True, description="Disabled servers are not started.")
    tool_prefix: str | None = Field(None, description="Registered tool names become `{prefix}_{name}`.")
    resources: list[str] | None = Field(None, description="Glob patterns of resource URIs to expose.")
    bearer_token: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer ...`.")
    connect_timeout_secs: float = Field(15.0, gt=0, description="Limit for starting and initializing.")
    tool_timeout_secs: float | None = Field(None, gt=0, description="Per-server override of the call timeout.")
    max_concurrent_calls: int | None = Field(None, ge=1, description="Per-server bound on calls in flight.")
    restart: bool = Field(True, description="Reconnect (restart the process) when the connection is lost.")
    max_restarts: int = Field(5, ge=0, description="Failures in a row before giving up until restart() is called.")
    backoff_initial_secs: float = Field(0.5, gt=0, description="First wait before reconnecting; doubles each time.")
    backoff_max_secs: float = Field(30.0, gt=0, description="Longest wait between reconnection attempts.")
    allow_tools: list[str] | None = Field(None, description="Only register these tools (glob patterns).")
    deny_tools: list[str] | None = Field(None, description="Never register these tools (glob patterns).")


class McpClientConfig(_Model):
    """All MCP servers of a client, and the limits that apply across them."""

    servers: list[McpServerConfig] = Field(default_factory=list, description="The servers to connect.")
    auto_register_tools: bool = Field(True, description="Register every discovered tool automatically.")
    tool_timeout_secs: float | None = Field(30.0, gt=0, description="Default limit for one tool call.")
    max_concurrent_calls: int | None = Field(10, ge=1, description="Bound on tool calls in flight, all servers.")

    @classmethod
    def from_data(cls, data: Any, *, origin: str = "config") -> McpClientConfig:
        """Validate mistral.rs JSON or `{"mcpServers": {...}}` data, with `${VAR}` expanded."""
        if not isinstance(data, Mapping):
            raise MCPConfigError(f"{origin}: expected a JSON object, got {type(data).__name__}")
        expanded = _expand_env(data, "")
        if "mcpServers" in expanded:
            expanded = _from_mcp_servers(expanded, origin)
        try:
            return cls.model_validate(expanded)
        except ValidationError as exc:
            raise MCPConfigError(_describe(exc, origin)) from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> McpClientConfig:
        """Read a config file. Raises MCPConfigError naming the file, the field and the value."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise MCPConfigError(f"cannot read MCP config {str(file)!r}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MCPConfigError(f"{file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        return cls.from_data(data, origin=str(file))


def _expand_env(value: Any, path: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise MCPConfigError(f"{path or 'config'}: environment variable {name!r} is not set")

        return _ENV_REF.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: _expand_env(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _from_mcp_servers(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """Claude Desktop / VS Code / Cursor shape to ours: each entry has `command` or `url`."""
    servers_in = data["mcpServers"]
    if not isinstance(servers_in, Mapping):
        raise MCPConfigError(f"{origin}: mcpServers: expected an object of servers by name")
    rest = {k: v for k, v in data.items() if k not in ("mcpServers", "servers")}
    servers: list[dict[str, Any]] = []
    for name, entry in servers_in.items():
        if not isinstance(entry, Mapping):
            raise MCPConfigError(f"{origin}: mcpServers.{name}: expected an object")
        entry = dict(entry)
        common = {"id": name, "name": name, "enabled": not entry.pop("disabled", False)}
        if "command" in entry:
            source = {
                "type": "Process",
                "command": entry.pop("command"),
                "args": entry.pop("args", []),
                "env": entry.pop("env", None),
                "work_dir": entry.pop("cwd", None),
            }
            entry.pop("type", None)
        elif "url" in entry:
            kind = str(entry.pop("type", "http")).lower()
            source = {"type": "WebSocket" if kind in ("ws", "websocket") else "Http", "url": entry.pop("url")}
            source["headers"] = entry.pop("headers", None)
            if kind == "sse":
                source["transport"] = "sse"
        else:
            raise MCPConfigError(f"{origin}: mcpServers.{name}: needs 'command' or 'url'")
        servers.append({**common, "source": source, **entry})
    return {**rest, "servers": servers}


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for error in exc.errors():
        # Drop the union's tag from the path: `source.Http.url` reads as `source.url`.
        loc = [p for i, p in enumerate(error["loc"]) if not (i and error["loc"][i - 1] == "source" and p in _TAGS)]
        path = field_path(loc)
        value = error.get("input")
        shown = "" if isinstance(value, Mapping | list) or error["type"] == "missing" else f" (got {value!r})"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{path or '<root>'}: {message}{shown}")
    return f"invalid MCP config {origin}: " + "; ".join(lines)
