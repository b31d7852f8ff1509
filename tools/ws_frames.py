"""The wire format of MCP over WebSocket, shared by our client and server: subprotocol `mcp`, one
JSON-RPC message per text frame. (mcp 2.x has no WebSocket transport of its own.)"""

from __future__ import annotations

import mcp_types as types
from mcp.shared.message import SessionMessage
from websockets.typing import Subprotocol

SUBPROTOCOL = Subprotocol("mcp")
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""Largest frame accepted: tool results (a file, an image) outgrow websockets' 1 MiB default."""


def parse_frame(frame: str | bytes) -> SessionMessage | Exception:
    """One frame as a message, or the error as a value for the session, so a bad frame is not fatal."""
    if isinstance(frame, bytes):
        return ValueError(f"binary WebSocket frame of {len(frame)} bytes: MCP messages travel in text frames")
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(frame, by_name=False))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return exc


def encode(message: SessionMessage) -> str:
    return message.message.model_dump_json(by_alias=True, exclude_unset=True)
