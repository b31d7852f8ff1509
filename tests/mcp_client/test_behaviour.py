"""What the manager keeps and relays. Over an in-process server (the memory transport) for what is the
manager's own doing; also over stdio, streamable HTTP, legacy SSE and WebSocket for what each transport
must carry: every kind of content, a cancellation from the client, an unsolicited notification."""

from __future__ import annotations

import anyio
import pytest

from mcp_client import McpClientConfig, MCPClientError, MCPClientManager
from tests.mcp_client._configs import TRANSPORTS, in_memory, server_config
from tests.servers import rich
from tools import AudioContent, ImageContent, ResourceContent, TextContent

over_every_transport = pytest.mark.parametrize("transport", ["memory", *TRANSPORTS])


@over_every_transport
async def test_every_content_type_structured_content_and_is_error_are_kept(transport: str) -> None:
    async with server_config("rich", transport, tool_prefix="r") as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            mixed = await manager.call_tool("r_mixed", {})
            kinds = [type(block) for block in mixed.content]
            assert kinds == [TextContent, ImageContent, AudioContent, ResourceContent, ResourceContent]
            image, audio = mixed.content[1], mixed.content[2]
            assert isinstance(image, ImageContent) and image.mime_type == "image/png" and image.data
            assert isinstance(audio, AudioContent) and audio.mime_type == "audio/wav"
            embedded, link = mixed.content[3], mixed.content[4]
            assert isinstance(embedded, ResourceContent) and embedded.text == rich.NOTES_A
            assert isinstance(link, ResourceContent) and link.uri == "file:///secret/b.txt" and link.text is None
            weather = await manager.call_tool("r_weather", {"city": "Oslo"})
            assert weather.structured_content == {"city": "Oslo", "temperature_c": 21.5, "conditions": "sunny"}
            failed = await manager.call_tool("r_fail", {"message": "the frobnicator broke"})
            assert failed.is_error and failed.text.endswith("the frobnicator broke")
            tool = next(t for t in manager.tools if t.name == "r_weather")
            assert tool.output_schema is not None and "temperature_c" in tool.output_schema["properties"]


async def test_progress_notifications_reach_the_caller() -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with MCPClientManager(McpClientConfig(servers=[in_memory("progress")])) as manager:
        result = await manager.call_tool("count", {"n": 4}, progress=progress)
    assert result.text == "counted to 4"
    assert seen == [(i, 4, f"step {i} of 4") for i in range(1, 5)]


@over_every_transport
async def test_tools_list_changed_refreshes_the_registry(transport: str) -> None:
    async with server_config("changing", transport, tool_prefix="c") as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            changes: list[int] = []
            manager.on_change(lambda: changes.append(len(manager.tools)))
            await manager.call_tool("c_add_tool", {"name": "fresh"})
            with anyio.fail_after(10):
                while "c_fresh" not in {t.name for t in manager.tools}:
                    await anyio.sleep(0.02)
            assert (await manager.call_tool("c_fresh", {})).text == "I am fresh"
            await manager.call_tool("c_remove_tool", {"name": "fresh"})
            with anyio.fail_after(10):
                while "c_fresh" in {t.name for t in manager.tools}:
                    await anyio.sleep(0.02)
            assert changes


async def test_listings_follow_next_cursor() -> None:
    server = in_memory("changing", "--page-size", "2", "--extra-tools", "7")
    async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
        names = {t.name for t in manager.tools}
    assert {f"extra_{i:03d}" for i in range(7)} <= names and "echo" in names


@over_every_transport
async def test_timeout_sends_cancel_and_a_late_reply_is_discarded(transport: str) -> None:
    async with server_config("slow", transport) as server:
        async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
            with anyio.fail_after(10):
                timed_out = await manager.call_tool("sleep", {"seconds": 0.6}, timeout_secs=0.2)
            assert timed_out.is_error and "timed out after 0.2 s" in timed_out.text
            await anyio.sleep(0.6)  # the reply to the abandoned call, had it been sent, is due by now
            assert (await manager.call_tool("echo", {"text": "mine"})).text == "mine"
            with anyio.fail_after(10):
                while (await manager.call_tool("cancelled_count", {})).text != "1":
                    await anyio.sleep(0.05)


async def test_resources_follow_the_server_patterns_and_prompts_render() -> None:
    server = in_memory("rich", resources=["file:///notes/*", "mem://*"])
    async with MCPClientManager(McpClientConfig(servers=[server])) as manager:
        uris = {r.uri for r in await manager.list_resources()}
        assert uris == {"file:///notes/a.txt", "mem://x", "mem://logo.png"}
        (content,) = await manager.read_resource("file:///notes/a.txt")
        assert content.text == rich.NOTES_A
        (logo,) = await manager.read_resource("mem://logo.png")
        assert logo.blob and logo.mime_type == "image/png"
        with pytest.raises(MCPClientError, match="no connected server exposes resource 'file:///secret/b.txt'"):
            await manager.read_resource("file:///secret/b.txt")
        (prompt,) = await manager.list_prompts()
        assert prompt.name == "greet" and [a.name for a in prompt.arguments] == ["name"]
        (message,) = await manager.get_prompt("greet", {"name": "Ada"})
        assert message.role == "user"
        assert isinstance(message.content, TextContent) and message.content.text == "Please greet Ada warmly."
