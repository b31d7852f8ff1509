"""Config loading: mistral.rs JSON and mcpServers JSON unchanged, env expansion, errors by path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_client import (
    HttpSource,
    McpClientConfig,
    MCPConfigError,
    McpServerConfigPy,
    McpServerSourcePy,
    ProcessSource,
    WebSocketSource,
)

MISTRALRS = {
    "servers": [
        {
            "name": "Filesystem Tools",
            "source": {"type": "Process", "command": "npx", "args": ["@modelcontextprotocol/server-filesystem", "."]},
            "tool_prefix": "fs",
        },
        {
            "id": "hf",
            "name": "Hugging Face MCP",
            "source": {"type": "Http", "url": "https://hf.co/mcp", "timeout_secs": 30, "headers": {"X-A": "b"}},
            "bearer_token": "hf_secret",
            "enabled": False,
        },
        {"name": "ws", "source": {"type": "WebSocket", "url": "ws://127.0.0.1:9000/mcp"}},
    ],
    "auto_register_tools": True,
    "tool_timeout_secs": 45,
    "max_concurrent_calls": 5,
}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(data))
    return path


def test_mistralrs_json_loads_unchanged(tmp_path: Path) -> None:
    config = McpClientConfig.load(_write(tmp_path, MISTRALRS))
    fs, hf, ws = config.servers
    assert isinstance(fs.source, ProcessSource) and fs.source.args[0].startswith("@model")
    assert fs.tool_prefix == "fs" and fs.id  # an id is generated when absent
    assert isinstance(hf.source, HttpSource) and hf.enabled is False and hf.source.timeout_secs == 30
    assert isinstance(ws.source, WebSocketSource)
    assert (config.tool_timeout_secs, config.max_concurrent_calls) == (45, 5)


def test_secrets_stay_out_of_reprs(tmp_path: Path) -> None:
    config = McpClientConfig.load(_write(tmp_path, MISTRALRS))
    assert "hf_secret" not in repr(config) and "hf_secret" not in str(config.servers[1])
    assert config.servers[1].bearer_token is not None
    assert config.servers[1].bearer_token.get_secret_value() == "hf_secret"


def test_mcp_servers_shape_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "t0k")
    data = {
        "mcpServers": {
            "files": {"command": "python", "args": ["-m", "x"], "env": {"TOKEN": "${MY_TOKEN}"}, "cwd": "/tmp"},
            "remote": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer ${MY_TOKEN}"}},
            "sock": {"url": "ws://127.0.0.1:9/mcp", "type": "ws"},
            "off": {"command": "x", "disabled": True},
        }
    }
    config = McpClientConfig.load(_write(tmp_path, data))
    files, remote, sock, off = config.servers
    assert isinstance(files.source, ProcessSource)
    assert files.source.env == {"TOKEN": "t0k"} and files.source.work_dir == "/tmp" and files.name == "files"
    assert isinstance(remote.source, HttpSource) and remote.source.headers is not None
    assert remote.source.headers["Authorization"].get_secret_value() == "Bearer t0k"
    assert isinstance(sock.source, WebSocketSource)
    assert off.enabled is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"servers": [{"name": "a", "source": {"type": "Http", "url": "htp://x"}}]},
         "servers[0].source.url: 'htp://x' is not an http(s) URL"),
        ({"servers": [{"name": "a", "source": {"type": "Carrier", "url": "x"}}]}, "servers[0].source"),
        ({"servers": [{"source": {"type": "Process", "command": "x"}}]}, "servers[0].name: Field required"),
        ({"servers": [], "tool_timeout_secs": -1}, "tool_timeout_secs"),
        ({"servers": [{"name": "a", "source": {"type": "Process", "command": "${NOPE_NOT_SET_VAR}"}}]},
         "servers[0].source.command: environment variable 'NOPE_NOT_SET_VAR' is not set"),
        ({"mcpServers": {"a": {"args": []}}}, "mcpServers.a: needs 'command' or 'url'"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_config_names_the_path_and_value(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(MCPConfigError) as info:
        McpClientConfig.load(_write(tmp_path, data))
    assert message in str(info.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(MCPConfigError, match="cannot read MCP config"):
        McpClientConfig.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"servers": [,]}')
    with pytest.raises(MCPConfigError, match="line 1 column 14"):
        McpClientConfig.load(bad)


def test_mistralrs_python_names_work() -> None:
    server = McpServerConfigPy(name="calc", source=McpServerSourcePy.Process(command="python", args=["-m", "tools"]))
    assert server.source.type == "Process"
