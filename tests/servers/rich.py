"""A test MCP server whose results carry every kind of content, plus resources and a prompt.

Tools:
    image(): one image block, a real 2x2 PNG (`PNG`, base64, `image/png`).
    audio(): one audio block, a real 8-sample WAV (`WAV`, base64, `audio/wav`).
    resources(): an embedded text resource (`file:///notes/a.txt`, text `NOTES_A`) and a resource link
        (`file:///secret/b.txt`, name `b.txt`).
    mixed(): text `here is everything`, then the image, the audio, the embedded resource and the link.
    weather(city): structuredContent `{"city", "temperature_c": 21.5, "conditions": "sunny"}` with an
        outputSchema, and the same as JSON text.
    fail(message): an `isError` result whose one text block is `message`.
    echo(text): returns `text`.

Resources (`resources/read`): `file:///notes/a.txt` (`NOTES_A`), `file:///secret/b.txt` (`SECRET_B`),
`mem://x` (`MEM_X`), all `text/plain`; `mem://logo.png`, the PNG as a blob.

Prompts (`prompts/get`): `greet(name)`, one user message `Please greet {name} warmly.`
"""

from __future__ import annotations

import base64
import io
import struct
import wave
import zlib

from mcp.server.mcpserver import MCPServer
from mcp_types import (
    AudioContent,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from pydantic import BaseModel, Field

NOTES_A = "alpha notes: buy milk"
SECRET_B = "the secret is b"
MEM_X = "x marks the spot"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour: signature, IHDR, one zlib IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _wav(samples: list[int], rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


PNG = _png(2, 2, (255, 0, 0))
WAV = _wav([0, 8000, 16000, 8000, 0, -8000, -16000, -8000])


class Weather(BaseModel):
    """The structured result of `weather`."""

    city: str = Field(description="The city asked about.")
    temperature_c: float = Field(description="Air temperature in degrees Celsius.")
    conditions: str = Field(description="A word for the sky.")


def image_block() -> ImageContent:
    return ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png")


def audio_block() -> AudioContent:
    return AudioContent(data=base64.b64encode(WAV).decode(), mime_type="audio/wav")


def resource_blocks() -> list[ContentBlock]:
    embedded = TextResourceContents(uri="file:///notes/a.txt", mime_type="text/plain", text=NOTES_A)
    link = ResourceLink(uri="file:///secret/b.txt", name="b.txt", mime_type="text/plain")
    return [EmbeddedResource(resource=embedded), link]


def build() -> MCPServer:
    """A fresh `rich` server."""
    server = MCPServer("rich")

    @server.tool()
    def image() -> ImageContent:
        """A 2x2 red PNG."""
        return image_block()

    @server.tool()
    def audio() -> AudioContent:
        """A short WAV."""
        return audio_block()

    @server.tool()
    def resources() -> list[ContentBlock]:
        """An embedded text resource and a resource link."""
        return resource_blocks()

    @server.tool()
    def mixed() -> list[ContentBlock]:
        """Text, image, audio, an embedded resource and a resource link."""
        return [TextContent(text="here is everything"), image_block(), audio_block(), *resource_blocks()]

    @server.tool()
    def weather(city: str) -> Weather:
        """The weather in `city`, as structured content."""
        return Weather(city=city, temperature_c=21.5, conditions="sunny")

    @server.tool()
    def fail(message: str) -> CallToolResult:
        """Fail with `message`: an `isError` result."""
        # Returned rather than raised: a raised ToolError's text gets an `Error executing tool fail: ` prefix.
        return CallToolResult(content=[TextContent(text=message)], is_error=True)

    @server.tool()
    def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    @server.resource("file:///notes/a.txt", name="a.txt", mime_type="text/plain")
    def notes_a() -> str:
        return NOTES_A

    @server.resource("file:///secret/b.txt", name="b.txt", mime_type="text/plain")
    def secret_b() -> str:
        return SECRET_B

    @server.resource("mem://x", name="x", mime_type="text/plain")
    def mem_x() -> str:
        return MEM_X

    @server.resource("mem://logo.png", name="logo.png", mime_type="image/png")
    def logo() -> bytes:
        return PNG

    @server.prompt()
    def greet(name: str) -> str:
        """Ask for a warm greeting."""
        return f"Please greet {name} warmly."

    return server
