"""mistral.rs's Python API over our engine: `Runner`, `MultiModelRunner` and `Which`, so its code ports by
changing the import."""

from __future__ import annotations

from agent.mistralrs.runner import MultiModelRunner, Runner
from agent.mistralrs.which import Which

__all__ = ["MultiModelRunner", "Runner", "Which"]
