"""Transports: the `Transport` protocol, its stdio, HTTP, WebSocket and in-memory implementations, and
`transport_for`, the one mapping from a server's config source to its transport."""

from __future__ import annotations

from mcp_client.transports._base import Transport, TransportStreams
from mcp_client.transports._source import transport_for
from mcp_client.transports.http import HttpTransport
from mcp_client.transports.memory import InProcessServer, MemoryTransport
from mcp_client.transports.stdio import StdioTransport
from mcp_client.transports.websocket import WebSocketTransport

__all__ = [
    "HttpTransport",
    "InProcessServer",
    "MemoryTransport",
    "StdioTransport",
    "Transport",
    "TransportStreams",
    "WebSocketTransport",
    "transport_for",
]
