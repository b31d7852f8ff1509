"""Streaming parser throughput: 4-character chunks over 1 MB of mixed output, and linearity at 10 MB.

Prints MB/s per format and the 10 MB / 1 MB time ratio, measured side by side in one run; exits
non-zero when the formats the agent uses first (hermes, smollm2) fall under 5 MB/s or the ratio
exceeds 12. The other formats are reported, not gated.

Run: .venv/bin/python bench/parsers.py
"""

from __future__ import annotations

import os
import sys

# Run as a file, this script's folder comes first on sys.path, where bench/inference.py would shadow
# the `inference` package.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import random  # noqa: E402
import time  # noqa: E402

from inference.parsers import ParsedTurn, get_parser  # noqa: E402
from tools import ToolCall  # noqa: E402

MIN_MB_PER_SEC = 5.0
MAX_RATIO = 12.0
CHUNK = 4
GATED = ("hermes", "smollm2")
REPORTED = ("qwen3_coder", "mistral_v11", "llama3_json", "deepseek_r1", "gpt_oss", "gemma4")

_WORDS = (
    "the model reads a file and then answers with a short summary of what it found in the logs, "
    "which lists 42 errors; each one is explained in plain prose with some numbers like 3.14 and "
    "names such as Paris or Tokyo, and a few longer words: configuration, dependency, throughput."
).split()
_MARKUP = ("`config.yaml`", "**bold**", "[docs](https://example.com)", "x < y", "{braces}", "`a < b`")


def _prose(rng: random.Random, words: int) -> str:
    """Plain sentences with the occasional Markdown span or comparison (about one per 40 words)."""
    picked = [rng.choice(_MARKUP) if rng.random() < 0.025 else rng.choice(_WORDS) for _ in range(words)]
    return " ".join(picked) + ".\n"


def mixed_output(fmt: str, size: int, seed: int = 7) -> str:
    """About `size` characters of turns rendered in `fmt`: each has reasoning (20-160 words), content
    (40-240 words) and 0-2 tool calls, so about one call per 1,500 characters."""
    rng = random.Random(seed)
    parser = get_parser(fmt)
    pieces: list[str] = []
    total = 0
    while total < size:
        calls = [
            ToolCall(id=f"call{i:05d}", name="read_file", arguments={"path": f"/tmp/f{i}.txt", "lines": [1, 40]})
            for i in range(rng.randint(0, 2))
        ]
        turn = ParsedTurn(
            content=_prose(rng, rng.randint(40, 240)).strip(),
            reasoning=_prose(rng, rng.randint(20, 160)).strip(),
            tool_calls=calls,
        )
        piece = parser.render(turn) + "\n"
        pieces.append(piece)
        total += len(piece)
    return "".join(pieces)[:size]


def stream_seconds(fmt: str, text: str) -> float:
    stream = get_parser(fmt).stream()
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    feed = stream.feed
    start = time.perf_counter()
    for chunk in chunks:
        for _delta in feed(chunk):
            pass
    stream.close()
    stream.finish()
    return time.perf_counter() - start


def best_of(fmt: str, text: str, runs: int) -> float:
    """The fastest of several runs: other work on a shared machine only ever adds time."""
    return min(stream_seconds(fmt, text) for _ in range(runs))


def main() -> int:
    failures: list[str] = []
    mb = 1_000_000
    print(f"streaming in {CHUNK}-character chunks over 1 MB of mixed output (best of 5)")
    for fmt in GATED + REPORTED:
        text = mixed_output(fmt, mb)
        secs = best_of(fmt, text, 5)
        rate = len(text) / secs / 1e6
        gate = fmt in GATED
        print(f"  {fmt:16} {rate:6.2f} MB/s{'  (gated)' if gate else ''}")
        if gate and rate < MIN_MB_PER_SEC:
            failures.append(f"{fmt}: {rate:.2f} MB/s < {MIN_MB_PER_SEC} MB/s")
    for fmt in GATED:
        small, large = mixed_output(fmt, mb), mixed_output(fmt, 10 * mb)
        t_small = best_of(fmt, small, 3)
        t_large = best_of(fmt, large, 2)
        ratio = t_large / t_small
        print(f"  {fmt:16} 10 MB in {t_large:.2f} s, 1 MB in {t_small:.2f} s: ratio {ratio:.1f} (<= {MAX_RATIO})")
        if ratio > MAX_RATIO:
            failures.append(f"{fmt}: 10 MB / 1 MB time ratio {ratio:.1f} > {MAX_RATIO}")
    for failure in failures:
        print("MISS:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
