"""Loopback engines for the remote backends' tests: llama-cpp-python's real OpenAI-compatible server and
llama.cpp's own `llama-server` (token-id prompts), run as subprocesses on the embedded GGUF, and a tiny
threaded HTTP server that answers canned replies and garbage by path
(`http://127.0.0.1:PORT/<scenario>/v1/chat/completions`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

from tests._net import free_port
from tools.launch import stop_process


@contextmanager
def llama_cpp_server(model: Path, log: Path, *, api_key: str, alias: str) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free loopback port; yields its base URL once /v1/models answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "1",
        "--api_key", api_key,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, f"{url}/v1/models", api_key, log)
            yield url
        finally:
            stop_process(process)


def llama_server_binary() -> Path | None:
    """llama.cpp's `llama-server` as `make llama-server` builds it (MCPAGENT_LLAMA_SERVER, which the Makefile
    exports), or the one in its cache; None when it has not been built."""
    named = os.environ.get("MCPAGENT_LLAMA_SERVER")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mcpagent" / "llama-server"
    found = [Path(named)] if named else sorted(cache.glob("*/llama-server"))
    return next((path for path in found if path.is_file()), None)


@contextmanager
def llama_server(binary: Path, model: Path, log: Path) -> Iterator[str]:
    """llama.cpp's `llama-server` on a free loopback port; yields its root URL once /health answers."""
    port = free_port()
    command = [
        str(binary), "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
        "--ctx-size", "4096", "--threads", "2", "--parallel", "1",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, f"{url}/health", "", log)
            yield url
        finally:
            stop_process(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, api_key: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx2.Client(headers=headers, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} did not answer {url} within 60 s:\n{log.read_text()[-3000:]}")


# -- the fake engine ----------------------------------------------------------------------------------


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """One OpenAI stream chunk."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"object": "chat.completion.chunk", "choices": [choice], **extra}


CANNED = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": "Let me check.",
                "reasoning_content": "The user wants the time.",
                "tool_calls": [
                    {"id": "call_A1", "type": "function",
                     "function": {"name": "clock_now", "arguments": "{\"timezone\": \"Europe/Paris\"}"}},
                    {"type": "function", "function": {"name": "calc_evaluate", "arguments": "2 + 2"}},
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 50, "completion_tokens": 11, "prompt_tokens_details": {"cached_tokens": 40}},
    "timings": {"prompt_n": 10, "prompt_ms": 25.0, "predicted_n": 11, "predicted_ms": 100.0, "cache_n": 40},
}  # fmt: skip

CANNED_STREAM = [
    chunk({"role": "assistant"}),
    chunk({"reasoning_content": "The user "}),
    chunk({"reasoning_content": "wants the time."}),
    chunk({"content": "Let me "}),
    chunk({"content": "check."}),
    chunk({"tool_calls": [{"index": 0, "id": "call_A1", "type": "function",
                           "function": {"name": "clock_now", "arguments": ""}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"timezone\": "}}]}),
    chunk({"tool_calls": [{"index": 1, "type": "function",
                           "function": {"name": "calc_evaluate", "arguments": "{\"ex"}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": "\"Europe/Paris\"}"}}]}),
    chunk({"tool_calls": [{"index": 1, "function": {"arguments": "pression\": \"2+2\"}"}}]}),
    chunk({}, "tool_calls"),
    {"object": "chat.completion.chunk", "choices": [],
     "usage": {"prompt_tokens": 50, "completion_tokens": 11, "prompt_tokens_details": {"cached_tokens": 40}}},
]  # fmt: skip

# What engines write beyond OpenAI's spec: parts for content, `reasoning` for `reasoning_content`, their own
# finish reasons, nulls for what they leave out, calls without index, llama-server's `timings`.
QUIRKS = {
    "choices": [{"finish_reason": "eos", "logprobs": None, "message": {
        "role": "assistant", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
        "reasoning_content": None, "reasoning": "Greet.", "tool_calls": None, "function_call": None}}],
    "usage": None, "system_fingerprint": None,
    "timings": {"prompt_n": 4, "prompt_ms": 5.0, "predicted_n": 3, "predicted_ms": 20.0, "prompt_per_second": 800.0},
}  # fmt: skip

QUIRKS_STREAM = [
    chunk({"role": "assistant", "content": None, "tool_calls": None}),
    chunk({"reasoning": "Greet."}),
    chunk({"tool_calls": [{"id": "call_B2", "function": {"name": "clock_now", "arguments": "{\"timezone\": "}}]}),
    chunk({"tool_calls": [{"id": None, "function": {"name": None, "arguments": "\"UTC\"}"}}]}),
    chunk({}, "function_call", usage=None),
]  # fmt: skip


def _sse(events: list[Any], *, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(event) if not isinstance(event, str) else event}\n\n" for event in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    length: int | None = None
    """Content-Length to announce; None sends the real length, -1 none (the body ends when the socket closes)."""
    delay_secs: float = 0.0


def _json(value: Any, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(value).encode())


def _echo(request: dict[str, Any], headers: dict[str, str]) -> Reply:
    seen = {"body": request, "authorization": headers.get("authorization")}
    message = {"role": "assistant", "content": json.dumps(seen)}
    return _json({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})


_STREAM = "text/event-stream"

SCENARIOS: dict[str, Callable[[str, dict[str, Any], dict[str, str]], Reply]] = {
    "canned": lambda path, body, headers: (
        Reply(body=_sse(CANNED_STREAM), content_type=_STREAM) if body.get("stream") else _json(CANNED)
    ),
    "quirks": lambda path, body, headers: (
        Reply(body=_sse(QUIRKS_STREAM), content_type=_STREAM) if body.get("stream") else _json(QUIRKS)
    ),
    "echo": lambda path, body, headers: _echo(body, headers),
    "notjson": lambda path, body, headers: Reply(body=b"<html><body>It works!</body></html>"),
    "error500": lambda path, body, headers: _json({"error": {"message": "model exploded", "code": 500}}, 500),
    "unavailable": lambda path, body, headers: Reply(status=503, body=b"Loading model", content_type="text/plain"),
    "nochoices": lambda path, body, headers: _json({"id": "x", "object": "chat.completion"}),
    "cutsse": lambda path, body, headers: Reply(
        body=_sse([chunk({"content": "Hel"})], done=False), content_type=_STREAM, length=-1
    ),
    "badsse": lambda path, body, headers: Reply(
        body=_sse([chunk({"content": "Hel"}), "{not json"]), content_type=_STREAM
    ),
    "truncated": lambda path, body, headers: Reply(body=b'{"choices": [', length=1000),
    "streamerror": lambda path, body, headers: Reply(
        body=_sse([chunk({"content": "Hel"}), {"error": {"code": 500, "message": "out of memory"}}]),
        content_type=_STREAM,
    ),
    "slow": lambda path, body, headers: Reply(delay_secs=1.0, body=json.dumps(CANNED).encode()),
    "llamaserver": lambda path, body, headers: (
        _json({"tokens": [ord(c) for c in body.get("content", "")]}) if path == "/tokenize"
        else _json({"content": "".join(chr(t) for t in body.get("tokens", []))}) if path == "/detokenize"
        else _json({"detail": "Not Found"}, 404)
    ),
    "notokenizer": lambda path, body, headers: _json({"detail": "Not Found"}, 404),
    "echokey": lambda path, body, headers: _json(
        {"error": {"message": f"rejected {headers.get('authorization')}", "code": 403}}, 403
    ),
}  # fmt: skip


class FakeEngine:
    """A threaded loopback HTTP server; `hits` counts requests per scenario."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                _, scenario, rest = self.path.split("/", 2) if self.path.count("/") >= 2 else ("", "", "")
                engine.hits[scenario] += 1
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = json.loads(raw) if raw else {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                handler = SCENARIOS.get(scenario)
                reply = handler("/" + rest, request, headers) if handler else _json({"detail": "Not Found"}, 404)
                time.sleep(reply.delay_secs)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    if reply.length != -1:
                        self.send_header("Content-Length", str(reply.length or len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-engine", daemon=True)

    def url(self, scenario: str) -> str:
        return f"http://127.0.0.1:{self.port}/{scenario}"

    def __enter__(self) -> FakeEngine:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
