"""`mcpagent tools` as a user runs it: real MCP servers over stdio, no model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MCPAGENT = str(Path(sys.executable).parent / "mcpagent")
CALCULATOR = {"command": sys.executable, "args": ["-m", "tools", "calculator", "--transport", "stdio"]}
GHOST = {"command": "ghost-mcp-server-xyz"}


def _tools(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [MCPAGENT, "tools", *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def _rows(table: str) -> dict[str, list[str]]:
    """A rich table's body rows by their first cell."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.splitlines() if line.startswith("│")]
    return {row[0]: row[1:] for row in rows}


def _config(tmp_path: Path, servers: dict[str, dict[str, object]]) -> str:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return str(path)


def test_lists_the_bundled_servers_and_their_tools() -> None:
    done = _tools()
    assert done.returncode == 0, done.stderr
    servers, tools = done.stdout.split("Tools", 1)
    assert _rows(servers) == {"calculator": ["ready", "stdio", "1", ""], "clock": ["ready", "stdio", "2", ""]}
    rows = _rows(tools)
    assert rows.keys() == {"calc_evaluate", "clock_now", "clock_convert_time"}
    assert rows["clock_now"] == ["clock", "The current date and time in an IANA time zone, in ISO 8601."]
    assert rows["calc_evaluate"][0] == "calculator"


def test_json_output() -> None:
    done = _tools("--json")
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert [(s["name"], s["state"], s["tools"], s["error"]) for s in listing["servers"]] == [
        ("calculator", "ready", 1, None),
        ("clock", "ready", 2, None),
    ]
    now = next(t for t in listing["tools"] if t["name"] == "clock_now")
    assert now["server"] == "clock" and now["original_name"] == "now"
    assert "timezone" in now["input_schema"]["properties"]


def test_a_dead_server_is_listed_with_its_error(tmp_path: Path) -> None:
    done = _tools("--mcp-config", _config(tmp_path, {"ghost": GHOST, "calculator": CALCULATOR}))
    assert done.returncode == 0, done.stderr
    servers, tools = done.stdout.split("Tools", 1)
    rows = _rows(servers)
    assert rows["calculator"][:3] == ["ready", "stdio", "1"]
    state, _, count, error = rows["ghost"]
    assert (state, count) == ("failed", "0")
    assert error.startswith("command 'ghost-mcp-server-xyz' not found")
    assert _rows(tools).keys() == {"evaluate"}

    # With no server working, the listing is still printed, and the exit status says so.
    done = _tools("--mcp-config", _config(tmp_path, {"ghost": GHOST}), "--json")
    assert done.returncode == 1
    assert [s["state"] for s in json.loads(done.stdout)["servers"]] == ["failed"]
    assert done.stderr.strip() == "error: no MCP server could be started"


def test_malformed_config_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text('{"servers": [{"name": "x", "source": {"type": "Http", "url": "htp://x"}}]}')
    done = _tools("--mcp-config", str(config))
    assert done.returncode == 1
    assert done.stdout == ""
    error, hint = done.stderr.strip().splitlines()
    assert error.startswith("error: ") and "servers[0].source.url: 'htp://x' is not an http(s) URL" in error
    assert hint.startswith("hint: check --mcp-config")
