"""`mcpagent chat` as a user sees it: the console script in a pseudo-terminal, its screen rendered by pyte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from agent import session
from inference import Message
from tests._procs import alive, descendants
from tools import ToolCall

MCPAGENT = str(Path(sys.executable).parent / "mcpagent")
ROWS, COLUMNS = 100, 120
PROMPT = "you>"

pytestmark = pytest.mark.model


class Terminal:
    """`mcpagent chat` in a pty of ROWS x COLUMNS, and the screen it draws."""

    def __init__(self, *args: str, cwd: Path) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
        self.child = pexpect.spawn(MCPAGENT, ["chat", *args], dimensions=(ROWS, COLUMNS), env=env, cwd=cwd)
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    @property
    def text(self) -> str:
        return "\n".join(self.lines).rstrip()

    def prompts(self) -> int:
        return sum(1 for line in self.lines if line == PROMPT or line.startswith(PROMPT + " "))

    def at_prompt(self) -> bool:
        shown = [line for line in self.lines if line]
        return bool(shown) and shown[-1] == PROMPT

    def wait(self, condition: Callable[[], bool], *, timeout: float = 120) -> float:
        """Read output until `condition()` holds; the seconds it took. Fails with the screen on timeout."""
        started = time.monotonic()
        while not condition():
            left = started + timeout - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; the screen:\n{self.text}")
            try:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=min(left, 0.1)))
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                if not condition():
                    raise AssertionError(f"mcpagent chat ended; the screen:\n{self.text}") from None
        return time.monotonic() - started

    def enter(self, line: str, *, timeout: float = 120) -> list[str]:
        """Type a line and wait for the next prompt; the lines shown in between, the typed one first."""
        before = self.prompts()
        self.child.sendline(line)
        self.wait(lambda: self.prompts() > before and self.at_prompt(), timeout=timeout)
        start = max(i for i, shown in enumerate(self.lines) if shown == f"{PROMPT} {line}")
        return [shown for shown in self.lines[start:] if shown][:-1]

    def descendants(self) -> set[int]:
        return descendants(self.child.pid)

    def close(self) -> None:
        self.child.close(force=True)


def _cpu_secs(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _saved(path: Path) -> list[dict[str, object]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "mcpagent.conversation"
    return list(document["messages"])


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def _start(terminals: list[Terminal], *args: str, cwd: Path) -> Terminal:
    """Start `mcpagent chat` in `cwd` (so files have short names on the screen) and wait for its prompt."""
    terminal = Terminal(*args, cwd=cwd)
    terminals.append(terminal)
    terminal.wait(terminal.at_prompt)
    return terminal


def _exit_with_ctrl_d(terminal: Terminal) -> None:
    """Ctrl-D leaves with status 0, and the MCP servers (and anything else started) are gone."""
    started = terminal.descendants()
    assert started, "the MCP servers should be child processes"
    terminal.child.sendeof()
    terminal.child.expect(pexpect.EOF, timeout=30)
    terminal.child.close()
    assert terminal.child.exitstatus == 0, terminal.text
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in started if alive(pid)], "processes left running after exit"


def test_ctrl_c_stops_an_answer_then_a_tool_question_is_answered(terminals: list[Terminal], tmp_path: Path) -> None:
    chat = _start(terminals, "--max-tokens", "1500", cwd=tmp_path)

    # Ctrl-C at the prompt clears the line: what was typed is not sent.
    before = chat.prompts()
    chat.child.send("never sent")
    chat.child.send("\x03")
    chat.wait(lambda: chat.prompts() > before and chat.at_prompt(), timeout=10)

    # Ctrl-C while the answer streams stops it, fast, and the model stops working.
    before = chat.prompts()
    chat.child.sendline("Write a very long story about a dragon and a knight.")
    question = "dragon and a knight."
    chat.wait(lambda: question in chat.text and len(chat.text.split(question, 1)[1].strip()) > 80)
    chat.child.send("\x03")
    stopping = chat.wait(lambda: chat.prompts() > before and chat.at_prompt(), timeout=10)
    assert stopping < 5, f"the prompt took {stopping:.1f} s to come back"
    assert "(stopped)" in chat.lines
    cpu = _cpu_secs(chat.child.pid)
    time.sleep(1)
    assert _cpu_secs(chat.child.pid) - cpu < 0.3, "the model is still generating after Ctrl-C"

    # The stopped turn left the conversation as it was: empty.
    empty = Path("empty.json")
    assert chat.enter(f"/save {empty}")[1:] == [f"saved 0 messages to {empty}"]
    assert _saved(tmp_path / empty) == []

    shown = chat.enter("What is the current time in Asia/Tokyo?")
    calls = [i for i, line in enumerate(shown) if line.startswith('→ clock_now {"timezone": "Asia/Tokyo"}')]
    assert calls, chat.text
    result = shown[calls[0] + 1]
    assert result.startswith("← result: ") and "+09:00" in result, chat.text
    answer, figures = shown[calls[0] + 2 : -1], shown[-1]
    assert answer and all(answer), chat.text
    assert figures.startswith("rounds 2 · prompt ")

    tools = "\n".join(chat.enter("/tools"))
    assert "clock_now" in tools and "calc_evaluate" in tools
    rows = {line.split("│")[1].strip(): line for line in chat.enter("/servers") if line.count("│") > 2}
    assert rows.keys() == {"calculator", "clock"}
    assert all(row.split("│")[2].strip() == "ready" for row in rows.values())

    _exit_with_ctrl_d(chat)


def test_save_reset_load_round_trip_and_bad_files(terminals: list[Terminal], tmp_path: Path) -> None:
    call = ToolCall(id="c1", name="calc_evaluate", arguments={"expression": "6*7"})
    conversation = [
        Message(role="user", content="What is 6 * 7?"),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", content="42", tool_call_id="c1", name="calc_evaluate"),
        Message(role="assistant", content="6 * 7 is 42."),
    ]
    start = tmp_path / "start.json"
    session.save(start, conversation)
    chat = _start(terminals, "--load", start.name, cwd=tmp_path)
    assert "4 messages loaded" in chat.text

    saved = Path("saved.json")
    assert chat.enter(f"/save {saved}")[1:] == [f"saved 4 messages to {saved}"]
    assert _saved(tmp_path / saved) == _saved(start)

    assert chat.enter("/reset")[1:] == ["conversation cleared"]
    cleared = Path("cleared.json")
    chat.enter(f"/save {cleared}")
    assert _saved(tmp_path / cleared) == []

    assert chat.enter(f"/load {saved}")[1:] == [f"loaded 4 messages from {saved}"]

    # Bad files: one line each, and the conversation is kept.
    missing = Path("missing.json")
    shown = chat.enter(f"/load {missing}")
    assert len(shown) == 3 and shown[1].startswith("error: ") and "missing.json" in shown[1], shown
    garbled = Path("garbled.json")
    (tmp_path / garbled).write_text('{"format": "mcpagent.conversation", "messages": [')
    shown = chat.enter(f"/load {garbled}")
    assert shown[1].startswith("error: invalid conversation") and shown[2].startswith("hint: "), shown
    assert chat.enter("/load")[1:] == ["usage: /load FILE"]
    assert chat.enter("/nonsense")[1].startswith("unknown command /nonsense; commands: /tools, /servers, /reset")

    again = Path("again.json")
    chat.enter(f"/save {again}")
    assert _saved(tmp_path / again) == _saved(start)

    _exit_with_ctrl_d(chat)


def test_load_option_with_a_missing_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [MCPAGENT, "chat", "--load", str(missing)], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: [Errno 2] No such file or directory: ") and "missing.json" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr
