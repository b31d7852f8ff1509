"""How every bench ends: each figure against its target, then an exit status (1 when any misses)."""

from __future__ import annotations

from collections.abc import Mapping


def report(figures: Mapping[str, float], targets: Mapping[str, tuple[str, float]]) -> int:
    """Print `name = value (target op bound) ok|MISS` for each figure; 0 when all are met, else 1."""
    misses = []
    for name, value in figures.items():
        op, bound = targets[name]
        ok = value >= bound if op == ">=" else value <= bound
        print(f"  {name} = {value:.3f} (target {op} {bound}) {'ok' if ok else 'MISS'}")
        if not ok:
            misses.append(name)
    print("all targets met" if not misses else f"{len(misses)} target(s) missed: {', '.join(misses)}")
    return 1 if misses else 0
