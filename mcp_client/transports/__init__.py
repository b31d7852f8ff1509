"""Transports for each server source: stdio process, streamable HTTP (or legacy SSE), WebSocket."""

from __future__ import annotations

from mcp_client.transports._open import open_transport, transport_name
from mcp_client.transports.stdio import Ended

__all__ = ["Ended", "open_transport", "transport_name"]
