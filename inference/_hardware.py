"""What the machine has: the physical core count, which is what llama.cpp threads should match."""

from __future__ import annotations

import functools
import os


@functools.cache
def physical_cores() -> int:
    """Physical cores (not hyper-threads) available to this process; at least 1."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as file:
            cores: set[tuple[str, str]] = set()
            physical = core = ""
            for line in file:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    core = value.strip()
                    cores.add((physical, core))
        if cores:
            return max(1, min(len(cores), available))
    except OSError:
        pass
    return max(1, available)
