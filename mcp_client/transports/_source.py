"""The one mapping from a server's config source to the transport that reaches it."""

from __future__ import annotations

from typing import assert_never

from mcp_client.config import HttpSource, McpServerConfig, MemorySource, ProcessSource, WebSocketSource
from mcp_client.transports._base import Transport
from mcp_client.transports.http import HttpTransport
from mcp_client.transports.memory import MemoryTransport
from mcp_client.transports.stdio import StdioTransport
from mcp_client.transports.websocket import WebSocketTransport


def headers_of(config: McpServerConfig) -> dict[str, str]:
    """Header values (secrets revealed only here, on their way onto the wire) plus the bearer token."""
    source = config.source
    raw = source.headers if isinstance(source, HttpSource | WebSocketSource) else None
    headers = {k: v.get_secret_value() for k, v in (raw or {}).items()}
    if config.bearer_token is not None:
        headers["Authorization"] = f"Bearer {config.bearer_token.get_secret_value()}"
    return headers


def transport_for(config: McpServerConfig) -> Transport:
    """The transport of `config.source`. Constructing it starts and connects nothing."""
    source, name = config.source, config.name
    match source:
        case ProcessSource():
            return StdioTransport(
                source.command, source.args, env=source.env, cwd=source.work_dir, server_name=name
            )
        case HttpSource():
            return _http(config, source)
        case WebSocketSource():
            return WebSocketTransport(
                source.url, headers=headers_of(config), timeout_secs=source.timeout_secs, server_name=name
            )
        case MemorySource():
            return MemoryTransport(source.server, server_name=name)
        case _:
            assert_never(source)


def _http(config: McpServerConfig, source: HttpSource) -> HttpTransport:
    """Streamable HTTP, legacy HTTP+SSE, or (`auto`) streamable HTTP falling back to legacy HTTP+SSE."""

    def http(*, legacy_sse: bool, fallback: HttpTransport | None = None) -> HttpTransport:
        return HttpTransport(
            source.url,
            headers=headers_of(config),
            timeout_secs=source.timeout_secs,
            legacy_sse=legacy_sse,
            fallback=fallback,
            server_name=config.name,
        )

    if source.transport == "sse":
        return http(legacy_sse=True)
    return http(legacy_sse=False, fallback=http(legacy_sse=True) if source.transport == "auto" else None)
