"""Tool names are made valid and stable; secrets never show in logs, reprs, errors or status."""

from __future__ import annotations

import logging
import re

import anyio
import anyio.abc
import pytest

from mcp_client import HttpSource, McpClientConfig, MCPClientManager, McpServerConfig
from mcp_client._names import prefixed, sanitize
from tests.mcp_client._configs import in_memory

VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("calc", "evaluate", "calc_evaluate"),
        (None, "evaluate", "evaluate"),
        ("my server", "get.weather/now", "my_server_get_weather_now"),
        (None, "héllo wörld!", "h_llo_w_rld"),
        (None, "...", "tool"),
    ],
)
def test_prefix_and_sanitize(prefix: str | None, name: str, expected: str) -> None:
    assert prefixed(prefix, name) == expected


def test_long_names_get_a_stable_hash_suffix() -> None:
    long_a, long_b = "x" * 80 + "_alpha", "x" * 80 + "_beta"
    assert sanitize(long_a) == sanitize(long_a)
    assert sanitize(long_a) != sanitize(long_b)
    assert all(VALID.match(sanitize(n)) for n in (long_a, long_b))


async def test_tools_with_odd_names_are_registered_under_valid_names() -> None:
    async with MCPClientManager(McpClientConfig(servers=[in_memory("changing", tool_prefix="srv")])) as manager:
        odd = "look up: the weather/in " + "a very long city name " * 4
        await manager.call_tool("srv_add_tool", {"name": odd})
        with anyio.fail_after(10):
            while len(manager.tools) < 4:
                await anyio.sleep(0.02)
        registered = next(t for t in manager.tools if t.original_name == odd)
        assert VALID.match(registered.name) and registered.name.startswith("srv_look_up_the_weather_in_a")
        assert (await manager.call_tool(registered.name, {})).text == f"I am {odd}"


async def test_secrets_stay_out_of_status_errors_logs_and_reprs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = HttpSource(url="http://127.0.0.1:9/mcp", headers={"X-Api-Key": "key-SECRET-456"})  # type: ignore[dict-item]
    server = McpServerConfig(
        id="s", name="s", source=source, bearer_token="tok-SECRET-123", connect_timeout_secs=3, restart=False
    )  # type: ignore[arg-type]
    config = McpClientConfig(servers=[server])
    async with MCPClientManager(config) as manager:
        shown = [repr(config), str(config), repr(manager.status()), str(manager.status()[0].error)]
    shown += [record.getMessage() for record in caplog.records]
    for text in shown:
        assert "SECRET" not in text
    assert manager.status()[0].error


async def test_bearer_token_and_headers_are_sent_on_the_wire() -> None:
    """A raw loopback listener records the first HTTP request the manager makes."""
    received = bytearray()

    async def handle(client: anyio.abc.SocketStream) -> None:
        async with client:
            with anyio.move_on_after(5):
                while b"\r\n\r\n" not in received:
                    received.extend(await client.receive())

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as task_group:
        task_group.start_soon(listener.serve, handle)
        source = HttpSource(url=f"http://127.0.0.1:{port}/mcp", headers={"X-Api-Key": "k-1"})  # type: ignore[dict-item]
        server = McpServerConfig(id="s", name="s", source=source, bearer_token="t-2", connect_timeout_secs=2,
                                 restart=False)  # type: ignore[arg-type]
        async with MCPClientManager(McpClientConfig(servers=[server])):
            pass
        task_group.cancel_scope.cancel()
    head = received.decode("latin-1").lower()
    assert head.startswith("post /mcp http/1.1")
    assert "authorization: bearer t-2\r\n" in head and "x-api-key: k-1\r\n" in head
