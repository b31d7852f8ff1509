"""Every file in examples/ runs to completion, as a user would run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE_TIMEOUT_SECS = 120
EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example: Path) -> None:
    # In a session of its own, so that on a timeout the servers it started go with it (a SIGKILL gives the
    # example no chance to stop them, and they would outlive the test).
    with subprocess.Popen(
        [sys.executable, str(example)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=example.parent,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=EXAMPLE_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            pytest.fail(f"{example.name} did not finish in {EXAMPLE_TIMEOUT_SECS} s:\n{stderr[-2000:]}")
    assert process.returncode == 0, stderr[-2000:]
    assert stdout.strip(), "the example printed nothing"
