"""The llama.cpp backend against raw llama-cpp-python, measured side by side in one run. Exits non-zero on a miss.

1. Decode tokens/s through LlamaCppBackend.stream vs raw Llama.create_completion(stream=True): same
   model, threads and prompt, runs interleaved. Target: median ratio >= 0.95.
2. An agent-like conversation of three rounds over a ~600-token system-plus-tools prompt: tokens
   evaluated in rounds 2 and 3 <= 1.1 x the tokens those rounds add; time to first token of round 2
   <= 0.3 x round 1.
3. A new conversation with the same tools after the prefix state was saved (another conversation
   evicted the KV cache in between): time to first token <= 0.3 x cold.
4. Peak RSS of a process that loads each embedded model and generates: reported.

Run: .venv/bin/python bench/inference.py
"""

from __future__ import annotations

import os
import sys

# Run as a file, this script's folder would come first on sys.path and `bench/inference.py` would
# shadow the `inference` package; `python -m bench.inference` has no such problem.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import anyio  # noqa: E402

from bench._report import report  # noqa: E402
from inference import ChatRequest, Message, SamplingParams, TextDelta  # noqa: E402
from inference.llama_cpp_backend import LlamaCppBackend  # noqa: E402
from tools import ToolCall, ToolSpec  # noqa: E402

TARGETS = {"decode_ratio": (">=", 0.95), "eval_over_added": ("<=", 1.1), "ttft_round2": ("<=", 0.3),
           "ttft_saved_prefix": ("<=", 0.3)}
TOOLS = [
    ToolSpec(
        name=f"{area}_{verb}",
        description=f"{verb.title()} {area} records such as 'order 1234' for a customer account, by id or name.",
        input_schema={"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                      "required": ["query"]},
    )
    for area in ("orders", "invoices") for verb in ("search", "fetch")
]


async def decode_ratio(backend: LlamaCppBackend, runs: int = 9) -> float:
    """Tokens per second of wall time for the same greedy generation, the prompt already cached on both sides.

    Wall time from request to last token, not first-to-last chunk: create_completion holds chunks back
    for its stop-string check, which would flatter a chunk-timed figure.
    """
    llm = backend._llm
    assert llm is not None
    request = ChatRequest(
        messages=[Message(role="user", content="Write a long story about a lighthouse keeper and the sea.")],
        sampling=SamplingParams(max_tokens=160),
    )
    prompt = backend.render(request)

    def raw() -> float:
        began = time.perf_counter()
        count = sum(1 for _ in llm.create_completion(prompt, max_tokens=160, temperature=0.0, stream=True))
        return count / (time.perf_counter() - began)

    async def ours() -> float:
        began, tokens = time.perf_counter(), 0
        async with backend.stream(request) as items:
            async for item in items:
                if not isinstance(item, TextDelta) and item.type == "done":
                    tokens = item.response.usage.completion_tokens
        return tokens / (time.perf_counter() - began)

    await ours()  # both paths warm, the prompt in the KV cache
    ratios = []
    for run in range(runs):
        if run % 2:
            ours_rate, raw_rate = await ours(), raw()
        else:
            raw_rate, ours_rate = raw(), await ours()
        ratios.append(ours_rate / raw_rate)
        print(f"  decode: raw create_completion {raw_rate:.1f} tok/s, backend stream {ours_rate:.1f} tok/s")
    return statistics.median(ratios)


async def agent_rounds(backend: LlamaCppBackend) -> tuple[float, float, float]:
    """Three rounds; returns (evaluated/added in rounds 2-3, TTFT round 2 / round 1, TTFT round 1 secs)."""
    _forget(backend)
    history = [Message(role="user", content="Find the orders of customer Ada Lovelace.")]
    call = ToolCall(id="r1call001", name="orders_search", arguments={"query": "Ada Lovelace", "limit": 5})
    results = [None, "orders 1001, 1002 and 1040, all shipped", None]
    usage = []
    for round_no in range(3):
        request = ChatRequest(messages=tuple(history), tools=TOOLS, sampling=SamplingParams(max_tokens=24))
        response = await backend.complete(request)
        usage.append(response.usage)
        if round_no == 0:
            history += [Message(role="assistant", tool_calls=(call,)),
                        Message(role="tool", content=results[1], tool_call_id=call.id, name=call.name)]
        elif round_no == 1:
            history += [response.message, Message(role="user", content="And their invoices?")]
    for n, u in enumerate(usage, 1):
        print(f"  round {n}: prompt {u.prompt_tokens} tokens, {u.cached_tokens} cached, "
              f"evaluated {u.evaluated_prompt_tokens}, first token after {u.prompt_secs * 1000:.0f} ms")
    added = sum(usage[k].prompt_tokens - usage[k - 1].prompt_tokens for k in (1, 2))
    evaluated = sum(usage[k].evaluated_prompt_tokens for k in (1, 2))
    print(f"  rounds 2-3 add {added} tokens and evaluate {evaluated}")
    return evaluated / added, usage[1].prompt_secs / usage[0].prompt_secs, usage[0].prompt_secs


async def saved_prefix(backend: LlamaCppBackend, cold_secs: float) -> float:
    short = SamplingParams(max_tokens=2)
    await backend.complete(ChatRequest(messages=[Message(role="user", content="Unrelated: say hi.")], sampling=short))
    request = ChatRequest(messages=[Message(role="user", content="Fetch invoice 77.")], tools=TOOLS, sampling=short)
    response = await backend.complete(request)
    print(f"  new conversation, same tools: {response.usage.cached_tokens} of {response.usage.prompt_tokens} "
          f"prompt tokens from the saved prefix; first token after {response.usage.prompt_secs * 1000:.0f} ms "
          f"(cold {cold_secs * 1000:.0f} ms)")
    return response.usage.prompt_secs / cold_secs


def _forget(backend: LlamaCppBackend) -> None:
    """Start cold: an empty KV cache and no saved prefix states."""
    assert backend._llm is not None
    backend._llm.reset()
    backend._llm._ctx.kv_cache_clear()
    backend._prefix_states.clear()


PEAK_RSS = """
import anyio
from inference import ChatRequest, Message, SamplingParams
from inference.llama_cpp_backend import LlamaCppBackend
async def main():
    async with LlamaCppBackend({model!r}) as b:
        hello = [Message(role="user", content="Hello")]
        await b.complete(ChatRequest(messages=hello, sampling=SamplingParams(max_tokens=16)))
    # VmHWM belongs to this address space; ru_maxrss would carry the parent's peak across fork and exec.
    print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
anyio.run(main)
"""


def peak_rss_mib(model: str) -> float:
    done = subprocess.run([sys.executable, "-c", PEAK_RSS.format(model=model)], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.split()[-1]) / 1024


async def main() -> int:
    print("llama.cpp backend vs raw llama-cpp-python (this run, side by side)")
    figures: dict[str, float] = {}
    async with LlamaCppBackend("smollm2-135m") as backend:
        figures["decode_ratio"] = await decode_ratio(backend)
        figures["eval_over_added"], figures["ttft_round2"], cold = await agent_rounds(backend)
        figures["ttft_saved_prefix"] = await saved_prefix(backend, cold)
    for model in ("smollm2-135m", "gemma3-270m"):
        print(f"  peak RSS loading and running {model}: {peak_rss_mib(model):.0f} MiB")
    print(f"  (this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB peak)")
    return report(figures, TARGETS)

if __name__ == "__main__":
    sys.exit(anyio.run(main))
