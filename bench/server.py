"""What the HTTP server costs, measured side by side in one run. Exits non-zero on a miss.

1. The same chat completion (the real model calling a bundled MCP tool, then answering) sent through
   `/v1/chat/completions` of a live `mcpagent serve` and through `Runner` directly, interleaved.
   Target: median latency ratio server / Runner <= 1.10.
2. `/v1/tokenize` hammered by 16 concurrent clients for a few seconds: requests per second reported;
   target: zero errors.

Run: .venv/bin/python -m bench.server
"""

from __future__ import annotations

import statistics
import time

import anyio
import httpx2

from agent import ChatCompletionRequest, Runner, Which
from agent.server.launch import launched_api
from bench._report import report
from mcp_client import bundled_config

PAIRS = 7
CLIENTS = 16
HAMMER_SECS = 5.0
TARGETS = {"latency_ratio": ("<=", 1.10), "tokenize_errors": ("<=", 0)}
BODY = {
    "model": "smollm2-135m",
    "messages": [{"role": "user", "content": "What is the current time in Asia/Tokyo?"}],
    "max_tokens": 64,
    "temperature": 0,
}


def through_server(client: httpx2.Client, url: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.post(f"{url}/v1/chat/completions", json=BODY)
    elapsed = time.perf_counter() - began
    response.raise_for_status()
    return elapsed, response.json()["usage"]["completion_tokens"]


def through_runner(runner: Runner) -> tuple[float, int]:
    began = time.perf_counter()
    response = runner.send_chat_completion_request(ChatCompletionRequest.model_validate(BODY))
    return time.perf_counter() - began, response.usage.completion_tokens


async def hammer(url: str) -> tuple[float, int, int]:
    """(requests per second, requests, errors) with CLIENTS clients posting /v1/tokenize back to back."""
    done = errors = 0
    deadline = time.perf_counter() + HAMMER_SECS
    body = {"messages": BODY["messages"], "return_prompt": False}

    async def client_loop(client: httpx2.AsyncClient) -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            try:
                response = await client.post(f"{url}/v1/tokenize", json=body)
                ok = response.status_code == 200 and response.json()["count"] > 0
            except httpx2.HTTPError:
                ok = False
            done += 1
            errors += not ok

    began = time.perf_counter()
    limits = httpx2.Limits(max_connections=CLIENTS)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as client, anyio.create_task_group() as group:
        for _ in range(CLIENTS):
            group.start_soon(client_loop, client)
    return done / (time.perf_counter() - began), done, errors


def main() -> int:
    which = Which.GGUF(quantized_model_id="smollm2-135m")
    with launched_api() as url, Runner(which=which, mcp_client_config=bundled_config()) as runner:
        with httpx2.Client(timeout=120) as client:
            through_server(client, url), through_runner(runner)  # warm both: KV prefix, MCP sessions
            ratios = []
            for n in range(PAIRS):
                # Alternate which goes first, so drift on this shared machine hits both alike.
                if n % 2:
                    (server_secs, server_tokens), (runner_secs, runner_tokens) = (
                        through_server(client, url), through_runner(runner)
                    )
                else:
                    (runner_secs, runner_tokens), (server_secs, server_tokens) = (
                        through_runner(runner), through_server(client, url)
                    )
                ratios.append(server_secs / runner_secs)
                print(
                    f"  pair {n + 1}: server {server_secs * 1000:.0f} ms ({server_tokens} tokens), "
                    f"runner {runner_secs * 1000:.0f} ms ({runner_tokens} tokens), ratio {ratios[-1]:.3f}"
                )
        rps, requests, errors = anyio.run(hammer, url)
    print(f"  /v1/tokenize, {CLIENTS} concurrent clients: {rps:.0f} requests/s ({requests} requests, {errors} errors)")
    return report({"latency_ratio": statistics.median(ratios), "tokenize_errors": errors}, TARGETS)


if __name__ == "__main__":
    raise SystemExit(main())
