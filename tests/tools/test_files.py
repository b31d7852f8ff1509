"""The files server: path attacks are refused, sizes are capped, writes are atomic, search works."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import anyio
import pytest

from tests.tools._servers import mcp_session, server_process, text_of
from tools import FunctionToolset
from tools.servers import files

SECRET = "TOP-SECRET-CONTENT"


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """A root with files, a directory beside it holding a secret, and links that try to escape."""
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "readme.txt").write_text("hello\nsecond line with needle\n")
    (root / "sub" / "code.py").write_text("print('needle')\n")
    (root / "sub" / "deeper" / "data.json").write_text('{"a": 1}\n')
    links = {
        "escape_dir": outside,
        "escape_file": outside / "secret.txt",
        "escape_relative": Path("../outside/secret.txt"),
        "sub/escape_up": Path("../../outside"),
        "etc_link": Path("/etc"),
        "dev_zero": Path("/dev/zero"),
        "proc_environ": Path("/proc/self/environ"),
        "loop": Path("loop"),
        "inside_link": Path("readme.txt"),
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    os.mkfifo(root / "fifo")
    return root, outside


def _toolset(root: Path, **options: int) -> FunctionToolset:
    return files.toolset(root, **options)


ATTACKS = [
    # traversal
    "..", "../", "../..", "../outside/secret.txt", "../../../../../../../../etc/passwd",
    "./../outside/secret.txt", "sub/../../outside/secret.txt", "sub/deeper/../../../outside/secret.txt",
    "sub/..", "readme.txt/../../outside", ".//..//outside/secret.txt", "sub/./../../outside",
    # absolute, home, drive letters, backslashes, UNC
    "/etc/passwd", "/", "//etc/passwd", "/tmp", "/dev/zero", "/proc/self/environ", "~/.ssh/id_rsa",
    "~root/.bashrc",
    "C:\\Windows\\win.ini", "C:/Windows/win.ini", "c:secret", "..\\outside\\secret.txt",
    "sub\\..\\..\\outside\\secret.txt", "\\\\server\\share\\secret.txt", "\\etc\\passwd",
    # NUL and control characters
    "readme.txt\x00.png", "\x00", "..\x00/outside", "sub/\n../../outside", "..\t/outside", "\x1b[2J",
    # symlinks out of the root, devices, FIFOs, loops
    "escape_dir/secret.txt", "escape_dir", "escape_file", "escape_relative", "sub/escape_up/secret.txt",
    "etc_link/passwd", "dev_zero", "proc_environ", "fifo", "loop", "loop/x",
    # long names and paths
    "%00../../etc/passwd", "a" * 256, "sub/" + "b" * 300, "é" * 128, "x/" * 2100 + "f",
    "../" * 2000 + "etc/passwd",
]  # fmt: skip

LITERAL_NAMES = [
    # encodings and look-alikes are ordinary names inside the root: not found, never decoded
    "%2e%2e/outside/secret.txt", "..%2foutside%2fsecret.txt", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252fetc%252fpasswd", "%252e%252e/secret", "..%c0%af..%c0%afetc/passwd", "..%c1%9c..%c1%9cetc",
    "\u2025/outside/secret.txt", "\uff0e\uff0e/outside/secret.txt", "..\u2215outside\u2215secret.txt",
    "..\uff0foutside\uff0fsecret.txt", "....//....//etc/passwd", "...", "file:///etc/passwd",
    "sub/%2e%2e/%2e%2e/outside",
]  # fmt: skip


def test_there_are_at_least_fifty_attacks() -> None:
    assert len(ATTACKS) + len(LITERAL_NAMES) >= 50
    assert len(set(ATTACKS + LITERAL_NAMES)) == len(ATTACKS) + len(LITERAL_NAMES)


def _snapshot(outside: Path) -> dict[str, str]:
    return {str(p.relative_to(outside)): p.read_text() for p in outside.rglob("*") if p.is_file()}


@pytest.mark.parametrize("attack", ATTACKS)
async def test_attacks_are_refused(sandbox: tuple[Path, Path], attack: str) -> None:
    root, outside = sandbox
    before = _snapshot(outside)
    toolset = _toolset(root)
    for name, arguments in [
        ("read_file", {"path": attack}),
        ("list_directory", {"path": attack}),
        ("search_files", {"path": attack, "contains": "TOP"}),
        ("write_file", {"path": attack, "content": "pwned"}),
    ]:
        result = await toolset.call_tool(name, arguments)
        assert result.is_error and SECRET not in result.text, (name, attack, result.text)
        if name in ("read_file", "write_file"):  # listing a FIFO is merely "not a directory"
            assert result.text.startswith("PathRefusedError: path "), (name, attack, result.text)
    assert _snapshot(outside) == before
    assert (outside / "secret.txt").read_text() == SECRET


@pytest.mark.parametrize("attack", LITERAL_NAMES)
async def test_encoded_paths_are_plain_names_inside_the_root(sandbox: tuple[Path, Path], attack: str) -> None:
    root, outside = sandbox
    toolset = _toolset(root)
    read = await toolset.call_tool("read_file", {"path": attack})
    assert read.is_error and "no such file or directory" in read.text and SECRET not in read.text
    written = await toolset.call_tool("write_file", {"path": attack, "content": "harmless"})
    assert not written.is_error, written.text
    assert (root / attack).read_text() == "harmless"
    assert (root / attack).resolve().is_relative_to(root.resolve())
    assert _snapshot(outside) == {"secret.txt": SECRET}


async def test_symlinks_inside_the_root_are_followed(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    toolset = _toolset(root)
    assert (await toolset.call_tool("read_file", {"path": "inside_link"})).text.startswith("hello")
    await toolset.call_tool("write_file", {"path": "inside_link", "content": "via link"})
    assert (root / "readme.txt").read_text() == "via link" and (root / "inside_link").is_symlink()


async def test_reads_are_capped_and_paged(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    (root / "big.txt").write_text("0123456789" * 3)
    toolset = _toolset(root, max_bytes=12)
    first = await toolset.call_tool("read_file", {"path": "big.txt"})
    assert first.text == "012345678901\n[truncated: bytes 0-12 of 30; read again with offset=12]"
    last = await toolset.call_tool("read_file", {"path": "big.txt", "offset": 24})
    assert last.text == "456789"
    (root / "utf8.txt").write_text("ab" + "é" * 10)  # a 2-byte character straddles the cut
    cut = await toolset.call_tool("read_file", {"path": "utf8.txt"})
    assert cut.text.startswith("abééééé\n[truncated: bytes 0-12 of 22")
    (root / "binary.bin").write_bytes(b"\xff\xfe\x00\x01")
    binary = await toolset.call_tool("read_file", {"path": "binary.bin"})
    assert binary.is_error and "'binary.bin' is not UTF-8 text" in binary.text
    negative = await toolset.call_tool("read_file", {"path": "big.txt", "offset": -1})
    assert negative.is_error and "offset: Input should be greater than or equal to 0" in negative.text


async def test_writes_are_capped_atomic_and_keep_permissions(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    toolset = _toolset(root, max_bytes=16)
    target = root / "sub" / "code.py"
    target.chmod(0o640)
    inode = target.stat().st_ino
    too_big = await toolset.call_tool("write_file", {"path": "sub/code.py", "content": "x" * 17})
    assert too_big.is_error and "content of 17 bytes is over the 16-byte limit" in too_big.text
    assert target.read_text() == "print('needle')\n"
    written = await toolset.call_tool("write_file", {"path": "sub/code.py", "content": "print(1)"})
    assert written.text == "wrote 8 bytes to sub/code.py"
    assert target.read_text() == "print(1)" and target.stat().st_ino != inode  # replaced by rename
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    made = await toolset.call_tool("write_file", {"path": "new/nested/file.txt", "content": "ok"})
    assert not made.is_error and (root / "new" / "nested" / "file.txt").read_text() == "ok"
    onto_dir = await toolset.call_tool("write_file", {"path": "sub", "content": "x"})
    assert onto_dir.is_error and "'sub' is a directory" in onto_dir.text
    assert not [p for p in root.rglob("*.tmp")]


async def test_list_directory(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    listing = (await _toolset(root).call_tool("list_directory", {})).text.splitlines()
    assert listing[0] == ".: 11 entries"
    assert "readme.txt (30 bytes)" in listing and "sub/" in listing and "fifo (special file)" in listing
    assert "escape_dir@ (symbolic link)" in listing
    assert (await _toolset(root).call_tool("list_directory", {"path": "sub/deeper"})).text == (
        "sub/deeper: 1 entry\ndata.json (9 bytes)"
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"pattern": "*.py"}, ["sub/code.py"]),
        ({"pattern": "**/*.json"}, ["sub/deeper/data.json"]),
        ({"pattern": "sub/*"}, ["sub/code.py"]),
        ({"pattern": "sub/**"}, ["sub/code.py", "sub/deeper/data.json"]),
        ({"pattern": "[rs]*.txt"}, ["readme.txt"]),
        ({"pattern": "*.PY", "ignore_case": True}, ["sub/code.py"]),
        ({"pattern": "*", "path": "sub/deeper"}, ["sub/deeper/data.json"]),
        ({"contains": "needle"}, ["readme.txt:2: second line with needle", "sub/code.py:1: print('needle')"]),
        ({"contains": "NEEDLE", "pattern": "*.py", "ignore_case": True}, ["sub/code.py:1: print('needle')"]),
        ({"contains": "absent"}, ["no matches"]),
    ],
)
async def test_search_by_glob_and_substring(
    sandbox: tuple[Path, Path], arguments: dict[str, object], expected: list[str]
) -> None:
    root, _ = sandbox
    result = await _toolset(root).call_tool("search_files", arguments)
    assert result.text.splitlines() == expected
    assert SECRET not in result.text


async def test_hostile_globs_stay_fast(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    (root / ("a" * 200)).write_text("x")
    pattern = "*a" * 100 + "b"
    result = await _toolset(root).call_tool("search_files", {"pattern": pattern}, timeout_secs=5)
    assert result.text == "no matches"
    too_long = await _toolset(root).call_tool("search_files", {"pattern": "*" * 501})
    assert too_long.is_error and "glob pattern must have 1 to 500 characters, got 501" in too_long.text


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="files root .* is not an existing directory"):
        files.toolset(tmp_path / "missing")


async def test_kill_9_during_writes_never_leaves_a_half_written_file(tmp_path: Path) -> None:
    size = 512 * 1024
    versions = {"A" * size, "B" * size}
    with server_process("files", "ws", "--root", str(tmp_path)) as server:
        acknowledged = 0
        with anyio.fail_after(60):
            async with mcp_session(server) as session:
                for i in range(200):
                    if acknowledged == 8:  # keep writing while the process dies
                        os.kill(server.process.pid, signal.SIGKILL)
                    try:
                        result = await session.call_tool(
                            "write_file", {"path": "doc.txt", "content": "AB"[i % 2] * size}
                        )
                    except Exception:
                        break  # the connection died with the process
                    assert not result.is_error, text_of(result)
                    acknowledged += 1
        assert server.process.wait(timeout=10) == -signal.SIGKILL
    assert acknowledged >= 8
    assert (tmp_path / "doc.txt").read_text() in versions
