"""Opening a transport for a server source: stdio process, streamable HTTP, or WebSocket."""

from __future__ import annotations

from mcp_client.transports._open import open_transport, transport_name

__all__ = ["open_transport", "transport_name"]
